package static

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"strconv"
)

// hashed is a cached content hash: the ETag of a file without a
// modification time, valid while its size, inode and change time (where
// the platform gives them; 0 otherwise) stay what they were. The inode
// and change time matter for an OS directory (Dir, os.DirFS), whose files
// may be rewritten with the same size and an epoch modification time.
type hashed struct {
	size  int64
	ino   uint64
	ctime int64
	etag  string
}

// stamp returns what a cached hash of the file described by info is
// checked against.
func stamp(info fs.FileInfo) hashed {
	st := hashed{size: info.Size()}
	st.ino, _ = inode(info)
	st.ctime, _ = changeTime(info)
	return st
}

// etag returns the strong ETag of the representation (see the package
// documentation): from size, modification time and inode when the file
// has a modification time, else from a hash of its content, cached.
func (h *Handler) etag(rep representation) (string, error) {
	var b []byte
	if mod := rep.info.ModTime(); !isZeroTime(mod) {
		b = make([]byte, 0, 64)
		b = append(b, '"')
		b = strconv.AppendInt(b, mod.UnixNano(), 36)
		b = append(b, '-')
		b = strconv.AppendInt(b, rep.info.Size(), 36)
		if ino, ok := inode(rep.info); ok {
			b = append(b, '-')
			b = strconv.AppendUint(b, ino, 36)
		}
	} else {
		tag, err := h.contentHash(rep)
		if err != nil {
			return "", err
		}
		if rep.coding == "" {
			return tag, nil
		}
		b = append(b, tag[:len(tag)-1]...)
	}
	if rep.coding != "" {
		b = append(b, '-')
		b = append(b, rep.coding...)
	}
	b = append(b, '"')
	return string(b), nil
}

// contentHash returns the quoted ETag made of the hash of rep's file,
// computed once per name and size.
func (h *Handler) contentHash(rep representation) (string, error) {
	st := stamp(rep.info)
	if v, ok := h.hashes.Load(rep.name); ok {
		if c := v.(*hashed); c.size == st.size && c.ino == st.ino && c.ctime == st.ctime {
			return c.etag, nil
		}
	}
	// Hash the file the body is read from: the name may lead to another
	// file by now (one renamed over it), whose hash would go out with
	// these bytes and answer 304 to them afterwards. Through ReadAt,
	// rep.f's position stays where the body will be read from; a file
	// without it (not an OS file) is read through a handle of its own.
	// Two requests may hash the same file at once; both get the same
	// answer, and one is kept.
	var src io.Reader
	if ra, ok := rep.f.(io.ReaderAt); ok {
		src = io.NewSectionReader(ra, 0, st.size)
	} else {
		f, _, err := openRegular(h.fsys, rep.name)
		if err != nil {
			return "", err
		}
		defer f.Close()
		src = f
	}
	sum := sha256.New()
	buf := getBuffer()
	defer putBuffer(buf)
	if _, err := io.CopyBuffer(writerOnly{sum}, readerOnly{src}, *buf); err != nil {
		return "", fmt.Errorf("static: hashing %s: %w", rep.name, err)
	}
	var digest [sha256.Size]byte
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum.Sum(digest[:0])[:16]) + `"`
	st.etag = etag
	h.hashes.Store(rep.name, &st)
	return etag, nil
}
