package http2

import (
	"errors"
	"strings"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Header blocks are read here rather than by x/net's Framer
// (Framer.ReadMetaHeaders), for two things it cannot do:
//
//   - A header list over the limit is answered 431 and the connection goes
//     on, whatever its fields. The whole block goes through the HPACK
//     decoder, so that its dynamic table stays the client's (RFC 9113
//     §10.5.1: a block is processed, to keep the connection's state
//     consistent, unless the connection closes); fields past the limit are
//     decoded without being kept. The Framer's decoder takes no string
//     longer than the list limit, and one such field ends the connection
//     with COMPRESSION_ERROR.
//   - The frames of a block are read one by one under ReadHeaderTimeout,
//     from the HEADERS frame's header on, whether other streams are open
//     or not.
//
// Of a block's size, only its encoded bytes end the connection, an empty
// frame counting its header: past maxHeaderBlock it is a flood, not a
// request, and nothing is answered on it (GOAWAY ENHANCE_YOUR_CALM).

// headerBlock is the header block being read: a HEADERS frame and the
// CONTINUATION frames that follow it. The reader's own.
type headerBlock struct {
	active     bool
	head       xhttp2.HeadersFrame // a copy: the framer reuses its frames
	fields     []hpack.HeaderField // kept, up to the header list limit
	size       int                 // of the fields kept, as SETTINGS_MAX_HEADER_LIST_SIZE counts
	encoded    int                 // bytes of the block so far, and a frame header per empty frame
	truncated  bool                // fields were dropped: over the list limit
	sawRegular bool
	invalid    error // why the block is malformed (a stream error)
}

// maxHeaderBlock bounds the encoded bytes of one header block: four header
// list limits, so that a list over the limit, even in one field, is read
// to its end and answered 431 rather than ending the connection.
func (hc *serverConn) maxHeaderBlock() int { return 4 * hc.maxHeaderList() }

// newHeaderDecoder makes the connection's HPACK decoder. Strings may be
// as long as a whole block decodes to (Huffman coding shortens by 8/5 at
// most): a longer one could not be in a block that is read.
func (hc *serverConn) newHeaderDecoder() *hpack.Decoder {
	d := hpack.NewDecoder(4096, hc.onField)
	d.SetMaxStringLength(2 * hc.maxHeaderBlock())
	return d
}

// h2FrameHeaderLen is the length of a frame's header.
const h2FrameHeaderLen = 9

// readFrame reads the next frame once all of it is buffered: until then
// it fails as the connection's read does (api.ErrWouldBlock on a Waiter,
// a deadline), consuming nothing, so that the next call starts the frame
// again. A HEADERS frame starts the head timer unless the whole block is
// there at once.
func (hc *serverConn) readFrame() (xhttp2.Frame, error) {
	hdr, err := hc.br.Peek(h2FrameHeaderLen)
	if err != nil {
		return nil, err
	}
	length := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2])
	typ, flags := xhttp2.FrameType(hdr[3]), xhttp2.Flags(hdr[4])
	if typ == xhttp2.FrameHeaders && !hc.blk.active && hc.headBy.IsZero() &&
		(!flags.Has(xhttp2.FlagHeadersEndHeaders) || hc.br.Buffered() < h2FrameHeaderLen+length) {
		hc.mu.Lock()
		hc.headBy = time.Now().Add(hc.lim.ReadHeaderTimeout)
		hc.idleDeadlineLocked()
		hc.mu.Unlock()
	}
	if length <= h2MaxFrame { // a larger one fails as soon as its header is read
		if _, err := hc.br.Peek(h2FrameHeaderLen + length); err != nil {
			return nil, err
		}
	}
	fh, err := hc.fr.ReadFrameHeader()
	if err != nil {
		return nil, err
	}
	f, err := hc.fr.ReadFrameForHeader(fh)
	if _, ok := asStreamError(err); ok && fh.Type == xhttp2.FrameHeaders {
		// A HEADERS frame that does not parse (its padding longer than
		// it): its fragment never reached the decoder, so the HPACK state
		// is lost with it.
		return nil, h2ConnectionError{xhttp2.ErrCodeProtocol, "malformed HEADERS frame"}
	}
	return f, err
}

// asStreamError is errors.As(err, &se) for a StreamError se, without
// making se on the heap (where errors.As's target goes) when err is nil,
// as it is for nearly every frame, or is the framer's StreamError itself.
func asStreamError(err error) (xhttp2.StreamError, bool) {
	if err == nil {
		return xhttp2.StreamError{}, false
	}
	if se, ok := err.(xhttp2.StreamError); ok {
		return se, true
	}
	var se xhttp2.StreamError
	return se, errors.As(err, &se)
}

