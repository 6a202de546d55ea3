package wsframe

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/internal/wharftest"
)

var roundTrips = []struct {
	opcode  byte
	payload string
	header  int // bytes before the payload
}{
	{OpText, "", 2},
	{OpText, "hello", 2},
	{OpBinary, strings.Repeat("x", 125), 2},
	{OpBinary, strings.Repeat("x", 126), 4},
	{OpText, strings.Repeat("y", 0xFFFF), 4},
	{OpBinary, strings.Repeat("z", 0x10000), 10},
	{OpPing, "p", 2},
	{OpClose, "\x03\xe8bye", 2},
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTrips {
		b := AppendFrame([]byte("prefix"), tc.opcode, []byte(tc.payload))
		if !bytes.HasPrefix(b, []byte("prefix")) || len(b) != len("prefix")+tc.header+len(tc.payload) {
			t.Fatalf("opcode %x, %d bytes: encoded to %d bytes", tc.opcode, len(tc.payload), len(b))
		}
		f, n, err := Parse(b[len("prefix"):])
		if err != nil || n != tc.header+len(tc.payload) || !f.Fin || f.Masked || f.Opcode != tc.opcode || string(f.Payload) != tc.payload {
			t.Fatalf("opcode %x, %d bytes: parsed %+v, %d, %v", tc.opcode, len(tc.payload), f.Opcode, n, err)
		}
		for cut := range min(len(b)-len("prefix"), 12) {
			if _, _, err := Parse(b[len("prefix") : len("prefix")+cut]); !errors.Is(err, ErrShort) {
				t.Fatalf("a frame cut at %d: %v", cut, err)
			}
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string // payload, or the error
	}{
		{"masked text", []byte{0x81, 0x85, 1, 2, 3, 4, 'h' ^ 1, 'e' ^ 2, 'l' ^ 3, 'l' ^ 4, 'o' ^ 1}, "hello"},
		{"reserved bit", []byte{0xC1, 0x00}, ErrInvalid.Error()},
		{"unknown opcode", []byte{0x83, 0x00}, ErrInvalid.Error()},
		{"fragmented ping", []byte{0x09, 0x00}, ErrInvalid.Error()},
		{"long ping", append([]byte{0x89, 126, 0, 126}, make([]byte, 126)...), ErrInvalid.Error()},
		// RFC 6455 §5.2's minimal length binds the sender: a receiver
		// takes a longer encoding, as gorilla/websocket does.
		{"non-minimal 16-bit length", []byte{0x82, 126, 0, 5, 'a', 'b', 'c', 'd', 'e'}, "abcde"},
		{"non-minimal 64-bit length", []byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e'}, "abcde"},
		{"64-bit length under 64 KiB", append([]byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0x01, 0x00}, bytes.Repeat([]byte("x"), 256)...), strings.Repeat("x", 256)},
		{"masked non-minimal length", []byte{0x81, 0x80 | 126, 0, 2, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}, "hi"},
		{"non-minimal empty", []byte{0x82, 126, 0, 0}, ""},
		{"huge length", []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, ErrInvalid.Error()},
		{"huge non-minimal-looking length", []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 5}, ErrInvalid.Error()},
		{"ping with a 16-bit length", []byte{0x89, 126, 0, 1, 'p'}, ErrInvalid.Error()},
		{"close with a 64-bit length", []byte{0x88, 127, 0, 0, 0, 0, 0, 0, 0, 2, 3, 0xe8}, ErrInvalid.Error()},
		{"short mask", []byte{0x81, 0x81, 1, 2}, ErrShort.Error()},
	}
	for _, tc := range tests {
		f, _, err := Parse(tc.in)
		got := string(f.Payload)
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// On a connection that negotiated permessage-deflate, RSV1 marks a
// message's first frame compressed (RFC 7692 §6); on a control or a
// continuation frame it stays invalid, as RSV2 and RSV3 do. Without
// the extension (Header, Parse) RSV1 is invalid everywhere.
func TestDeflate(t *testing.T) {
	tests := []struct {
		name       string
		in         []byte
		compressed bool
		err        error
	}{
		{"compressed text", []byte{0xC1, 0x81, 0, 0, 0, 0, 'z'}, true, nil},
		{"compressed first fragment", []byte{0x42, 0x81, 0, 0, 0, 0, 'z'}, true, nil},
		{"plain", []byte{0x81, 0x81, 0, 0, 0, 0, 'z'}, false, nil},
		{"RSV1 on a continuation", []byte{0xC0, 0x81, 0, 0, 0, 0, 'z'}, false, ErrInvalid},
		{"RSV1 on a ping", []byte{0xC9, 0x80, 0, 0, 0, 0}, false, ErrInvalid},
		{"RSV1 on a close", []byte{0xC8, 0x80, 0, 0, 0, 0}, false, ErrInvalid},
		{"RSV2", []byte{0xA1, 0x81, 0, 0, 0, 0, 'z'}, false, ErrInvalid},
		{"RSV1 and RSV3", []byte{0xD1, 0x81, 0, 0, 0, 0, 'z'}, false, ErrInvalid},
	}
	for _, tc := range tests {
		f, _, _, err := HeaderDeflate(tc.in)
		g, n, perr := ParseDeflate(bytes.Clone(tc.in))
		if err != tc.err || perr != tc.err || f.Compressed != tc.compressed || g.Compressed != tc.compressed {
			t.Errorf("%s: HeaderDeflate %+v, %v; ParseDeflate %+v, %v; want compressed %v, %v", tc.name, f, err, g, perr, tc.compressed, tc.err)
		}
		if perr == nil && (n != len(tc.in) || string(g.Payload) != "z") {
			t.Errorf("%s: parsed %d bytes, payload %q", tc.name, n, g.Payload)
		}
		if _, _, _, err := Header(tc.in); tc.in[0]&0x70 != 0 && err != ErrInvalid {
			t.Errorf("%s: Header: %v, want ErrInvalid", tc.name, err)
		}
	}
	for _, tc := range roundTrips {
		if tc.opcode != OpText && tc.opcode != OpBinary {
			continue
		}
		b := AppendCompressed(nil, tc.opcode, []byte(tc.payload))
		f, n, err := ParseDeflate(b)
		if err != nil || n != len(b) || !f.Fin || !f.Compressed || f.Opcode != tc.opcode || string(f.Payload) != tc.payload {
			t.Fatalf("opcode %x, %d bytes: parsed %+v, %d, %v", tc.opcode, len(tc.payload), f.Opcode, n, err)
		}
		if _, _, err := Parse(b); err != ErrInvalid {
			t.Fatalf("Parse of a compressed frame: %v, want ErrInvalid", err)
		}
	}
}

func TestAppendFrameAllocs(t *testing.T) {
	buf := make([]byte, 0, 1024)
	payload := []byte("a chat message")
	if n := testing.AllocsPerRun(100, func() { buf = AppendFrame(buf[:0], OpText, payload) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
	// A frame begun in an empty buffer (a connection's write batch) is
	// one allocation, sized for the whole frame, not one for the header
	// and another for the payload.
	if wharftest.RaceEnabled {
		return // the race detector makes allocations of its own
	}
	for _, size := range []int{14, 200, 70000} {
		p := make([]byte, size)
		if n := testing.AllocsPerRun(100, func() { buf = AppendFrame(nil, OpBinary, p) }); n != 1 {
			t.Errorf("a %d-byte frame in an empty buffer: %v allocations, want 1", size, n)
		}
	}
}

// Parsing a frame, masked as a client's, unmasks it in place: no
// allocation.
func TestParseAllocs(t *testing.T) {
	b := AppendFrame(nil, OpText, []byte("a chat message"))
	b[1] |= 0x80
	b = slices.Insert(b, 2, 1, 2, 3, 4)
	if n := testing.AllocsPerRun(100, func() {
		if _, _, err := Parse(b); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range roundTrips {
		if len(tc.payload) < 1024 {
			f.Add(AppendFrame(nil, tc.opcode, []byte(tc.payload)))
		}
	}
	f.Add([]byte{0x81, 0x85, 1, 2, 3, 4, 'h', 'e', 'l', 'l', 'o'})
	f.Add([]byte{0x82, 126, 0, 3, 'a', 'b', 'c'})                   // not minimal
	f.Add([]byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c'}) // not minimal
	f.Add(AppendCompressed(nil, OpText, []byte("z")))
	f.Fuzz(func(t *testing.T, b []byte) {
		hf, hdr, plen, herr := Header(b)
		fr, n, err := Parse(bytes.Clone(b))
		// With permessage-deflate, only RSV1 on a message's first frame
		// reads otherwise, and the same as the bit clear.
		df, dhdr, dplen, derr := HeaderDeflate(b)
		if len(b) > 0 && b[0]&0x70 == 0x40 && (b[0]&0x0F == OpText || b[0]&0x0F == OpBinary) {
			cf, chdr, cplen, cerr := Header(append([]byte{b[0] &^ 0x40}, b[1:]...))
			if derr != cerr || dhdr != chdr || dplen != cplen || derr == nil && (!df.Compressed || df.Opcode != cf.Opcode || df.Fin != cf.Fin) {
				t.Fatalf("HeaderDeflate: %+v %d+%d %v; Header without RSV1: %+v %d+%d %v", df, dhdr, dplen, derr, cf, chdr, cplen, cerr)
			}
		} else if derr != herr || dhdr != hdr || dplen != plen || df.Opcode != hf.Opcode || df.Fin != hf.Fin || df.Masked != hf.Masked || df.Compressed {
			t.Fatalf("HeaderDeflate: %+v %d+%d %v; Header: %+v %d+%d %v", df, dhdr, dplen, derr, hf, hdr, plen, herr)
		}
		// Header agrees with Parse: the same verdict on a valid start, and
		// the same length once the frame is whole.
		switch {
		case herr == ErrInvalid && err != ErrInvalid:
			t.Fatalf("Header says invalid, Parse %v", err)
		case herr == nil && err == nil && (uint64(n) != uint64(hdr)+plen || hf.Opcode != fr.Opcode || hf.Fin != fr.Fin):
			t.Fatalf("Header: %+v %d+%d, Parse: %+v %d", hf, hdr, plen, fr, n)
		case herr == nil && err == ErrShort && uint64(len(b)) >= uint64(hdr)+plen:
			t.Fatalf("Header: %d+%d bytes, Parse short with %d", hdr, plen, len(b))
		}
		if err != nil {
			return
		}
		if n > len(b) || len(fr.Payload) > n {
			t.Fatalf("parsed %d of %d bytes, payload %d", n, len(b), len(fr.Payload))
		}
		if fr.Fin && !fr.Masked {
			// What a server writes parses back to the same frame.
			again := AppendFrame(nil, fr.Opcode, fr.Payload)
			g, m, err := Parse(again)
			if err != nil || m != len(again) || g.Opcode != fr.Opcode || !bytes.Equal(g.Payload, fr.Payload) {
				t.Fatalf("re-encoding %+v: %+v %d %v", fr, g, m, err)
			}
		}
	})
}

// Header tells a frame's length from its first bytes, before the payload
// has come.
func TestHeader(t *testing.T) {
	tests := []struct {
		b   []byte
		hdr int
		n   uint64
		err error
	}{
		{[]byte{0x81}, 0, 0, ErrShort},
		{[]byte{0x81, 0x85, 1, 2}, 0, 0, ErrShort},
		{[]byte{0x81, 0x85, 1, 2, 3, 4}, 6, 5, nil},
		{[]byte{0x82, 0xFE, 0x01, 0x00, 1, 2, 3, 4}, 8, 256, nil},
		{[]byte{0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}, 10, 65536, nil},
		{[]byte{0x82, 0x7E, 0x00, 0x10}, 4, 16, nil},                         // not minimal: taken
		{[]byte{0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x10}, 10, 16, nil},         // not minimal: taken
		{[]byte{0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0x10}, 0, 0, ErrInvalid}, // the top bit
		{[]byte{0x09, 0x00}, 0, 0, ErrInvalid},                               // a fragmented ping
		{[]byte{0xC1, 0x00}, 0, 0, ErrInvalid},                               // RSV1
	}
	for _, tc := range tests {
		_, hdr, n, err := Header(tc.b)
		if hdr != tc.hdr || n != tc.n || err != tc.err {
			t.Errorf("Header(% x) = %d, %d, %v; want %d, %d, %v", tc.b, hdr, n, err, tc.hdr, tc.n, tc.err)
		}
	}
}
