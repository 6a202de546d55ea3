package h1

import (
	"net/http"
	"testing"
	"time"
)

func TestAppendResponseHead(t *testing.T) {
	date := time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)
	var cache DateCache // shared by the cases: each sees the same second
	const d = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	for _, c := range []struct {
		name  string
		r     ResponseHead
		want  string
		f     Framing
		close bool
	}{
		{"length", ResponseHead{Minor: 1, Status: 200, ContentLength: 5},
			"HTTP/1.1 200 OK\r\n" + d + "Content-Length: 5\r\n\r\n", Length, false},
		{"chunked", ResponseHead{Minor: 1, Status: 200, ContentLength: -1},
			"HTTP/1.1 200 OK\r\n" + d + "Transfer-Encoding: chunked\r\n\r\n", Chunked, false},
		{"trailers force chunked", ResponseHead{Minor: 1, Status: 200, ContentLength: 5, Trailers: []string{"X-A", "X-B"}},
			"HTTP/1.1 200 OK\r\n" + d + "Transfer-Encoding: chunked\r\nTrailer: X-A, X-B\r\n\r\n", Chunked, false},
		{"HEAD unknown length", ResponseHead{Minor: 1, Status: 200, ContentLength: -1, Head: true},
			"HTTP/1.1 200 OK\r\n" + d + "\r\n", NoBody, false},
		{"HEAD with length", ResponseHead{Minor: 1, Status: 200, ContentLength: 7, Head: true},
			"HTTP/1.1 200 OK\r\n" + d + "Content-Length: 7\r\n\r\n", Length, false},
		{"HTTP/1.0 unknown length", ResponseHead{Minor: 0, Status: 200, ContentLength: -1},
			"HTTP/1.0 200 OK\r\n" + d + "Connection: close\r\n\r\n", UntilClose, true},
		{"HTTP/1.0 keep-alive", ResponseHead{Minor: 0, Status: 200, ContentLength: 0},
			"HTTP/1.0 200 OK\r\n" + d + "Content-Length: 0\r\nConnection: keep-alive\r\n\r\n", Length, false},
		{"204", ResponseHead{Minor: 1, Status: 204, ContentLength: 3},
			"HTTP/1.1 204 No Content\r\n" + d + "\r\n", NoBody, false},
		{"304 closing", ResponseHead{Minor: 1, Status: 304, ContentLength: -1, Close: true},
			"HTTP/1.1 304 Not Modified\r\n" + d + "Connection: close\r\n\r\n", NoBody, true},
		{"handler's Connection: close", ResponseHead{Minor: 1, Status: 200, ContentLength: 0,
			Header: map[string][]string{"Connection": {"keep-alive, Close"}}},
			"HTTP/1.1 200 OK\r\n" + d + "Content-Length: 0\r\nConnection: close\r\n\r\n", Length, true},
		{"framing fields dropped", ResponseHead{Minor: 1, Status: 200, ContentLength: 2,
			Header: map[string][]string{"Content-Length": {"9"}, "Transfer-Encoding": {"gzip"}, "Trailer": {"X"}, "X-A": {"1", "2"}}},
			"HTTP/1.1 200 OK\r\n" + d + "X-A: 1\r\nX-A: 2\r\nContent-Length: 2\r\n\r\n", Length, false},
		{"type alone", ResponseHead{Minor: 1, Status: 200, ContentLength: 1,
			Header: map[string][]string{"Content-Type": {"text/plain"}}},
			"HTTP/1.1 200 OK\r\n" + d + "Content-Type: text/plain\r\nContent-Length: 1\r\n\r\n", Length, false},
		{"type beside the header", ResponseHead{Minor: 1, Status: 200, ContentLength: 1, ContentType: "text/plain"},
			"HTTP/1.1 200 OK\r\n" + d + "Content-Type: text/plain\r\nContent-Length: 1\r\n\r\n", Length, false},
		{"type beside an empty header", ResponseHead{Minor: 1, Status: 200, ContentLength: 1, ContentType: "text/plain",
			Header: map[string][]string{}},
			"HTTP/1.1 200 OK\r\n" + d + "Content-Type: text/plain\r\nContent-Length: 1\r\n\r\n", Length, false},
		{"type beside other fields", ResponseHead{Minor: 1, Status: 200, ContentLength: 1, ContentType: "a/b",
			Header: map[string][]string{"X-A": {"1"}}},
			"HTTP/1.1 200 OK\r\n" + d + "X-A: 1\r\nContent-Type: a/b\r\nContent-Length: 1\r\n\r\n", Length, false},
		{"type beside the header's own Date", ResponseHead{Minor: 1, Status: 200, ContentLength: 1, ContentType: "a/b",
			Header: map[string][]string{"Date": {"yesterday"}}},
			"HTTP/1.1 200 OK\r\nDate: yesterday\r\nContent-Type: a/b\r\nContent-Length: 1\r\n\r\n", Length, false},
		{"type beside the header, unsafe", ResponseHead{Minor: 1, Status: 200, ContentLength: 1, ContentType: "c/d\r\nX-Evil: 1"},
			"HTTP/1.1 200 OK\r\n" + d + "Content-Type: c/d  X-Evil: 1\r\nContent-Length: 1\r\n\r\n", Length, false},
		{"type alone, two values, one unsafe", ResponseHead{Minor: 1, Status: 200, ContentLength: 1,
			Header: map[string][]string{"Content-Type": {"a/b", "c/d\r\nX-Evil: 1"}}},
			"HTTP/1.1 200 OK\r\n" + d + "Content-Type: a/b\r\nContent-Type: c/d  X-Evil: 1\r\nContent-Length: 1\r\n\r\n", Length, false},
		{"one field, not the type", ResponseHead{Minor: 1, Status: 200, ContentLength: 1,
			Header: map[string][]string{"X-A": {"1"}}},
			"HTTP/1.1 200 OK\r\n" + d + "X-A: 1\r\nContent-Length: 1\r\n\r\n", Length, false},
		// net/http and the HTTP/2 stream drop them too: written, "Set-Cookie: a=1; X: v"
		// would be a Set-Cookie field.
		{"names that are not tokens dropped", ResponseHead{Minor: 1, Status: 200, ContentLength: 0,
			Header: map[string][]string{"Set-Cookie: a=1; X": {"v"}, "X Y": {"v"}, "": {"v"}, "X-\u00e4": {"v"}, "X-A": {"1"}}},
			"HTTP/1.1 200 OK\r\n" + d + "X-A: 1\r\nContent-Length: 0\r\n\r\n", Length, false},
		{"handler's Date kept", ResponseHead{Minor: 1, Status: 200, ContentLength: 0, Header: map[string][]string{"Date": {"then"}}},
			"HTTP/1.1 200 OK\r\nDate: then\r\nContent-Length: 0\r\n\r\n", Length, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.r.Date = date
			for _, dates := range []*DateCache{nil, &cache} { // formatted each time, or once
				c.r.Dates = dates
				b, f, closed := AppendResponseHead([]byte("x"), &c.r)
				if got := string(b); got != "x"+c.want || f != c.f || closed != c.close {
					t.Errorf("cache %v: got %q, %v, %v; want %q, %v, %v", dates != nil, got, f, closed, "x"+c.want, c.f, c.close)
				}
			}
		})
	}
}

