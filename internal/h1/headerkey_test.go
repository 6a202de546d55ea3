package h1

import (
	"net/textproto"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/internal/wharftest"
)

var canonicalKeyTests = []struct {
	in, want string
	noAlloc  bool // the answer is k itself or knownKeys'
}{
	{"Content-Type", "Content-Type", true},
	// The names CanonicalKey returns at once, as clients send them.
	{"Host", "Host", true},
	{"User-Agent", "User-Agent", true},
	{"Accept", "Accept", true},
	{"Accept-Encoding", "Accept-Encoding", true},
	{"Accept-Language", "Accept-Language", true},
	{"Connection", "Connection", true},
	{"Content-Length", "Content-Length", true},
	{"Cookie", "Cookie", true},
	{"host", "Host", true},
	{"user-agent", "User-Agent", true},
	{"content-type", "Content-Type", true}, // textproto's own common names
	{"Sec-WebSocket-Key", "Sec-Websocket-Key", true},
	{"sec-websocket-version", "Sec-Websocket-Version", true},
	{"sec-ch-ua-platform", "Sec-Ch-Ua-Platform", true},
	{"SEC-FETCH-SITE", "Sec-Fetch-Site", true},
	{"last-event-id", "Last-Event-Id", true},
	{"Last-Event-ID", "Last-Event-Id", true},
	{"x-custom-thing", "X-Custom-Thing", false},
	{"X-Custom-Thing", "X-Custom-Thing", true},
	{"x-2fa", "X-2fa", false},
	{"a", "A", true}, // a one-byte string is the runtime's own
	{"", "", true},
	// Rarer bytes are left to textproto.
	{"foo_bar", "Foo_bar", false},
	{"foo bar", "foo bar", false},
	{"user-agent ", "user-agent ", false},
	{"x-\xffz", "x-\xffz", false},
	{"--", "--", true},
	{"-a", "-A", false},
	{strings.Repeat("a", 40), "A" + strings.Repeat("a", 39), false},
}

func TestCanonicalKey(t *testing.T) {
	for _, tt := range canonicalKeyTests {
		if got := CanonicalKey(tt.in); got != tt.want {
			t.Errorf("CanonicalKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := textproto.CanonicalMIMEHeaderKey(tt.in); got != tt.want {
			t.Errorf("the table is wrong: textproto says %q for %q", got, tt.in)
		}
	}
}

func TestCanonicalKeyAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("allocation counts under the race detector")
	}
	for _, tt := range canonicalKeyTests {
		if !tt.noAlloc {
			continue
		}
		in := strings.Clone(tt.in)
		if n := testing.AllocsPerRun(100, func() { CanonicalKey(in) }); n != 0 {
			t.Errorf("CanonicalKey(%q) allocates %.0f times, want 0", tt.in, n)
		}
	}
}

// FuzzCanonicalKey holds CanonicalKey to textproto.CanonicalMIMEHeaderKey
// on any name.
func FuzzCanonicalKey(f *testing.F) {
	for _, tt := range canonicalKeyTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, k string) {
		if got, want := CanonicalKey(k), textproto.CanonicalMIMEHeaderKey(k); got != want {
			t.Errorf("CanonicalKey(%q) = %q, textproto says %q", k, got, want)
		}
	})
}

func BenchmarkCanonicalKey(b *testing.B) {
	for _, k := range []string{"Content-Type", "sec-websocket-key", "x-custom-thing"} {
		b.Run(k, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				CanonicalKey(k)
			}
		})
	}
}

func BenchmarkCanonicalKeyTextproto(b *testing.B) {
	for _, k := range []string{"Content-Type", "sec-websocket-key", "x-custom-thing"} {
		b.Run(k, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				textproto.CanonicalMIMEHeaderKey(k)
			}
		})
	}
}
