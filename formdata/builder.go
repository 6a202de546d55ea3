package formdata

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/mimepart"
)

// builder turns parts into a Form under the Limits: fields into Values,
// files into FileHeaders, in memory up to MemoryThreshold and spooled to
// a temporary file beyond it. Both styles feed it (Parse from
// mime/multipart's parts, ParseAsync from mimepart's events), so they
// build the same Form. It belongs to the goroutine or serialized task
// that parses.
type builder struct {
	lim  Limits // resolved
	form *Form

	part     int
	name     string // "" for a part without a form name: skipped, as net/http does
	filename string
	header   textproto.MIMEHeader
	size     int64
	buf      []byte   // a field's value, or a file while in memory
	file     *os.File // a file once spooled
	// fw buffers the writes to file: a body may cut a part into pieces
	// of a few bytes (each "\r\n--" that is not a boundary ends one), and
	// one write(2) each would cost millions for a file of megabytes.
	fw *bufio.Writer
	// qp is set for a part sent quoted-printable: its data goes through
	// dec, and the limits count what it decodes to, as the handler gets it.
	qp     bool
	dec    mimepart.QPDecoder
	memory int64 // bytes the form keeps in memory
	kept   int64 // estimated memory of the names and file headers it keeps
}

func newBuilder(lim Limits, st *store) *builder {
	return &builder{lim: lim, form: &Form{Values: url.Values{}, files: map[string][]*FileHeader{}, st: st}}
}

const transferEncoding = "Content-Transfer-Encoding"

// Header starts a part, reading its form name and filename as
// multipart.Part's FormName and FileName do, and its
// Content-Transfer-Encoding as multipart.Reader's NextPart does:
// quoted-printable is decoded, and the field removed so that the handler
// does not decode again; any other (base64 too) is left as it is.
func (b *builder) Header(h textproto.MIMEHeader) error {
	b.part++
	b.header, b.size, b.name, b.filename = h, 0, "", ""
	b.qp = strings.EqualFold(h.Get(transferEncoding), "quoted-printable")
	if b.qp {
		h.Del(transferEncoding)
		b.dec.Reset()
	}
	disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err == nil && disp == "form-data" {
		b.name = params["name"]
	}
	if fn := params["filename"]; err == nil && fn != "" {
		b.filename = filepath.Base(fn)
	}
	if b.name == "" {
		return nil
	}
	// A parsed header takes many times its bytes on the wire (a map
	// entry and a string per short line): counted by what it takes, the
	// names and file headers a form keeps stay within what MaxParts and
	// MaxHeaderBytes promise, however the bytes are split into parts.
	b.kept += int64(len(b.name))
	if b.filename != "" {
		b.kept += int64(len(b.filename)) + headerMemory(h)
	}
	if b.lim.MaxParts >= 0 && b.lim.MaxHeaderBytes >= 0 && b.kept > int64(b.lim.MaxParts)*(int64(b.lim.MaxHeaderBytes)+keptPart) {
		return b.limit("MaxHeaderBytes", int64(b.lim.MaxHeaderBytes))
	}
	return nil
}

// The memory a header field takes beside its bytes, as estimated against
// MaxParts × (MaxHeaderBytes + 1 KiB): a map entry (its name and its slice), and
// for each value a string in the slice and twice that in the room a
// growing slice, or the array textproto carves values from, holds.
const (
	keptEntry = 48
	keptValue = 48
)

// keptPart is what each part may keep beyond MaxHeaderBytes: what the
// parsed header of an ordinary part (a disposition and a type, a few
// hundred bytes on the wire) takes, so that a part within a small
// MaxHeaderBytes is never refused for its estimate, where a header of
// many short lines still is.
const keptPart = 1 << 10

// headerMemory estimates the memory h takes.
func headerMemory(h textproto.MIMEHeader) int64 {
	var n int64
	for k, vs := range h {
		n += int64(len(k)) + keptEntry
		for _, v := range vs {
			n += int64(len(v)) + keptValue
		}
	}
	return n
}

func (b *builder) limit(name string, max int64) error {
	return tooLarge(&LimitError{Limit: name, Max: max, Part: b.part, Name: b.name, Filename: b.filename})
}

// Data adds a piece of the part.
func (b *builder) Data(p []byte) error {
	if b.name == "" {
		return nil
	}
	if !b.qp {
		return b.add(p)
	}
	d, err := b.dec.Decode(p)
	return b.addDecoded(d, err)
}