func TestBodyless(t *testing.T) {
	for code, want := range map[int]bool{100: true, 101: true, 199: true, 200: false, 204: true, 205: false, 304: true, 404: false} {
		if Bodyless(code) != want {
			t.Errorf("Bodyless(%d) = %v", code, !want)
		}
	}
}

func TestAppendError(t *testing.T) {
	for _, c := range []struct {
		status int
		msg    string
		want   string
	}{
		{400, "", "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 12\r\n\r\nBad Request\n"},
		{408, "request header timeout", "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 23\r\n\r\nrequest header timeout\n"},
	} {
		if got := string(AppendError(nil, c.status, c.msg)); got != c.want {
			t.Errorf("AppendError(%d, %q) = %q, want %q", c.status, c.msg, got, c.want)
		}
	}
}

func TestLooksHTTP1(t *testing.T) {
	for in, want := range map[string]bool{
		"GET / HTTP/1.1\r\n":       true,
		"GET / HTTP/1.0":           true,
		"PRI * HTTP/2.0\r\n\r\nSM": false,
		"\x00\x00\x12\x04\x00":     false,
		"GET /\r\nX: HTTP/1.1\r\n": false,
	} {
		if LooksHTTP1([]byte(in)) != want {
			t.Errorf("LooksHTTP1(%q) = %v", in, !want)
		}
	}
}

