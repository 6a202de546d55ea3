package h1

import (
	"sync/atomic"
	"time"
)

// DateCache formats the Date field once a second for all the responses of
// that second: a date has a resolution of one second (RFC 9110 §5.6.7), so
// formatting it for every response would write the same bytes again. The
// zero value is ready; any goroutine may use it.
type DateCache struct {
	cur atomic.Pointer[dateText]
}

// dateText is the Date of one second, as a field line and as a value.
type dateText struct {
	unix  int64
	field []byte // "Date: " value "\r\n"
	value string
}

// load returns the text for now's second, formatting it if the cache holds
// another. Two goroutines that find it stale at once both format it; the
// last one stored is as good as the other.
func (c *DateCache) load(now time.Time) *dateText {
	sec := now.Unix()
	if d := c.cur.Load(); d != nil && d.unix == sec {
		return d
	}
	b := appendDateField(make([]byte, 0, len("Date: Mon, 02 Jan 2006 15:04:05 GMT\r\n")), now)
	b = b[:len(b):len(b)] // an append to the field copies it, never writes into it
	d := &dateText{unix: sec, field: b, value: string(b[len("Date: ") : len(b)-2])}
	c.cur.Store(d)
	return d
}

// Field returns the Date field line for now ("Date: ...\r\n"). The caller
// must not change it.
func (c *DateCache) Field(now time.Time) []byte { return c.load(now).field }

// Value returns the Date field's value for now, as AppendDate formats it.
func (c *DateCache) Value(now time.Time) string { return c.load(now).value }

// appendDateField appends the Date field line for t, "Date: ...\r\n".
func appendDateField(dst []byte, t time.Time) []byte {
	dst = append(dst, "Date: "...)
	dst = AppendDate(dst, t)
	return append(dst, "\r\n"...)
}
