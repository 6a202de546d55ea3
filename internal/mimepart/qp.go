package mimepart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"slices"
	"strings"
)

// maxQPLine is the longest quoted-printable line, its LF included (the
// last line, without one, is shorter by a byte): mime/quotedprintable's
// Reader reads lines through a 4,096-byte bufio.Reader and fails on one
// that does not fit, so mime/multipart's NextPart refuses it too.
// RFC 2045 §6.7 allows 76 characters.
const maxQPLine = 4096

// QPDecoder decodes the data of a part sent with Content-Transfer-Encoding
// quoted-printable (RFC 2045 §6.7) as it arrives, in pieces of any size,
// to the bytes mime/multipart's NextPart gives for it. The decoding is
// mime/quotedprintable's Reader's: the decoder only cuts the data into
// whole lines for it, because the Reader's verdict on a line depends on
// the line's end (blanks before it are dropped, an '=' before it is a
// soft line break) and on whether the data ends there. A line is decoded
// once its LF has arrived, the part's last line at Close; the decoder
// holds at most that one incomplete line (under 4 KiB).
//
// The zero value is ready for a part; Reset readies it for the next one.
type QPDecoder struct {
	line []byte // the incomplete last line so far
	out  []byte // what Decode or Close returns

	// The Reader of each batch of lines reads through these, kept from
	// one batch to the next: a Reader cannot be reset, but it takes br as
	// its own buffer (bufio.NewReader returns a large enough *Reader as it
	// is), so a fresh one costs nothing.
	src bytes.Reader
	br  *bufio.Reader
	qr  quotedprintable.Reader
}

// Decode takes the next piece of the part's data and returns what the
// lines it completes decode to, valid until the next call. On an error
// (wrapping ErrQuotedPrintable) it returns the bytes decoded before the
// fault too; the decoder must then be Reset before another part.
func (d *QPDecoder) Decode(p []byte) ([]byte, error) {
	d.out = d.out[:0]
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		if len(d.line)+len(p) >= maxQPLine {
			return d.out, errQPLine
		}
		d.line = append(d.line, p...)
		return d.out, nil
	}
	if len(d.line) > 0 {
		// The held line ends in p: decoded on its own, so that p's
		// other lines need no copy.
		if len(d.line)+i >= maxQPLine {
			return d.out, errQPLine
		}
		d.line = append(d.line, p[:i+1]...)
		err := d.decode(d.line)
		d.line = d.line[:0]
		if err != nil {
			return d.out, err
		}
		p = p[i+1:]
	}
	whole := p[:bytes.LastIndexByte(p, '\n')+1]
	for rest := whole; len(rest) > 0; {
		k := bytes.IndexByte(rest, '\n')
		if k >= maxQPLine {
			// The lines before it are decoded, as the Reader decodes
			// them before it meets this one.
			if err := d.decode(whole[:len(whole)-len(rest)]); err != nil {
				return d.out, err
			}
			return d.out, errQPLine
		}
		rest = rest[k+1:]
	}
	if err := d.decode(whole); err != nil {
		return d.out, err
	}
	tail := p[len(whole):]
	if len(tail) >= maxQPLine {
		return d.out, errQPLine
	}
	d.line = append(d.line, tail...)
	return d.out, nil
}

// Close ends the part's data and returns what its last line, the one
// without an LF, decodes to, valid until the next call; or an error, as
// Decode.
func (d *QPDecoder) Close() ([]byte, error) {
	d.out = d.out[:0]
	if len(d.line) == 0 {
		return d.out, nil
	}
	err := d.decode(d.line)
	d.line = d.line[:0]
	return d.out, err
}

// Reset readies d for another part, keeping its buffers.
func (d *QPDecoder) Reset() {
	d.line, d.out = d.line[:0], d.out[:0]
}

var errQPLine = fmt.Errorf("%w: a line of %d bytes or more before its LF", ErrQuotedPrintable, maxQPLine)

// decode appends to d.out what b, whole lines or the data's last line,
// decodes to. A Reader gets to the end of b: after its last LF a line
// that ends the data, before it none.
func (d *QPDecoder) decode(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	d.src.Reset(b)
	if d.br == nil {
		d.br = bufio.NewReaderSize(&d.src, maxQPLine)
	} else {
		d.br.Reset(&d.src)
	}
	d.qr = *quotedprintable.NewReader(d.br)
	// Decoding never lengthens data; the one byte more lets the Reader
	// see the end of b within a single Read.
	d.out = slices.Grow(d.out, len(b)+1)
	for {
		n, err := d.qr.Read(d.out[len(d.out):cap(d.out)])
		d.out = d.out[:len(d.out)+n]
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%w: an '=' without two hex digits", ErrQuotedPrintable)
		case err != nil:
			return fmt.Errorf("%w: %s", ErrQuotedPrintable, strings.TrimPrefix(err.Error(), "quotedprintable: "))
		case len(d.out) == cap(d.out):
			d.out = slices.Grow(d.out, 1)
		}
	}
}