func TestMethod(t *testing.T) {
	for _, m := range []string{"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE", "PROPFIND", "get"} {
		if got := Method([]byte(m)); got != m {
			t.Errorf("Method(%q) = %q", m, got)
		}
	}
	b := []byte("GET")
	if n := testing.AllocsPerRun(100, func() { _ = Method(b) }); n != 0 {
		t.Errorf("Method(GET) allocates %v times", n)
	}
}

func TestTrailerHeader(t *testing.T) {
	h := http.Header(TrailerHeader([]Field{
		{Name: []byte("x-checksum"), Value: []byte("abc")},
		{Name: []byte("Content-Length"), Value: []byte("5")},
		{Name: []byte("X-Checksum"), Value: []byte("def")},
		{Name: []byte("host"), Value: []byte("evil")},
	}))
	if len(h) != 1 || len(h["X-Checksum"]) != 2 || h.Get("X-Checksum") != "abc" || h["X-Checksum"][1] != "def" {
		t.Errorf("TrailerHeader = %v, want only X-Checksum: abc, def", h)
	}
}

func TestAppendResponseHeadAllocs(t *testing.T) {
	buf := make([]byte, 0, 1024)
	r := &ResponseHead{Minor: 1, Status: 200, ContentLength: 13, Date: time.Now(),
		Header: map[string][]string{"Content-Type": {"text/plain"}}}
	if n := testing.AllocsPerRun(1000, func() { buf, _, _ = AppendResponseHead(buf[:0], r) }); n != 0 {
		t.Errorf("AppendResponseHead allocates %v times per head, want 0", n)
	}
	r.Dates = new(DateCache)
	if n := testing.AllocsPerRun(1000, func() { buf, _, _ = AppendResponseHead(buf[:0], r) }); n != 0 {
		t.Errorf("AppendResponseHead with a DateCache allocates %v times per head, want 0", n)
	}
	r.Header, r.ContentType = nil, "text/plain"
	if n := testing.AllocsPerRun(1000, func() { buf, _, _ = AppendResponseHead(buf[:0], r) }); n != 0 {
		t.Errorf("AppendResponseHead with the type beside the header allocates %v times per head, want 0", n)
	}
}

// SetClose makes a head written for a kept connection say it closes, the
// same as AppendResponseHead with Close, and leaves what follows the head.
func TestSetClose(t *testing.T) {
	date := time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)
	for _, c := range []struct {
		name string
		r    ResponseHead
	}{
		{"HTTP/1.1", ResponseHead{Minor: 1, Status: 200, ContentLength: 4, Header: http.Header{"X-A": {"b"}}}},
		{"HTTP/1.1 chunked", ResponseHead{Minor: 1, Status: 200, ContentLength: -1}},
		{"HTTP/1.0 keep-alive", ResponseHead{Minor: 0, Status: 413, ContentLength: 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.r.Date = date
			kept, _, _ := AppendResponseHead(nil, &c.r)
			c.r.Close = true
			closing, _, _ := AppendResponseHead(nil, &c.r)
			got := string(SetClose(append(kept, "body\r\n\r\n"...)))
			if want := string(closing) + "body\r\n\r\n"; got != want {
				t.Errorf("got\n%q\nwant\n%q", got, want)
			}
		})
	}
}
