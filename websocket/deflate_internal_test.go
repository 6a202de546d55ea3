package websocket

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/internal/wharftest"
)

// inflate gives back what deflate took, up to its limit exactly; one
// byte more is errInflatedTooBig.
func TestInflateLimit(t *testing.T) {
	msg := []byte(strings.Repeat("permessage-deflate ", 1000))
	z := deflate(msg)
	if z == nil || len(z) >= len(msg) {
		t.Fatalf("deflate: %d bytes of %d", len(z), len(msg))
	}
	tests := []struct {
		limit int64
		err   error
	}{
		{int64(len(msg)), nil},
		{int64(len(msg)) + 1, nil},
		{1 << 62, nil},
		{int64(len(msg)) - 1, errInflatedTooBig},
		{1, errInflatedTooBig},
	}
	for _, tc := range tests {
		got, err := inflate(z, tc.limit)
		if err != tc.err || err == nil && !bytes.Equal(got, msg) {
			t.Errorf("limit %d: %d bytes, %v; want %v", tc.limit, len(got), err, tc.err)
		}
	}
	// What does not compress goes as it is.
	random := make([]byte, 1000)
	for i := range random {
		random[i] = byte(rand.IntN(256))
	}
	if z := deflate(random); z != nil {
		t.Errorf("deflate of random bytes: %d bytes of %d, want nil", len(z), len(random))
	}
}

// A compression bomb fails once ReadLimit bytes came out: 64 MiB of
// zeros, about 64 KiB compressed, under a limit of 64 KiB allocates
// about that, not the message.
func TestInflateBomb(t *testing.T) {
	z := deflate(make([]byte, 64<<20))
	if z == nil {
		t.Fatal("zeros did not compress")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := inflate(z, 64<<10)
	runtime.ReadMemStats(&after)
	if err != errInflatedTooBig {
		t.Fatalf("inflate: %v, want errInflatedTooBig", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("inflating a bomb under a 64 KiB limit allocated %d bytes", n)
	}
}

// The flate readers and writers are pooled: a message costs the slice it
// comes out in (a large one inflated, the slices it grows through).
func TestDeflateAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector makes sync.Pool drop what it is given at random")
	}
	msg := []byte(strings.Repeat("a chat message ", 30))
	z := deflate(msg)
	if n := testing.AllocsPerRun(100, func() { deflate(msg) }); n > 1 {
		t.Errorf("deflate: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { inflate(z, 1<<20) }); n > 1 {
		t.Errorf("inflate: %v allocations", n)
	}
}

// acceptDeflate reads Sec-WebSocket-Extensions as RFC 6455 §9.1 writes
// it: spaces where the grammar allows them, empty list elements, quoted
// values; a field value that does not parse offers nothing.
func TestAcceptDeflateSyntax(t *testing.T) {
	tests := []struct {
		offer string
		want  bool
	}{
		{"  permessage-deflate  ", true},
		{", ,permessage-deflate ,", true},
		{"permessage-deflate ; client_max_window_bits = 9", true},
		{`permessage-deflate; client_max_window_bits="1\5"`, true},
		{`permessage-deflate; client_max_window_bits="15`, false},
		{"permessage-deflate; client_max_window_bits=", false},
		{"permessage-deflate;", false},
		{"permessage-deflate junk", false},
		{"permessage-deflate; x=1 junk, permessage-deflate", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := acceptDeflate([]string{tc.offer}); got != tc.want {
			t.Errorf("acceptDeflate(%q) = %v, want %v", tc.offer, got, tc.want)
		}
	}
}