// onHeadersFrame starts a header block.
func (hc *serverConn) onHeadersFrame(f *xhttp2.HeadersFrame) error {
	b := &hc.blk
	fields := b.fields[:0]
	if fields == nil {
		fields = hc.srv.getFields() // the reader gave it back while the connection was quiet
	}
	clear(b.fields)
	*b = headerBlock{active: true, head: *f, fields: fields}
	hc.hdec.SetEmitEnabled(true)
	return hc.onFragment(f.HeaderBlockFragment(), f.HeadersEnded())
}

// onFragment decodes a fragment of the header block, and handles the
// block once it ends.
func (hc *serverConn) onFragment(frag []byte, end bool) error {
	b := &hc.blk
	// An empty frame counts its header instead: a flood of empty
	// CONTINUATION frames adds nothing to the fields and is still work to
	// read. The headers of frames that carry the block do not count, so
	// that a block within the limit is read whole however finely it is
	// split: its frames are no more than its bytes.
	if len(frag) == 0 {
		b.encoded += h2FrameHeaderLen
	}
	b.encoded += len(frag)
	if b.encoded > hc.maxHeaderBlock() {
		return h2ConnectionError{xhttp2.ErrCodeEnhanceYourCalm, "header block too large"}
	}
	if _, err := hc.hdec.Write(frag); err != nil {
		return h2ConnectionError{xhttp2.ErrCodeCompression, "header block does not decode"}
	}
	if !end {
		return nil
	}
	if err := hc.hdec.Close(); err != nil {
		return h2ConnectionError{xhttp2.ErrCodeCompression, "header block ends inside a field"}
	}
	b.active = false
	hc.mu.Lock()
	hc.headBy = time.Time{}
	hc.idleDeadlineLocked()
	hc.mu.Unlock()
	if b.invalid == nil {
		b.invalid = checkPseudos(b.fields)
	}
	id := b.head.StreamID
	if b.invalid != nil {
		if hc.idle(id) {
			if id%2 == 0 {
				return h2ConnectionError{xhttp2.ErrCodeProtocol, "even stream id from a client"}
			}
			hc.openID(id) // a malformed request: the stream opened and ended
		} else if st, err := hc.usedStream(id); st == nil {
			return err // not a stream to reset: answered as a well-formed block is
		}
		hc.refused(0, "http2: request reset: ", xhttp2.ErrCodeProtocol)
		return hc.resetStream(id, xhttp2.ErrCodeProtocol)
	}
	return hc.onHeaders(&xhttp2.MetaHeadersFrame{HeadersFrame: &b.head, Fields: b.fields, Truncated: b.truncated})
}

// onField is the HPACK decoder's emit function: it checks and keeps a
// field of the block, or drops it once the list is over its limit (the
// decoder's emitting is then off: only the dynamic table is kept up).
func (hc *serverConn) onField(f hpack.HeaderField) {
	b := &hc.blk
	switch {
	case !validFieldValue(f.Value):
		b.invalid = errH2FieldValue
	case strings.HasPrefix(f.Name, ":"):
		if b.sawRegular {
			b.invalid = errH2PseudoAfter
		}
	case !validFieldName(f.Name):
		b.invalid = errH2FieldName
	default:
		b.sawRegular = true
	}
	if b.invalid != nil {
		hc.hdec.SetEmitEnabled(false) // malformed: the rest is only decoded
		return
	}
	size := int(f.Size())
	if b.size+size > hc.maxHeaderList() {
		b.truncated = true
		hc.hdec.SetEmitEnabled(false)
		return
	}
	b.size += size
	// White space around a value is taken off, as HTTP/1.1's parser takes
	// it off (RFC 9110 §5.5), so that " x" reaches a handler as "x" on
	// every protocol. RFC 9113 §8.2.1 calls such a field malformed, but
	// a reset for it would cost more than it protects: Go's client sends
	// such values as given and retries a request reset with
	// PROTOCOL_ERROR until its own timeout, where net/http's server takes
	// it. (The size counted is the field's as sent.) Pseudo-header fields
	// and Content-Length, which frame the request, are checked as sent:
	// such a value there stays malformed.
	if n := len(f.Value); n > 0 && (isWhitespace(f.Value[0]) || isWhitespace(f.Value[n-1])) && f.Name[0] != ':' && f.Name != "content-length" {
		f.Value = strings.Trim(f.Value, " \t")
	}
	b.fields = append(b.fields, f)
}

// checkPseudos reports a pseudo-header field that appears twice. Which
// ones a request may have is parseRequest's to judge.
func checkPseudos(fields []hpack.HeaderField) error {
	for i, f := range fields {
		if !strings.HasPrefix(f.Name, ":") {
			break // pseudo-header fields come first (onField checked)
		}
		for _, g := range fields[:i] {
			if g.Name == f.Name {
				return errH2PseudoRepeat
			}
		}
	}
	return nil
}

// validFieldName reports whether a regular field name is a token without
// upper-case letters (RFC 9113 §8.2.1).
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validFieldValue reports whether a field value holds no control byte but
// the horizontal tab (RFC 9110 §5.5; RFC 9113 §8.2.1 forbids NUL, CR and
// LF outright).
func validFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
