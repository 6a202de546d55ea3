package mimepart

import (
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
)

// Errors a Parser reports. Write and Close wrap them with the detail.
var (
	// ErrMalformed: the body is not a multipart body with this boundary
	// (a bad line between parts, a malformed part header, the body ending
	// before the final delimiter).
	ErrMalformed = errors.New("mimepart: malformed multipart body")
	// ErrBoundary: the boundary is empty, longer than 70 bytes or has a
	// character RFC 2046 does not allow.
	ErrBoundary = errors.New("mimepart: invalid boundary")
	// ErrTooManyParts: the body has more than Limits.MaxParts parts.
	ErrTooManyParts = errors.New("mimepart: too many parts")
	// ErrHeaderTooLarge: a part's header section is longer than
	// Limits.MaxHeaderBytes.
	ErrHeaderTooLarge = errors.New("mimepart: part header too large")
	// ErrQuotedPrintable: a QPDecoder's input is not quoted-printable
	// that mime/quotedprintable's Reader accepts (an unescaped control
	// byte, "==", an '=' ending the data, a line of 4,096 bytes or more
	// before its LF).
	ErrQuotedPrintable = errors.New("mimepart: invalid quoted-printable data")
)

// errHeaderEOF is Close's error for a body that ends inside a part's
// header section. mime/multipart's NextPart reports io.EOF there, as if
// the body had ended cleanly, and drops the part; a truncated upload is
// rejected here instead (the one intentional difference in verdict).
var errHeaderEOF = fmt.Errorf("%w: body ends inside a part's header", ErrMalformed)

// Defaults of Limits' zero fields.
const (
	DefaultMaxParts       = 1000
	DefaultMaxHeaderBytes = 10 << 10
)

// maxLine is the longest line outside part bodies, newline excluded, plus
// one: mime/multipart reads those lines through a 4,096-byte buffer and
// fails on one that does not fit.
const maxLine = 4096

// Limits bound what a Parser accepts.
type Limits struct {
	// MaxParts is the most parts a body may have. Zero means
	// DefaultMaxParts (1,000); negative means no limit.
	MaxParts int
	// MaxHeaderBytes is the most bytes of one part's header section, its
	// line endings and its closing blank line included. Zero means
	// DefaultMaxHeaderBytes (10 KiB); negative means no limit.
	MaxHeaderBytes int
}

// Handler receives a Parser's events, on the goroutine that calls Write.
// An error it returns stops the parser: Write returns it, and so does
// every later call.
type Handler interface {
	// Header starts a part. h is the part's own; the Handler may keep it.
	Header(h textproto.MIMEHeader) error
	// Data is the next piece of the part's data, never empty. p is valid
	// only during the call.
	Data(p []byte) error
	// End ends the part.
	End() error
}

// states of a Parser.
const (
	stLine   = iota // lines outside part bodies: preamble, delimiters
	stHeader        // a part's header section
	stBody          // a part's data
	stDone          // after the final delimiter: the epilogue is ignored
)

// Parser parses one multipart body. The zero value is not usable; call
// NewParser.
type Parser struct {
	h   Handler
	lim Limits

	dashBoundary []byte // "--" boundary
	nlDash       []byte // "\r\n--" boundary, or "\n--" boundary in LF mode
	nl           []byte // "\r\n", or "\n" in LF mode
	final        []byte // "--" boundary "--"

	state   int
	parts   int
	expect  bool   // a line break after a part was seen: a delimiter must follow
	line    []byte // stLine: the line so far; stHeader: the header section so far
	lineAt  int    // stHeader: where the current header line starts in line
	atStart bool   // stBody: no data of the part passed on yet
	hold    []byte // stBody: bytes that may begin a delimiter
	err     error
}

