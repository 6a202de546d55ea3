package ssewire

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors of the codec: the encoder refuses an event with the first four,
// the decoder stops at the last.
var (
	// ErrInvalidID: an ID with CR, LF or NUL, or not UTF-8.
	ErrInvalidID = errors.New("ssewire: event ID with CR, LF or NUL, or not UTF-8")
	// ErrInvalidType: an event type with CR or LF, or not UTF-8.
	ErrInvalidType = errors.New("ssewire: event type with CR or LF, or not UTF-8")
	// ErrInvalidData: data or a comment that is not UTF-8, or a comment
	// with CR or LF.
	ErrInvalidData = errors.New("ssewire: data not UTF-8, or a comment with CR or LF")
	// ErrInvalidRetry: a negative retry.
	ErrInvalidRetry = errors.New("ssewire: negative retry")
	// ErrTooLong: a line or an event longer than the decoder's limit.
	ErrTooLong = errors.New("ssewire: line or event longer than the limit")
)

// Event is one event of a stream. ID "" writes no id field, so the
// client's last event ID stays what it was; Type "" writes no event field
// (the client dispatches a "message"); Retry 0 writes no retry field, and
// it is sent in whole milliseconds (under one, not at all).
type Event struct {
	ID    string
	Type  string
	Data  string
	Retry time.Duration
}

// Check reports why ev cannot be encoded, or nil.
func Check(ev Event) error {
	switch {
	case strings.ContainsAny(ev.ID, "\r\n\x00") || !utf8.ValidString(ev.ID):
		return fmt.Errorf("%w: %q", ErrInvalidID, ev.ID)
	case strings.ContainsAny(ev.Type, "\r\n") || !utf8.ValidString(ev.Type):
		return fmt.Errorf("%w: %q", ErrInvalidType, ev.Type)
	case !utf8.ValidString(ev.Data):
		return ErrInvalidData
	case ev.Retry < 0:
		return fmt.Errorf("%w: %v", ErrInvalidRetry, ev.Retry)
	}
	return nil
}

// Append appends ev, framed, to dst: its fields, one "data:" line per
// line of Data (at least one, so that an event with empty data is still
// dispatched), and the blank line that dispatches it. It returns dst
// unchanged and the error of Check when ev cannot be encoded.
func Append(dst []byte, ev Event) ([]byte, error) {
	if err := Check(ev); err != nil {
		return dst, err
	}
	// Room for the whole frame of an event whose data is one line, in one
	// step: grown by the appends, a frame begun in an empty buffer was
	// copied twice on the way. Data of more lines grows it as they come.
	dst = slices.Grow(dst, oneLineSize(ev))
	if ev.ID != "" {
		dst = appendField(dst, "id", ev.ID)
	}
	if ev.Type != "" {
		dst = appendField(dst, "event", ev.Type)
	}
	if ms := ev.Retry.Milliseconds(); ms > 0 {
		dst = append(dst, "retry: "...)
		dst = strconv.AppendInt(dst, ms, 10)
		dst = append(dst, '\n')
	}
	data := ev.Data
	for {
		i := strings.IndexAny(data, "\r\n")
		if i < 0 {
			dst = appendField(dst, "data", data)
			break
		}
		dst = appendField(dst, "data", data[:i])
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return append(dst, '\n'), nil
}

// oneLineSize is the length of ev's frame when its data is one line: the
// fields Append writes, each "name: value\n", and the blank line.
func oneLineSize(ev Event) int {
	n := len("data: \n\n") + len(ev.Data)
	if ev.ID != "" {
		n += len("id: \n") + len(ev.ID)
	}
	if ev.Type != "" {
		n += len("event: \n") + len(ev.Type)
	}
	if ev.Retry.Milliseconds() > 0 {
		n += len("retry: \n") + 20 // digits of an int64, at most
	}
	return n
}

// appendField writes "name: value\n". The space is always written: a
// parser drops one space after the colon, so a value that begins with a
// space keeps it.
func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, '\n')
}

// AppendComment appends a comment line and a blank line: text "" gives
// ":\n\n", the smallest thing a stream can send to show it is alive.
func AppendComment(dst []byte, text string) ([]byte, error) {
	if strings.ContainsAny(text, "\r\n") || !utf8.ValidString(text) {
		return dst, ErrInvalidData
	}
	dst = append(dst, ':')
	dst = append(dst, text...)
	return append(dst, '\n', '\n'), nil
}
