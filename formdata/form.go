package formdata

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"os"

	"github.com/wharf-go/wharf/internal/replacefile"
)

// Form is a parsed form: its fields and its files. It belongs to the
// request it was parsed from: its temporary files are removed when that
// request completes, so a handler must not keep a Form or a FileHeader
// past it; SaveTo keeps a file. Values may be read from any goroutine;
// the methods may be called from any goroutine, while the request lasts.
type Form struct {
	// Values holds the fields (parts without a filename) by name, in the
	// order they came. For a URL-encoded body it is the body's values
	// (Request.PostForm); query values are not included either way.
	Values url.Values

	files map[string][]*FileHeader
	st    *store
}

// Value returns the first value of the field name, or "".
func (f *Form) Value(name string) string { return f.Values.Get(name) }

// File returns the first file of the field name, or nil when the form
// has none: check it. A browser sends a file input left empty as a part
// with an empty filename, which is a field (in Values, ""), not a file.
func (f *Form) File(name string) *FileHeader {
	if fs := f.files[name]; len(fs) > 0 {
		return fs[0]
	}
	return nil
}

// Files returns the files of the field name, in the order they came.
func (f *Form) Files(name string) []*FileHeader { return f.files[name] }

// FileFields returns the names of the fields that have files, in no
// particular order.
func (f *Form) FileFields() []string {
	names := make([]string, 0, len(f.files))
	for n := range f.files {
		names = append(names, n)
	}
	return names
}

// RemoveAll removes the form's temporary files now, and closes the files
// Open returned; afterwards Open and SaveTo return ErrRemoved. The
// request's completion does this anyway; a program that parsed a Request
// no container built (where async.OnComplete is not supported) must call
// it itself. It may be called more than once.
func (f *Form) RemoveAll() error { return f.st.removeAll() }

// FileHeader describes an uploaded file, as multipart.FileHeader does.
type FileHeader struct {
	// Filename is the client's name for the file, without its directory
	// (filepath.Base, as net/http does). It is the client's word: do not
	// use it as a path.
	Filename string
	// Header is the part's header, without Content-Transfer-Encoding if
	// that was quoted-printable (the file is decoded).
	Header textproto.MIMEHeader
	// Size is the file's length in bytes, as decoded.
	Size int64

	data []byte // the contents when in memory
	path string // the file when on disk
	st   *store
}

// Open opens the file for reading. The caller closes it; the request's
// completion closes it too, and removes a temporary file. It returns
// ErrRemoved once that has happened. Open may be called from any
// goroutine while the request lasts, each call giving its own reader,
// but not concurrently with SaveTo of the same FileHeader.
func (fh *FileHeader) Open() (multipart.File, error) {
	if fh.path == "" {
		if fh.st.isRemoved() {
			return nil, ErrRemoved
		}
		return memFile{bytes.NewReader(fh.data)}, nil
	}
	return fh.st.open(fh.path)
}

// memFile is an in-memory file: a bytes.Reader with a Close.
type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

// SaveTo keeps the file at path, replacing what is there, with mode 0600.
// A temporary file is moved there (renamed, or copied and removed when
// path is on another file system), and the request's completion no
// longer removes it; afterwards Open opens the saved file. A file in
// memory is written out, and a file saved already is copied, so that
// every SaveTo leaves a file at its path. It returns ErrRemoved once the request has
// completed. Call it from one goroutine, not concurrently with Open of
// the same FileHeader.
func (fh *FileHeader) SaveTo(path string) error {
	if fh.path == "" {
		if fh.st.isRemoved() {
			return ErrRemoved
		}
		return replacefile.Write(path, ".formdata-save-*", func(w io.Writer) error {
			_, err := w.Write(fh.data)
			return err
		})
	}
	if err := fh.st.move(fh.path, path); err != nil {
		return err
	}
	fh.path = path
	return nil
}

// copyFile copies the file src to dst (mode 0600).
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return replacefile.Write(dst, ".formdata-save-*", func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
