package static

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/internal/wharftest"
)

func TestNegotiate(t *testing.T) {
	both := [len(codings)]bool{true, true}
	gzOnly := [len(codings)]bool{false, true}
	const br, gz, identity = 0, 1, -1
	for _, tc := range []struct {
		ae   []string
		have [len(codings)]bool
		want int
	}{
		{nil, both, identity},
		{[]string{""}, both, identity},
		{[]string{"br"}, both, br},
		{[]string{"gzip"}, both, gz},
		{[]string{"GZIP"}, both, gz},
		{[]string{"x-gzip"}, both, gz},
		{[]string{"gzip, br"}, both, br},
		{[]string{"br", "gzip"}, both, br},
		{[]string{"gzip;q=1, br;q=0.9"}, both, gz},
		{[]string{"br;q=0, gzip;q=0.1"}, both, gz},
		{[]string{"br;q=0"}, both, identity},
		{[]string{"br;q=0.000"}, both, identity},
		{[]string{"br", "br;q=0"}, both, identity},
		{[]string{"br"}, gzOnly, identity},
		{[]string{"*"}, both, br},
		{[]string{"*"}, gzOnly, gz},
		{[]string{"*;q=0"}, both, identity},
		{[]string{"*;q=0, gzip"}, both, gz},
		{[]string{"*, br;q=0"}, both, gz},
		{[]string{"gzip;q=0.5, identity"}, both, identity},
		{[]string{"gzip;q=0.5, identity;q=0.5"}, both, gz},
		{[]string{"gzip;q=0.5, *;q=0.8"}, gzOnly, identity},
		{[]string{"gzip;q=abc"}, both, identity},
		{[]string{"gzip;q=NaN"}, both, identity},
		{[]string{"gzip;q=2"}, both, identity},
		{[]string{"gzip ; Q = 0.5"}, both, gz},
		{[]string{"gzip;level=1"}, both, gz},
		{[]string{" , ,gzip"}, both, gz},
		{[]string{"deflate, zstd"}, both, identity},
	} {
		if got := negotiate(tc.ae, tc.have); got != tc.want {
			t.Errorf("negotiate(%q, %v) = %d, want %d", tc.ae, tc.have, got, tc.want)
		}
	}
}

func TestMatchAny(t *testing.T) {
	const etag = `"abc"`
	for _, tc := range []struct {
		values     []string
		weak, strg bool
	}{
		{[]string{`"abc"`}, true, true},
		{[]string{`W/"abc"`}, true, false},
		{[]string{`"x", "abc"`}, true, true},
		{[]string{`"x"`, `"abc"`}, true, true},
		{[]string{`"a,b", "abc"`}, true, true},
		{[]string{`*`}, true, true},
		{[]string{` ,"abc"`}, true, true},
		{[]string{`"ab"`}, false, false},
		{[]string{`abc`}, false, false},
		{[]string{`"abc`}, false, false},
		{[]string{`"x" garbage "abc"`}, false, false},
		{[]string{""}, false, false},
		{nil, false, false},
	} {
		if got := matchAny(tc.values, etag, weakMatch); got != tc.weak {
			t.Errorf("weak %q: %v", tc.values, got)
		}
		if got := matchAny(tc.values, etag, strongMatch); got != tc.strg {
			t.Errorf("strong %q: %v", tc.values, got)
		}
	}
}

func TestScanETag(t *testing.T) {
	for _, tc := range []struct{ in, tag, rest string }{
		{`"a"`, `"a"`, ""},
		{`W/"a", "b"`, `W/"a"`, `, "b"`},
		{`""`, `""`, ""},
		{`"a b"`, "", ""},
		{`"a`, "", ""},
		{`W/`, "", ""},
		{`a"`, "", ""},
		{"\"\x80\"", "\"\x80\"", ""},
	} {
		if tag, rest := scanETag(tc.in); tag != tc.tag || rest != tc.rest {
			t.Errorf("scanETag(%q) = %q, %q; want %q, %q", tc.in, tag, rest, tc.tag, tc.rest)
		}
	}
}

// onlyReader hides every method of a file but Read; withSeek adds Seek.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

type withSeek struct{ r *strings.Reader }

func (o withSeek) Read(p []byte) (int, error)                { return o.r.Read(p) }
func (o withSeek) Seek(off int64, whence int) (int64, error) { return o.r.Seek(off, whence) }

// TestCopyRange: every way of reading a file sends the same bytes, and a
// file shorter than promised is an error.
func TestCopyRange(t *testing.T) {
	const s = "0123456789abcdefghij"
	for _, tc := range []struct{ off, n int64 }{{0, 20}, {5, 10}, {19, 1}, {0, 0}} {
		want := s[tc.off : tc.off+tc.n]
		for name, src := range map[string]func() any{
			"ReaderAt": func() any { return strings.NewReader(s) },
			"Seeker":   func() any { return withSeek{strings.NewReader(s)} },
			"Reader":   func() any { return onlyReader{strings.NewReader(s)} },
		} {
			var out bytes.Buffer
			if err := copyRange(&out, fileOf(src()), tc.off, tc.n); err != nil || out.String() != want {
				t.Errorf("%s %d+%d: %q, %v; want %q", name, tc.off, tc.n, out.String(), err, want)
			}
		}
	}
	for name, src := range map[string]any{
		"ReaderAt": strings.NewReader(s),
		"Seeker":   withSeek{strings.NewReader(s)},
		"Reader":   onlyReader{strings.NewReader(s)},
	} {
		if err := copyRange(io.Discard, fileOf(src), 10, 20); !errors.Is(err, errShortFile) {
			t.Errorf("%s: a short file gives %v, want errShortFile", name, err)
		}
	}
}

// TestCopyRangeAllocs: the copy loop allocates nothing.
func TestCopyRangeAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers")
	}
	f := fileOf(strings.NewReader(strings.Repeat("x", 100<<10)))
	if n := testing.AllocsPerRun(50, func() {
		if err := copyRange(io.Discard, f, 1000, 90<<10); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("copyRange allocates %v times", n)
	}
}
