package h1

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAppendStatusLine(t *testing.T) {
	for _, c := range []struct {
		minor, code int
		want        string
	}{
		{1, 200, "HTTP/1.1 200 OK\r\n"},
		{0, 404, "HTTP/1.0 404 Not Found\r\n"},
		{1, 100, "HTTP/1.1 100 Continue\r\n"},
		{1, 101, "HTTP/1.1 101 Switching Protocols\r\n"},
		{1, 431, "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
		{1, 505, "HTTP/1.1 505 HTTP Version Not Supported\r\n"},
		{1, 599, "HTTP/1.1 599 \r\n"},
		{1, 299, "HTTP/1.1 299 \r\n"},
		{1, 999, "HTTP/1.1 999 \r\n"},
		{7, 204, "HTTP/1.1 204 No Content\r\n"},
	} {
		if got := string(AppendStatusLine([]byte("x"), c.minor, c.code)); got != "x"+c.want {
			t.Errorf("AppendStatusLine(%d, %d) = %q, want %q", c.minor, c.code, got, c.want)
		}
	}
	for _, code := range []int{-1, 0, 99, 1000} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AppendStatusLine(%d) did not panic", code)
				}
			}()
			AppendStatusLine(nil, 1, code)
		}()
	}
}

func TestStatusText(t *testing.T) {
	for code := -5; code < 1100; code++ {
		if got, std := StatusText(code), http.StatusText(code); got != std {
			t.Errorf("StatusText(%d) = %q, net/http says %q", code, got, std)
		}
	}
	for _, code := range []int{200, 204, 301, 304, 400, 404, 413, 414, 431, 500, 501, 505} {
		if StatusText(code) == "" {
			t.Errorf("StatusText(%d) is empty", code)
		}
	}
	if StatusText(306) != "" || StatusText(600) != "" || StatusText(-1) != "" {
		t.Error("unexpected phrase for unassigned code")
	}
}

func TestAppendField(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{"Content-Type", "text/plain", "Content-Type: text/plain\r\n"},
		{"X-Empty", "", "X-Empty: \r\n"},
		{"X-Inject", "a\r\nSet-Cookie: x=1", "X-Inject: a  Set-Cookie: x=1\r\n"},
		{"X-Split\r\n\r\n<html>", "v", "X-Split    <html>: v\r\n"},
		{"X-Nul", "a\x00b\nc\rd", "X-Nul: a b c d\r\n"},
		{"X-Keep", "tab\there, ü, \xff", "X-Keep: tab\there, ü, \xff\r\n"},
		{"X-Ctl", "a\x01b\x1fc\x7fd\x0e", "X-Ctl: a b c d \r\n"}, // Go's client refuses a head with them
	} {
		if got := string(AppendField([]byte("x"), c.name, c.value)); got != "x"+c.want {
			t.Errorf("AppendField(%q, %q) = %q, want %q", c.name, c.value, got, c.want)
		}
	}
}

func TestAppendHeader(t *testing.T) {
	h := map[string][]string{
		"Content-Type": {"text/html"},
		"Set-Cookie":   {"a=1", "b=2"},
		"X-Bad":        {"x\ry"},
		"X-None":       {},
		// Not field names: trailers are written through here, and
		// "Set-Cookie: b=3; X: v" would be a Set-Cookie field.
		"Set-Cookie: b=3; X": {"v"},
		"X Y":                {"v"},
	}
	got := string(AppendHeader(nil, h))
	lines := strings.SplitAfter(got, "\r\n")
	lines = lines[:len(lines)-1] // empty after the final CRLF
	want := []string{"Content-Type: text/html\r\n", "Set-Cookie: a=1\r\n", "Set-Cookie: b=2\r\n", "X-Bad: x y\r\n"}
	if strings.Join(lines, "") != got {
		t.Fatalf("output not CRLF-terminated lines: %q", got)
	}
	// Values of one name keep their order; names come in any order.
	if i, j := strings.Index(got, "a=1"), strings.Index(got, "b=2"); i > j {
		t.Errorf("Set-Cookie values reordered: %q", got)
	}
	slices.Sort(lines)
	if !slices.Equal(lines, want) {
		t.Errorf("AppendHeader = %q, want (any order) %q", lines, want)
	}
	if got := AppendHeader([]byte("x"), nil); string(got) != "x" {
		t.Errorf("AppendHeader(nil) = %q", got)
	}
}