// addDecoded adds what a quoted-printable part's data decoded to, then
// reports the decoder's error: the bytes before a fault are the part's,
// and a limit they meet is the answer, wherever the pieces were cut.
func (b *builder) addDecoded(d []byte, err error) error {
	if len(d) > 0 {
		if aerr := b.add(d); aerr != nil {
			return aerr
		}
	}
	if err != nil {
		return &api.StatusError{Code: http.StatusBadRequest, Err: fmt.Errorf("%w: %s: %s",
			ErrMalformed, where(b.part, b.name, b.filename), strings.TrimPrefix(err.Error(), "mimepart: "))}
	}
	return nil
}

// add keeps a piece of the part's data, checking its limits first.
func (b *builder) add(p []byte) error {
	b.size += int64(len(p))
	if b.filename == "" {
		if over(b.size, b.lim.MaxFieldBytes) {
			return b.limit("MaxFieldBytes", b.lim.MaxFieldBytes)
		}
		if over(b.memory+int64(len(p)), b.lim.MaxMemoryBytes) {
			return b.limit("MaxMemoryBytes", b.lim.MaxMemoryBytes)
		}
		b.memory += int64(len(p))
		b.buf = append(b.buf, p...)
		return nil
	}
	if over(b.size, b.lim.MaxFileBytes) {
		return b.limit("MaxFileBytes", b.lim.MaxFileBytes)
	}
	if b.file == nil {
		if !over(b.size, b.lim.MemoryThreshold) && b.lim.MemoryThreshold >= 0 &&
			!over(b.memory+int64(len(p)), b.lim.MaxMemoryBytes) {
			b.memory += int64(len(p))
			b.buf = append(b.buf, p...)
			return nil
		}
		// Over the threshold: to disk, with what was held so far.
		f, err := b.form.st.create()
		if err != nil {
			return fmt.Errorf("formdata: spooling part %d: %w", b.part, err)
		}
		b.file = f
		b.fw = bufio.NewWriterSize(f, spoolBuffer)
		b.memory -= int64(len(b.buf))
		if _, err := b.fw.Write(b.buf); err != nil {
			return fmt.Errorf("formdata: spooling part %d: %w", b.part, err)
		}
		b.buf = b.buf[:0]
	}
	if _, err := b.fw.Write(p); err != nil {
		return fmt.Errorf("formdata: spooling part %d: %w", b.part, err)
	}
	return nil
}

// spoolBuffer is the size of a spooled part's write buffer.
const spoolBuffer = 8 << 10

// End adds the finished part to the form.
func (b *builder) End() error {
	if b.name == "" {
		return nil
	}
	if b.qp {
		if err := b.addDecoded(b.dec.Close()); err != nil {
			return err
		}
	}
	if b.filename == "" {
		b.form.Values[b.name] = append(b.form.Values[b.name], string(b.buf))
		b.buf = b.buf[:0]
		return nil
	}
	fh := &FileHeader{Filename: b.filename, Header: b.header, Size: b.size, st: b.form.st}
	if b.file != nil {
		fh.path = b.file.Name()
		err := b.fw.Flush()
		if cerr := b.file.Close(); err == nil {
			err = cerr
		}
		b.file, b.fw = nil, nil
		if err != nil {
			return fmt.Errorf("formdata: spooling part %d: %w", b.part, err)
		}
	} else {
		// A copy: b.buf may be an array an earlier part grew (a large
		// field, a file spooled since), which MaxMemoryBytes counted
		// only while that part held it; the file keeps what it counts.
		fh.data = bytes.Clone(b.buf)
		b.buf = b.buf[:0]
	}
	b.form.files[b.name] = append(b.form.files[b.name], fh)
	return nil
}

// parseError maps an error of mimepart to the answer: a limit to 413, a
// malformed body to 400; any other (a read error, a builder's) passes.
// parts is how many parts the parser has begun.
func (b *builder) parseError(err error, parts int) error {
	switch {
	case errors.Is(err, mimepart.ErrTooManyParts):
		return tooLarge(&LimitError{Limit: "MaxParts", Max: int64(b.lim.MaxParts)})
	case errors.Is(err, mimepart.ErrHeaderTooLarge):
		return tooLarge(&LimitError{Limit: "MaxHeaderBytes", Max: int64(b.lim.MaxHeaderBytes), Part: parts})
	case errors.Is(err, mimepart.ErrMalformed), errors.Is(err, mimepart.ErrBoundary):
		return malformed(err)
	}
	return err
}

// malformed is the 400 answer to a body that is not valid multipart.
func malformed(cause error) error {
	msg := strings.TrimPrefix(cause.Error(), mimepart.ErrMalformed.Error()+": ")
	return &api.StatusError{Code: http.StatusBadRequest, Err: fmt.Errorf("%w: %s", ErrMalformed, msg)}
}