// NewParser returns a parser for a body with the given boundary (the
// Content-Type's boundary parameter), sending events to h.
func NewParser(boundary string, lim Limits, h Handler) (*Parser, error) {
	if !validBoundary(boundary) {
		return nil, fmt.Errorf("%w: %q", ErrBoundary, boundary)
	}
	if lim.MaxParts == 0 {
		lim.MaxParts = DefaultMaxParts
	}
	if lim.MaxHeaderBytes == 0 {
		lim.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	b := []byte("\r\n--" + boundary + "--")
	return &Parser{
		h:            h,
		lim:          lim,
		nl:           b[:2],
		nlDash:       b[:len(b)-2],
		dashBoundary: b[2 : len(b)-2],
		final:        b[2:],
	}, nil
}

// validBoundary reports whether b is a boundary RFC 2046 allows: 1 to 70
// of its bchars, not ending in a space.
func validBoundary(b string) bool {
	if len(b) == 0 || len(b) > 70 || b[len(b)-1] == ' ' {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case bytes.IndexByte([]byte("'()+_,-./:=? "), c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Parts returns how many parts have begun.
func (p *Parser) Parts() int { return p.parts }

// Done reports whether the final delimiter has been read: the body is
// complete, and what follows it (the epilogue) is ignored.
func (p *Parser) Done() bool { return p.state == stDone }

// Write parses the next bytes of the body. It returns len(b) and nil, or
// the error that stopped the parser (sticky: every later call returns it,
// with 0) and how many bytes of b it took before it stopped: to the end
// of the line or header section it refused, or, for one over a size
// limit, to the last byte within it. A caller that hands the same bytes to
// another reader (formdata's Parse, to mime/multipart) passes those on,
// so that what they hold is acted on before the error, in the order a
// Handler sees it.
func (p *Parser) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	rest := p.feed(b)
	if p.err != nil {
		return len(b) - len(rest), p.err
	}
	return len(b), nil
}

// feed runs b through the states until it is consumed or an error stops
// the parser, and returns what was not taken.
func (p *Parser) feed(b []byte) []byte {
	for len(b) > 0 && p.err == nil {
		switch p.state {
		case stLine:
			b = p.writeLine(b)
		case stHeader:
			b = p.writeHeader(b)
		case stBody:
			b = p.writeBody(b)
		default:
			return nil // the epilogue: ignored
		}
	}
	return b
}

// Close tells the parser the body has ended. It returns nil if the final
// delimiter was read, and an error wrapping ErrMalformed otherwise.
func (p *Parser) Close() error {
	if p.err != nil {
		return p.err
	}
	switch {
	case p.state == stDone:
		return nil
	case p.state == stLine && p.isFinal(p.line):
		// A final delimiter without its line break ends the body too.
		p.state = stDone
		return nil
	case p.state == stHeader:
		p.err = errHeaderEOF
		return p.err
	}
	p.err = fmt.Errorf("%w: unexpected end of body", ErrMalformed)
	return p.err
}

func (p *Parser) fail(err error) { p.err = err }

// writeLine collects a line outside part bodies and acts on it when it is
// complete, as mime/multipart's NextPart does. Stopped by an error, it
// returns the bytes after the line it refused, or after the line's first
// maxLine-1 bytes if it is too long.
func (p *Parser) writeLine(b []byte) []byte {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(p.line)+len(b) >= maxLine {
			p.fail(fmt.Errorf("%w: line of %d bytes or more outside a part", ErrMalformed, maxLine))
			return b[maxLine-1-len(p.line):]
		}
		p.line = append(p.line, b...)
		return nil
	}
	if len(p.line)+i >= maxLine {
		p.fail(fmt.Errorf("%w: line of %d bytes or more outside a part", ErrMalformed, maxLine))
		return b[maxLine-1-len(p.line):]
	}
	p.line = append(p.line, b[:i+1]...)
	p.onLine(p.line)
	p.line = p.line[:0]
	return b[i+1:]
}

// onLine acts on a complete line outside part bodies.
func (p *Parser) onLine(line []byte) {
	switch {
	case p.isDelimiter(line):
		p.parts++
		if p.lim.MaxParts > 0 && p.parts > p.lim.MaxParts {
			p.fail(fmt.Errorf("%w: more than %d", ErrTooManyParts, p.lim.MaxParts))
			return
		}
		p.state, p.expect, p.lineAt = stHeader, false, 0
	case p.isFinal(line):
		p.state = stDone
	case p.expect:
		p.fail(fmt.Errorf("%w: expected a delimiter line, got %.40q", ErrMalformed, line))
	case p.parts == 0:
		// The preamble: skipped.
	case bytes.Equal(line, p.nl):
		p.expect = true
	default:
		p.fail(fmt.Errorf("%w: unexpected line %.40q after a part", ErrMalformed, line))
	}
}

// isDelimiter reports whether line is a delimiter line: "--" boundary,
// optional blanks, a line break. A first delimiter ending in a bare LF
// switches the parser to LF line breaks, as mime/multipart does.
func (p *Parser) isDelimiter(line []byte) bool {
	if !bytes.HasPrefix(line, p.dashBoundary) {
		return false
	}
	rest := skipBlanks(line[len(p.dashBoundary):])
	if p.parts == 0 && len(rest) == 1 && rest[0] == '\n' {
		p.nl = p.nl[1:]
		p.nlDash = p.nlDash[1:]
	}
	return bytes.Equal(rest, p.nl)
}

// isFinal reports whether line is the final delimiter: "--" boundary "--",
// optional blanks, a line break or nothing.
func (p *Parser) isFinal(line []byte) bool {
	if !bytes.HasPrefix(line, p.final) {
		return false
	}
	rest := skipBlanks(line[len(p.final):])
	return len(rest) == 0 || bytes.Equal(rest, p.nl)
}

func skipBlanks(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// writeHeader collects a part's header section up to its blank line, then
// parses it and starts the part's body. Stopped by an error, it returns
// the bytes after the section it refused, or after its first
// MaxHeaderBytes bytes if it is too large.
func (p *Parser) writeHeader(b []byte) []byte {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		chunk := b
		if i >= 0 {
			chunk = b[:i+1]
		}
		if p.lim.MaxHeaderBytes > 0 && len(p.line)+len(chunk) > p.lim.MaxHeaderBytes {
			p.fail(fmt.Errorf("%w: part %d's header over %d bytes", ErrHeaderTooLarge, p.parts, p.lim.MaxHeaderBytes))
			return b[p.lim.MaxHeaderBytes-len(p.line):]
		}
		p.line = append(p.line, chunk...)
		b = b[len(chunk):]
		if i < 0 {
			return nil
		}
		ln := p.line[p.lineAt : len(p.line)-1]
		if len(ln) == 0 || len(ln) == 1 && ln[0] == '\r' {
			h, err := parseHeader(p.line[:p.lineAt])
			p.line = p.line[:0]
			if err != nil {
				p.fail(fmt.Errorf("%w: part %d: %v", ErrMalformed, p.parts, err))
				return b
			}
			if err := p.h.Header(h); err != nil {
				p.fail(err)
				return b
			}
			p.state, p.atStart = stBody, true
			return b
		}
		p.lineAt = len(p.line)
	}
	return nil
}

// writeBody passes a part's data on up to the delimiter that ends it,
// holding back the bytes that may begin one until the next Write decides.
func (p *Parser) writeBody(b []byte) []byte {
	if len(p.hold) > 0 {
		// Enough bytes for the scan to decide: a delimiter and the two
		// bytes after it.
		need := len(p.nlDash) + 2
		take := min(len(b), need-len(p.hold))
		p.hold = append(p.hold, b[:take]...)
		b0 := b
		b = b[take:]
		n, found := p.scan(p.hold)
		p.emit(p.hold[:n])
		if p.err != nil {
			return b
		}
		if found {
			var rest [80]byte // a delimiter and two bytes: at most 76
			k := copy(rest[:], p.hold[n:])
			p.hold = p.hold[:0]
			p.endPart()
			if left := p.feed(rest[:k]); p.err != nil {
				// What the error left of the held bytes: those of b
				// are not taken (the earlier ones were, by earlier
				// Writes).
				return b0[max(0, take-len(left)):]
			}
			return b
		}
		k := copy(p.hold, p.hold[n:])
		p.hold = p.hold[:k]
		return b
	}
	n, found := p.scan(b)
	p.emit(b[:n])
	if p.err != nil {
		return b[n:]
	}
	if found {
		p.endPart()
		return b[n:]
	}
	if n > 0 {
		return b[n:] // data up to a non-delimiter: scan on from there
	}
	p.hold = append(p.hold, b...)
	return nil
}

func (p *Parser) emit(data []byte) {
	if len(data) == 0 {
		return
	}
	p.atStart = false
	if err := p.h.Data(data); err != nil {
		p.fail(err)
	}
}

func (p *Parser) endPart() {
	p.state = stLine
	if err := p.h.End(); err != nil {
		p.fail(err)
	}
}

// scan returns how many bytes at the start of buf are surely part data,
// and whether a delimiter begins right after them (found). Otherwise the
// bytes after n may begin one, and more input decides. It decides as
// mime/multipart's scanUntilBoundary does, before the body's end.
func (p *Parser) scan(buf []byte) (n int, found bool) {
	if p.atStart {
		// Right after the header's blank line, a delimiter needs no line
		// break of its own.
		if bytes.HasPrefix(buf, p.dashBoundary) {
			switch matchAfter(buf, p.dashBoundary) {
			case -1:
				return len(p.dashBoundary), false
			case 0:
				return 0, false
			default:
				return 0, true
			}
		}
		if bytes.HasPrefix(p.dashBoundary, buf) {
			return 0, false
		}
	}
	if i := bytes.Index(buf, p.nlDash); i >= 0 {
		switch matchAfter(buf[i:], p.nlDash) {
		case -1:
			return i + len(p.nlDash), false
		case 0:
			return i, false
		default:
			return i, true
		}
	}
	if bytes.HasPrefix(p.nlDash, buf) {
		return 0, false
	}
	if i := bytes.LastIndexByte(buf, p.nlDash[0]); i >= 0 && bytes.HasPrefix(p.nlDash, buf[i:]) {
		return i, false
	}
	return len(buf), false
}

// matchAfter tells, for buf starting with prefix (a delimiter), whether
// the delimiter ends there: +1 if a blank, a line break or "--" follows,
// -1 if something else does (the boundary is a prefix of a longer word),
// 0 if buf ends too soon to say.
func matchAfter(buf, prefix []byte) int {
	if len(buf) == len(prefix) {
		return 0
	}
	switch c := buf[len(prefix)]; c {
	case ' ', '\t', '\r', '\n':
		return +1
	case '-':
		if len(buf) == len(prefix)+1 {
			return 0
		}
		if buf[len(prefix)+1] == '-' {
			return +1
		}
	}
	return -1
}