func TestAppendChunkFraming(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{1, "1\r\n"}, {10, "a\r\n"}, {26, "1a\r\n"}, {4096, "1000\r\n"}, {1<<31 - 1, "7fffffff\r\n"},
	} {
		if got := string(AppendChunkHeader([]byte("x"), c.n)); got != "x"+c.want {
			t.Errorf("AppendChunkHeader(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	for _, n := range []int{0, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AppendChunkHeader(%d) did not panic", n)
				}
			}()
			AppendChunkHeader(nil, n)
		}()
	}
	if got := string(AppendChunkEnd([]byte("data"))); got != "data\r\n" {
		t.Errorf("AppendChunkEnd = %q", got)
	}
	if got := string(AppendLastChunk(nil, nil)); got != "0\r\n\r\n" {
		t.Errorf("AppendLastChunk(nil) = %q", got)
	}
	if got := string(AppendLastChunk(nil, map[string][]string{"X-Sum": {"abc"}})); got != "0\r\nX-Sum: abc\r\n\r\n" {
		t.Errorf("AppendLastChunk = %q", got)
	}
}

// TestChunkRoundTrip checks that what the encoders write, the decoder
// reads back, trailers included.
func TestChunkRoundTrip(t *testing.T) {
	var enc, want []byte
	for _, n := range []int{1, 15, 16, 255, 4097} {
		chunk := []byte(strings.Repeat(string(rune('a'+n%26)), n))
		enc = AppendChunkHeader(enc, n)
		enc = append(enc, chunk...)
		enc = AppendChunkEnd(enc)
		want = append(want, chunk...)
	}
	enc = AppendLastChunk(enc, map[string][]string{"X-Checksum": {"abc"}, "X-Count": {"5"}})
	res := runDecoder(t, enc, 0, 0)
	if !res.done || res.err != nil || string(res.data) != string(want) || res.consumed != len(enc) || len(res.trailers) != 4 {
		t.Fatalf("round trip: done=%v err=%v len=%d consumed=%d/%d trailers=%q", res.done, res.err, len(res.data), res.consumed, len(enc), res.trailers)
	}
}

func TestAppendDate(t *testing.T) {
	times := []time.Time{
		time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC),
		time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC),
		time.Date(2000, 2, 29, 0, 0, 0, 999999999, time.UTC),
		time.Date(2024, 12, 31, 23, 59, 59, 0, time.FixedZone("X", -7*3600)),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Unix(0, 0),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		times = append(times, time.Unix(r.Int64N(1<<35), 0))
	}
	for _, tm := range times {
		want := tm.UTC().Format(http.TimeFormat)
		if got := string(AppendDate([]byte("x"), tm)); got != "x"+want {
			t.Fatalf("AppendDate(%v) = %q, want %q", tm, got, want)
		}
	}
	if got := string(AppendDate(nil, time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC))); got != "Sun, 06 Nov 1994 08:49:37 GMT" {
		t.Errorf("RFC 9110 example = %q", got)
	}
}

func TestEncodeAllocs(t *testing.T) {
	buf := make([]byte, 0, 1024)
	now := time.Now()
	h := map[string][]string{"Content-Type": {"text/plain"}, "X-Req": {"1"}}
	allocs := testing.AllocsPerRun(1000, func() {
		b := AppendStatusLine(buf[:0], 1, 200)
		b = AppendField(b, "Content-Type", "text/plain; charset=utf-8")
		b = AppendField(b, "X-Inject", "a\r\nb")
		b = append(b, "Date: "...)
		b = AppendDate(b, now)
		b = append(b, '\r', '\n')
		b = AppendHeader(b, h)
		b = AppendChunkHeader(b, 1234)
		b = AppendChunkEnd(b)
		b = AppendLastChunk(b, nil)
		buf = b
	})
	if allocs != 0 {
		t.Errorf("encoders allocate %v times per run, want 0", allocs)
	}
}

func BenchmarkAppendResponseHead(b *testing.B) {
	buf := make([]byte, 0, 1024)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendStatusLine(buf[:0], 1, 200)
		buf = AppendField(buf, "Content-Type", "text/plain; charset=utf-8")
		buf = AppendField(buf, "Content-Length", "13")
		buf = append(buf, "Date: "...)
		buf = AppendDate(buf, now)
		buf = append(buf, "\r\n\r\n"...)
	}
}

