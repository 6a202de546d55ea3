package ssewire

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultMaxLen bounds a line, and the data of an event, when
// Decoder.MaxLen is zero.
const DefaultMaxLen = 1 << 20

// Decoder parses an event stream by the WHATWG rules: lines end at CR,
// LF or CRLF (also when a CRLF is split between two calls of Feed); a
// leading byte order mark is dropped; a line that begins with a colon is
// a comment; one space after a field's colon is dropped; the fields event,
// data, id (ignored if it holds NUL) and retry (ignored unless all ASCII
// digits) are read and others ignored; a blank line dispatches the event,
// unless it has no data line; bytes that are not UTF-8 become U+FFFD, one
// for each maximal subpart of an ill-formed sequence, as the Encoding
// Standard's decoder has it; and what follows the last blank line when
// the stream ends is dropped.
//
// A dispatched Event carries the last event ID the stream set, in this
// event or an earlier one (as EventSource's lastEventId does), its type as
// sent ("" when it had none: a client names that "message"), its data
// lines joined by LF, and the retry field of its own block (0 if none;
// Reconnect keeps the latest).
//
// A Decoder belongs to one goroutine.
type Decoder struct {
	// MaxLen bounds a line and an event's data, in bytes. Zero means
	// DefaultMaxLen.
	MaxLen int

	// Comments counts the comment lines read (a server's heartbeats).
	Comments int
	// Reconnect is the reconnection time the last valid retry field set.
	Reconnect time.Duration

	line    []byte
	afterCR bool // the last byte fed was CR: an LF right after it ends nothing
	started bool // the first line was seen (its BOM dropped)
	data    []byte
	hasData bool
	typ     string
	idBuf   string // the last event ID buffer
	retry   time.Duration
	err     error
}

// Feed parses p and calls emit for each event it completes. After it
// returned an error (ErrTooLong) the Decoder is spent and returns it again.
func (d *Decoder) Feed(p []byte, emit func(Event)) error {
	if d.err != nil {
		return d.err
	}
	max := d.MaxLen
	if max <= 0 {
		max = DefaultMaxLen
	}
	for len(p) > 0 {
		if d.afterCR && p[0] == '\n' {
			p = p[1:]
		}
		d.afterCR = false
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			if len(d.line)+len(p) > max {
				d.err = ErrTooLong
				return d.err
			}
			d.line = append(d.line, p...)
			return nil
		}
		if len(d.line)+i > max {
			d.err = ErrTooLong
			return d.err
		}
		d.line = append(d.line, p[:i]...)
		d.afterCR = p[i] == '\r'
		p = p[i+1:]
		if err := d.processLine(max, emit); err != nil {
			d.err = err
			return err
		}
		d.line = d.line[:0]
	}
	return nil
}

// processLine interprets the complete line in d.line.
func (d *Decoder) processLine(max int, emit func(Event)) error {
	line := d.line
	if !d.started {
		d.started = true
		line = bytes.TrimPrefix(line, []byte("\uFEFF"))
	}
	if len(line) == 0 {
		d.dispatch(emit)
		return nil
	}
	if line[0] == ':' {
		d.Comments++
		return nil
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "event":
		d.typ = text(value)
	case "data":
		// Measured decoded, as the data is held: a byte that is not UTF-8
		// becomes U+FFFD, three bytes, so the received length would let
		// the data pass MaxLen up to three times over.
		v := text(value)
		if len(d.data)+len(v)+1 > max {
			return ErrTooLong
		}
		d.data = append(d.data, v...)
		d.data = append(d.data, '\n')
		d.hasData = true
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			d.idBuf = text(value)
		}
	case "retry":
		if ms, ok := digits(value); ok {
			d.retry = time.Duration(ms) * time.Millisecond
			d.Reconnect = d.retry
		}
	}
	return nil
}

// dispatch ends the current event.
func (d *Decoder) dispatch(emit func(Event)) {
	ev := Event{ID: d.idBuf, Type: d.typ, Retry: d.retry}
	hasData := d.hasData
	if hasData {
		ev.Data = string(d.data[:len(d.data)-1])
	}
	d.data, d.hasData, d.typ, d.retry = d.data[:0], false, "", 0
	if hasData && emit != nil {
		emit(ev)
	}
}

// text decodes b as UTF-8 the way the Encoding Standard's decoder does,
// which EventSource uses: each maximal subpart of an ill-formed sequence
// becomes one U+FFFD. utf8.DecodeRune takes one byte at a time there, so
// a character cut short ("\xe2\x82") would come out as two.
func text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			n = maximalSubpart(b)
		}
		sb.WriteRune(r)
		b = b[n:]
	}
	return sb.String()
}

// maximalSubpart returns the length of the ill-formed sequence at the
// start of b: its lead byte and the continuation bytes that could still
// complete it, each in the range Unicode's Table 3-7 gives for its place
// (a byte that cannot start a character is one on its own).
func maximalSubpart(b []byte) int {
	n, lo, hi := 0, byte(0x80), byte(0xBF)
	switch c := b[0]; {
	case 0xC2 <= c && c <= 0xDF:
		n = 2
	case c == 0xE0:
		n, lo = 3, 0xA0 // no overlong form
	case c == 0xED:
		n, hi = 3, 0x9F // no surrogate
	case 0xE1 <= c && c <= 0xEF:
		n = 3
	case c == 0xF0:
		n, lo = 4, 0x90 // no overlong form
	case 0xF1 <= c && c <= 0xF3:
		n = 4
	case c == 0xF4:
		n, hi = 4, 0x8F // nothing past U+10FFFF
	default:
		return 1
	}
	i := 1
	for i < n && i < len(b) && lo <= b[i] && b[i] <= hi {
		i, lo, hi = i+1, 0x80, 0xBF
	}
	return i
}

// digits parses a retry value: ASCII digits only, and small enough to be
// a time.Duration of milliseconds.
func digits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
		if n > int64(time.Duration(1<<63-1)/time.Millisecond) {
			return 0, false
		}
	}
	return n, true
}

// Normalize returns ev as a client decodes it: Data with every CR, LF and
// CRLF turned into LF, and Retry truncated to whole milliseconds.
func Normalize(ev Event) Event {
	ev.Data = strings.ReplaceAll(ev.Data, "\r\n", "\n")
	ev.Data = strings.ReplaceAll(ev.Data, "\r", "\n")
	ev.Retry = ev.Retry.Truncate(time.Millisecond)
	return ev
}
