package h1

import "bytes"

// DefaultMaxTrailerBytes bounds the trailer section when
// ChunkedDecoder.MaxTrailerBytes is zero.
const DefaultMaxTrailerBytes = 8 << 10

// maxChunkLine bounds a chunk-size line (size and extensions, without
// CRLF). Extensions carry nothing we use, so the bound only has to be
// generous enough for legitimate senders while stopping a peer from making
// us buffer an endless line.
const maxChunkLine = 4 << 10

// A chunked body's framing is bounded by its data, not only line by line:
// limits on a body (a connector's MaxBodyBytes, or how much of an unread
// body it discards) count data, and one-byte chunks behind long
// extensions would otherwise have the reader take in thousands of bytes
// of framing for each byte such a limit counts. Each chunk may carry
// chunkAllowance bytes of framing (its size line, the CRLF after its
// data) plus as many as its data; what goes beyond that, summed over
// the body's chunks, may not exceed maxChunkOverhead. Credit is not
// carried over from one chunk to the next, so the bound holds wherever
// the long lines come.
const (
	chunkAllowance   = 32
	maxChunkOverhead = 16 << 10
)

const (
	chunkSize    = iota // expecting a chunk-size line
	chunkData           // inside chunk data, d.remain bytes left
	chunkDataEnd        // expecting the CRLF after chunk data
	chunkTrailer        // inside the trailer section
	chunkDone
)

// ChunkedDecoder decodes the chunked transfer coding (RFC 9112 §7.1)
// incrementally. The zero value is ready to use.
type ChunkedDecoder struct {
	// Trailers holds the trailer fields once Decode reports done. They
	// are copies owned by the decoder, valid until Reset.
	Trailers []Field
	// MaxTrailerBytes bounds the trailer section, final CRLF included;
	// zero means DefaultMaxTrailerBytes. Exceeding it is a 431.
	MaxTrailerBytes int
	// MaxTrailers bounds the number of trailer fields; zero means
	// DefaultMaxHeaders. Exceeding it is a 431.
	MaxTrailers int

	state        int
	remain       int64
	overhead     int64 // framing beyond the chunks' allowance, so far
	pend         int   // Read: decoded bytes at the start of the next src, not yet returned
	trailerBytes int
	arena        []byte // backing store of Trailers
	err          *Error // sticky: a broken stream cannot be resumed
}

// Reset prepares d for a new body, keeping its limits and the memory
// of previous trailers.
func (d *ChunkedDecoder) Reset() {
	*d = ChunkedDecoder{
		Trailers:        d.Trailers[:0],
		MaxTrailerBytes: d.MaxTrailerBytes,
		MaxTrailers:     d.MaxTrailers,
		arena:           d.arena[:0],
	}
}

// Decode consumes framing and data from src. It returns data, a sub-slice
// of src with the next body bytes (may be empty), and how many bytes of
// src it consumed, data included. done is true once the last chunk and the
// trailer section have been consumed; bytes after that are not looked at.
//
// Data is returned as soon as it is available, even part of a chunk. One
// call returns at most one run of data, but keeps consuming the framing
// that follows it, so a body that is entirely in src ends in one call with
// done set. If src ends mid-line, that line is left unconsumed: the caller
// reads more and calls again with the unconsumed rest first.
//
// Errors are *Error wrapping ErrBadChunk, or ErrHeaderTooLarge,
// ErrTooManyHeaders or ErrBadRequest for the trailer section. After an
// error every call returns it again.
func (d *ChunkedDecoder) Decode(src []byte) (data []byte, consumed int, done bool, err error) {
	if d.err != nil {
		return nil, 0, false, d.err
	}
	// fail keeps already-found data deliverable: the error is reported
	// by the next call, which meets the same bytes again. That makes the
	// result independent of how the input is split.
	fail := func(e *Error) ([]byte, int, bool, error) {
		if data != nil {
			return data, consumed, false, nil
		}
		d.err = e
		return nil, consumed, false, e
	}
	for {
		rest := src[consumed:]
		switch d.state {
		case chunkSize:
			line, n, e := readLine(rest, maxChunkLine, errChunkLineTooLong)
			if e != nil {
				return fail(e)
			}
			if n == 0 {
				return data, consumed, false, nil
			}
			size, e := parseChunkSizeLine(line)
			if e != nil {
				return fail(e)
			}
			// Checked before the line is consumed, so that a call that
			// meets it again (after data returned first) fails the same.
			framing := int64(n)
			if size > 0 {
				framing += 2 // the CRLF after its data
			}
			// A size near 1<<63 would overflow the sum; any size beyond
			// what the framing can reach clears it alike.
			over := max(d.overhead+framing-chunkAllowance-min(size, 1<<32), 0)
			if over > maxChunkOverhead {
				return fail(errChunkOverhead)
			}
			d.overhead = over
			consumed += n
			if size == 0 {
				d.state = chunkTrailer
			} else {
				d.remain, d.state = size, chunkData
			}
		case chunkData:
			if len(rest) == 0 || data != nil {
				return data, consumed, false, nil
			}
			k := len(rest)
			if int64(k) > d.remain {
				k = int(d.remain)
			}
			data = rest[:k:k]
			consumed += k
			d.remain -= int64(k)
			if d.remain == 0 {
				d.state = chunkDataEnd
			}
		case chunkDataEnd:
			if len(rest) < 2 {
				if len(rest) == 1 && rest[0] != '\r' {
					return fail(errChunkDataEnd)
				}
				return data, consumed, false, nil
			}
			if rest[0] != '\r' || rest[1] != '\n' {
				return fail(errChunkDataEnd)
			}
			consumed += 2
			d.state = chunkSize
		case chunkTrailer:
			limit := d.MaxTrailerBytes
			if limit <= 0 {
				limit = DefaultMaxTrailerBytes
			}
			line, n, e := readLine(rest, limit-d.trailerBytes-2, errTrailerTooLarge)
			if e != nil {
				return fail(e)
			}
			if n == 0 {
				return data, consumed, false, nil
			}
			if len(line) > 0 {
				if e := d.addTrailer(line); e != nil {
					return fail(e)
				}
			}
			consumed += n
			d.trailerBytes += n
			if len(line) == 0 {
				d.state = chunkDone
				return data, consumed, true, nil
			}
		default: // chunkDone
			return data, consumed, true, nil
		}
	}
}