// unsafeIndex finds what a byte-by-byte search finds: words with bytes on
// either side of 0x20 and of 0x7f, at every offset and in the tail.
func FuzzAppendField(f *testing.F) {
	for _, s := range []string{"", "text/plain; charset=utf-8", "a\r\nSet-Cookie: x=1", "abcdefg\x00", "\x0d\x0e\x0f\x0c\x0a\x09\x00\x01",
		"12345678\n", "\xff\xfe\x80\x0e\x0e\x0e\x0e\x0e\r", "tab\there, ü, \x7f", "\x1f\x20\x7e\x7f\x80\x09\x09\x09\x01",
		"tabs\t\t\t\t\t\t\t\t\x7f", "\x7e\x7e\x7e\x7e\x7e\x7e\x7e\x7e\x80\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := -1
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 && s[i] != '\t' || s[i] == 0x7f {
				want = i
				break
			}
		}
		if got := unsafeIndex(s); got != want {
			t.Fatalf("unsafeIndex(%q) = %d, want %d", s, got, want)
		}
		out := string(AppendField(nil, "X", s))
		if strings.ContainsFunc(out[:len(out)-2], func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) || len(out) != len("X: \r\n")+len(s) {
			t.Fatalf("AppendField(%q) = %q", s, out)
		}
	})
}

// CleanValue turns every byte a field value may not hold into a space
// and drops the white space around the value, which HTTP/2's and HTTP/3's
// clients take as malformed; it keeps HTAB inside, and obs-text, and
// returns v itself when it is clean (no copy).
func TestCleanValue(t *testing.T) {
	for v, want := range map[string]string{
		"":                  "",
		"plain":             "plain",
		"a\r\nb":            "a  b",
		"x\x00y":            "x y",
		"a\x01b\x1fc\x7fd":  "a b c d",
		"a\tb":              "a\tb",
		" \tpadded \t":      "padded",
		"caf\xe9\n":         "caf\xe9",
		"caf\u00e9":         "caf\u00e9",
		"long value \x7f\r": "long value",
	} {
		if got := CleanValue(v); got != want {
			t.Errorf("CleanValue(%q) = %q, want %q", v, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { CleanValue("clean value") }); n != 0 {
		t.Errorf("CleanValue of a clean value allocates %.0f times", n)
	}
}

// FramingField names the framing and connection fields in any case, and
// no other field, whatever its length.
func TestFramingField(t *testing.T) {
	for k, want := range map[string]string{
		"Content-Length": "Content-Length", "content-length": "Content-Length", "CONTENT-LENGTH": "Content-Length",
		"Transfer-Encoding": "Transfer-Encoding", "transfer-encoding": "Transfer-Encoding",
		"Trailer": "Trailer", "trailer": "Trailer", "Upgrade": "Upgrade", "uPGRADE": "Upgrade",
		"Connection": "Connection", "connection": "Connection", "Keep-Alive": "Keep-Alive", "keep-alive": "Keep-Alive",
		"Proxy-Connection": "Proxy-Connection", "proxy-connection": "Proxy-Connection",
		"Content-Type": "", "content-type": "", "Trailers": "", "X-Trailer": "", "Content-Lengths": "",
		"Contentlength!": "", "Cache-Control": "", "": "", "Set-Cookie": "", "Connectio\x00": "",
	} {
		if got := FramingField(k); got != want {
			t.Errorf("FramingField(%q) = %q, want %q", k, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { FramingField("content-length") }); n != 0 {
		t.Errorf("FramingField allocates %.0f times", n)
	}
}

func TestConnectionField(t *testing.T) {
	for k, want := range map[string]bool{
		"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Transfer-Encoding": true, "Upgrade": true,
		"Content-Length": false, "Trailer": false, "Te": false, "Content-Type": false, "connection": false,
	} {
		if got := ConnectionField(k); got != want {
			t.Errorf("ConnectionField(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestSendableTrailer(t *testing.T) {
	for k, want := range map[string]bool{
		"X-Sum": true, "Grpc-Status": true, "Server-Timing": true, "x-sum": true,
		"Content-Length": false, "content-length": false, "Transfer-Encoding": false, "Trailer": false,
		"Set-Cookie": false, "Host": false, "Content-Type": false, "Connection": false, "Keep-Alive": false,
		"Upgrade": false, "Bad Name": false, "": false, "X:Y": false,
		"Www-Authenticate": false, "www-authenticate": false, "Proxy-Authenticate": false,
		"Proxy-Authorization": false, "Realm": false, "Authorization": false,
	} {
		if got := SendableTrailer(k); got != want {
			t.Errorf("SendableTrailer(%q) = %v, want %v", k, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { SendableTrailer("X-Sum") }); n != 0 {
		t.Errorf("SendableTrailer of a canonical name allocates %.0f times", n)
	}
	got := string(AppendLastChunk(nil, map[string][]string{"Content-Length": {"9"}, "transfer-encoding": {"chunked"}, "Bad Name": {"x"}}))
	if got != "0\r\n\r\n" {
		t.Errorf("AppendLastChunk of trailers none of which may be sent = %q", got)
	}
}
