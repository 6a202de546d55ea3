package h1

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// ResponseHead is what a connector knows when it writes a response head:
// the handler's status and fields, and what the request and the
// connection decided about framing.
type ResponseHead struct {
	// Minor is the request's minor version; the response's is the same.
	Minor  int
	Status int
	// ContentType, if not empty, is written as the Content-Type field;
	// Header then holds none.
	ContentType string
	// Header holds the handler's fields. Its framing fields
	// (Content-Length, Transfer-Encoding, Connection, Trailer) are not
	// copied: the framing below decides them. Nor are names that are not
	// tokens, which no field line can carry.
	Header map[string][]string
	// ContentLength is the body's length, or -1 if unknown: the body is
	// then chunked on HTTP/1.1 and ended by the close on HTTP/1.0.
	ContentLength int64
	// Trailers names the trailer fields to announce; a body with
	// trailers is chunked whatever its length.
	Trailers []string
	// Head says the request was HEAD: the head is framed, but no chunked
	// body follows.
	Head bool
	// Close says the connection closes after this response.
	Close bool
	// Date is written as the Date field unless Header has one.
	Date time.Time
	// Dates, if set, formats Date: responses of the same second share
	// one formatting.
	Dates *DateCache
}

// Framing is how the body after a response head is delimited.
type Framing uint8

const (
	// NoBody: nothing follows the head (a 1xx, 204 or 304 status, or the
	// answer to HEAD when the length is unknown).
	NoBody Framing = iota
	// Length: Content-Length was written; the body is that long.
	Length
	// Chunked: Transfer-Encoding: chunked was written (AppendChunkHeader,
	// AppendChunkEnd, AppendLastChunk frame the body).
	Chunked
	// UntilClose: HTTP/1.0 without a length, which only the close can end.
	UntilClose
)

// Bodyless reports whether a response with this status never has a body
// (RFC 9112 §6.3): 1xx, 204 and 304.
func Bodyless(status int) bool {
	return status < 200 || status == 204 || status == 304
}

// AppendResponseHead appends the status line, the Date field, the
// handler's fields and type, the framing fields, Connection and the CRLF
// that ends the head. It returns how the body is framed and whether the
// connection closes after the response: because r.Close says so, because
// the handler's Connection field holds "close", or because only the close
// can end the body.
func AppendResponseHead(dst []byte, r *ResponseHead) (b []byte, f Framing, close bool) {
	h := r.Header
	close = r.Close
	b = AppendStatusLine(dst, r.Minor, r.Status)
	if len(h) == 0 {
		// The commonest header, none beside ContentType: no Date to look
		// up, no map to walk (starting a walk costs even on an empty map).
		b = r.appendDate(b)
	} else if types, ok := onlyType(h); ok {
		// The common header, the response's type alone, is written
		// without walking the map: a walk starts at a random place,
		// which costs more than the field it finds.
		b = r.appendDate(b)
		for _, v := range types {
			b = appendContentType(b, v)
		}
	} else {
		if _, ok := h["Date"]; !ok {
			b = r.appendDate(b)
		}
		for k, vs := range h {
			name := k
			if f := FramingField(k); f != "" {
				name = f // in whatever case the handler wrote it
			}
			switch name {
			case "Connection": // not copied, but a "close" in it is heeded
				if ListsToken(vs, "close") {
					close = true
				}
				continue
			case "Content-Length", "Transfer-Encoding", "Trailer":
				continue
			}
			if !IsTokenString(k) {
				// Not a field name (net/http and HTTP/2 drop it too):
				// written, "Set-Cookie: a=1; X" would be a Set-Cookie
				// field, set by whoever chose the name.
				continue
			}
			for _, v := range vs {
				b = AppendField(b, k, v)
			}
		}
	}
	if r.ContentType != "" {
		b = appendContentType(b, r.ContentType)
	}
	switch {
	case Bodyless(r.Status):
		f = NoBody
	case r.ContentLength >= 0 && len(r.Trailers) == 0:
		f = Length
		b = AppendContentLength(b, r.ContentLength)
	case r.Head: // no body follows, whatever its length: no close needed to end it on HTTP/1.0
		f = NoBody
	case r.Minor >= 1:
		f = Chunked
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
		if len(r.Trailers) > 0 {
			b = AppendField(b, "Trailer", strings.Join(r.Trailers, ", "))
		}
	default:
		f, close = UntilClose, true
	}
	switch {
	case close:
		b = append(b, "Connection: close\r\n"...)
	case r.Minor == 0:
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	return append(b, "\r\n"...), f, close
}

// SetClose rewrites the head at the start of b, which AppendResponseHead
// wrote for a connection kept alive, to say that the connection closes
// after the response, and returns b with whatever followed the head still
// after it. The first empty line in b ends the head: no field line of
// AppendResponseHead's holds a CR or LF.
func SetClose(b []byte) []byte {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return b
	}
	end += 2 // past the last field's CRLF, before the empty line
	const keepAlive, close = "Connection: keep-alive\r\n", "Connection: close\r\n"
	if bytes.HasSuffix(b[:end], []byte(keepAlive)) { // HTTP/1.0
		start := end - len(keepAlive)
		n := copy(b[start:], close)
		return append(b[:start+n], b[end:]...)
	}
	b = append(b, close...)
	copy(b[end+len(close):], b[end:len(b)-len(close)])
	copy(b[end:], close)
	return b
}

// appendContentType is AppendField for a Content-Type field: its name, a
// constant, needs no look for unsafe bytes, only its value does.
func appendContentType(dst []byte, v string) []byte {
	dst = append(dst, "Content-Type: "...)
	dst = appendSafe(dst, v)
	return append(dst, '\r', '\n')
}

// onlyType returns the values of h's Content-Type when it is h's only
// field.
func onlyType(h map[string][]string) ([]string, bool) {
	if len(h) != 1 {
		return nil, false
	}
	vs, ok := h["Content-Type"]
	return vs, ok
}

// appendDate appends the Date field of r.Date.
func (r *ResponseHead) appendDate(b []byte) []byte {
	if r.Dates != nil {
		return append(b, r.Dates.Field(r.Date)...)
	}
	return appendDateField(b, r.Date)
}

// AppendContentLength appends the Content-Length field for n bytes.
func AppendContentLength(dst []byte, n int64) []byte {
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, "\r\n"...)
}

// AppendError appends a whole HTTP/1.1 response that answers a request
// refused before any handler saw it: the status, msg (the reason phrase if
// empty) and a newline as a plain-text body, and "Connection: close", for
// the connection closes after it.
func AppendError(dst []byte, status int, msg string) []byte {
	if msg == "" {
		msg = StatusText(status)
	}
	b := AppendStatusLine(dst, 1, status)
	b = AppendField(b, "Content-Type", "text/plain; charset=utf-8")
	b = AppendField(b, "Connection", "close")
	b = AppendContentLength(b, int64(len(msg)+1))
	b = append(b, "\r\n"...)
	b = append(b, msg...)
	return append(b, '\n')
}

// LooksHTTP1 reports whether b's first line ends in an HTTP/1 version: a
// connector that cannot parse b tells an HTTP/1 request it answers with
// an error from another protocol's bytes, which it must not.
func LooksHTTP1(b []byte) bool {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return bytes.Contains(line, []byte(" HTTP/1."))
}

var methods = [...]string{"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"}

// Method returns a parsed method as a string, without allocating for
// the common ones.
func Method(b []byte) string {
	for _, m := range methods {
		if string(b) == m {
			return m
		}
	}
	return string(b)
}