// Read decodes for a caller that reads the stream into a buffer of its
// own and hands each call the unconsumed rest of it, src (which Read may
// write to): it copies body bytes into p, returning how many and how many
// bytes of src it consumed. Decoded bytes that do not fit in p are moved
// to the end of what was consumed, over the framing that followed them,
// and left unconsumed: the next call returns them first. done is true
// once the body ended (Trailers hold its trailers) and every byte of it
// was returned. n == 0 with !done and a nil error means src holds nothing
// more to decode: read more. Errors are Decode's.
func (d *ChunkedDecoder) Read(p, src []byte) (n, consumed int, done bool, err error) {
	if d.pend > 0 {
		n = copy(p, src[:d.pend])
		d.pend -= n
		return n, n, d.pend == 0 && d.state == chunkDone, nil
	}
	data, consumed, done, err := d.Decode(src)
	if err != nil {
		return 0, consumed, false, err
	}
	n = copy(p, data)
	if rest := len(data) - n; rest > 0 {
		copy(src[consumed-rest:consumed], data[n:])
		consumed -= rest
		d.pend, done = rest, false
	}
	return n, consumed, done, nil
}

// readLine returns the CRLF-terminated line at the start of b, without
// the CRLF, and its length with it. n == 0 with a nil error means b does
// not hold a whole line yet. A line whose content exceeds limit fails with
// tooLong, as soon as that is certain.
func readLine(b []byte, limit int, tooLong *Error) (line []byte, n int, err *Error) {
	if limit < 0 {
		limit = -1
	}
	// Look no further than a line may reach, so a flood of bytes
	// without LF costs a bounded scan per call.
	window := b
	if len(window) > limit+2 {
		window = window[:limit+2]
	}
	lf := bytes.IndexByte(window, '\n')
	if lf < 0 {
		if len(b) > limit+1 {
			return nil, 0, tooLong
		}
		return nil, 0, nil
	}
	if lf == 0 || b[lf-1] != '\r' {
		return nil, 0, errChunkBareLF
	}
	if lf-1 > limit {
		return nil, 0, tooLong
	}
	return b[:lf-1], lf + 1, nil
}

// parseChunkSizeLine parses chunk-size [chunk-ext], refusing sizes beyond
// int64 so that no caller arithmetic on them can overflow.
func parseChunkSizeLine(line []byte) (int64, *Error) {
	var n uint64
	i := 0
	for ; i < len(line); i++ {
		v, ok := unhex(line[i])
		if !ok {
			break
		}
		if i == 16 {
			return 0, errChunkSize
		}
		n = n<<4 | uint64(v)
	}
	if i == 0 || n > 1<<63-1 {
		return 0, errChunkSize
	}
	if !validChunkExt(line[i:]) {
		return 0, errChunkExt
	}
	return int64(n), nil
}

// validChunkExt checks *( BWS ";" BWS name [ BWS "=" BWS value ] ) where
// value is a token or quoted-string. Extensions are validated even though
// they are ignored, because a lax parser here is a known smuggling vector
// (a bare LF or quote hidden in an extension).
func validChunkExt(b []byte) bool {
	for len(b) > 0 {
		b = trimLeftOWS(b)
		if len(b) == 0 || b[0] != ';' {
			return false
		}
		b = trimLeftOWS(b[1:])
		n := tokenLen(b)
		if n == 0 {
			return false
		}
		b = b[n:]
		if r := trimLeftOWS(b); len(r) > 0 && r[0] == '=' {
			b = trimLeftOWS(r[1:])
			if len(b) > 0 && b[0] == '"' {
				n = quotedStringLen(b)
			} else {
				n = tokenLen(b)
			}
			if n <= 0 {
				return false
			}
			b = b[n:]
		}
	}
	return true
}

// addTrailer validates a trailer field line like a header field and keeps
// a copy, since the caller's buffer will be reused before it reads them.
func (d *ChunkedDecoder) addTrailer(line []byte) *Error {
	limit := d.MaxTrailers
	if limit <= 0 {
		limit = DefaultMaxHeaders
	}
	if len(d.Trailers) >= limit {
		return errTooManyTrailers
	}
	name, value, err := parseFieldLine(line)
	if err != nil {
		return err
	}
	off := len(d.arena)
	d.arena = append(d.arena, name...)
	d.arena = append(d.arena, value...)
	mid, end := off+len(name), len(d.arena)
	// Earlier fields may still point into a previous arena array if
	// append moved it; that array stays alive and unchanged, so they
	// remain correct.
	d.Trailers = append(d.Trailers, Field{
		Name:  d.arena[off:mid:mid],
		Value: d.arena[mid:end:end],
	})
	return nil
}
