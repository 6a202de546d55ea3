package websocket

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/wharf-go/wharf/internal/wsframe"
)

// closeRecord keeps the messages and what OnClose got.
type closeRecord struct {
	collect
	closed bool
	err    error
}

func (h *closeRecord) OnClose(_ *Conn, err error) { h.closed, h.err = true, err }

// canBeginUTF8 reports whether p can begin UTF-8: it is UTF-8 but for
// the proper beginning of a character's encoding at its end. It is worked
// out apart from the code under test, from the encodings of every rune.
var canBeginUTF8 = sync.OnceValue(func() func(p []byte) bool {
	begins := map[string]bool{"": true} // proper prefixes of a character's encoding
	var enc [utf8.UTFMax]byte
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		n := utf8.EncodeRune(enc[:], r)
		for i := 1; i < n; i++ {
			begins[string(enc[:i])] = true
		}
	}
	return func(p []byte) bool {
		for n := 0; n < utf8.UTFMax && n <= len(p); n++ {
			if begins[string(p[len(p)-n:])] && utf8.Valid(p[:len(p)-n]) {
				return true
			}
		}
		return false
	}
})

// A text message cut into fragments at every place, up to three cuts
// (characters split, fragments empty), is delivered exactly when it is
// UTF-8, and fails with ErrInvalidUTF8 at the first fragment after which
// no continuation could make it UTF-8, not later: the check carries the
// bytes of a cut character from one fragment to the next and agrees with
// utf8.Valid on the whole. Trickled, the frames coming a byte at a time,
// it fails at the first byte after which no continuation could make it
// UTF-8, inside a frame not yet whole (Autobahn's 6.4.3 and 6.4.4).
func TestTextFragmentsCheckedAsOneMessage(t *testing.T) {
	canBegin := canBeginUTF8()
	samples := [][]byte{
		nil,
		[]byte("plain"),
		[]byte("a€😀é\U0010FFFF"),
		{0xff},
		{'a', 0xfe, 'b'},
		{0xc0, 0xaf},             // overlong '/'
		{0xe0, 0x80, 0xaf},       // overlong, three bytes
		{0xed, 0xa0, 0x80},       // a surrogate
		{0xf4, 0x90, 0x80, 0x80}, // beyond U+10FFFF
		{'a', 0xe2, 0x82},        // cut short at the end
		{0xf0, 0x9f, 0x98},       // cut short at the end
		{'a', 0x80, 'b'},         // a continuation byte alone
		{0xe2, 0x82, 0xac, 0xac}, // one continuation byte too many
		{0xe2, 'x', 0x82, 0xac},
		{0xf0, 0x9f, 0x98, 0x80, 0x9f},
		[]byte("abcde€fgh😀ij\xffkl"),
		[]byte("abcdefgh€€😀😀\xed\xa0\x80"),
	}
	for _, trickle := range []bool{false, true} {
		for _, whole := range samples {
			for i := 0; i <= len(whole); i++ {
				for j := i; j <= len(whole); j++ {
					frags := [][]byte{whole[:i], whole[i:j], whole[j:]}
					t.Run(fmt.Sprintf("trickle=%v/%x/%d,%d", trickle, whole, i, j), func(t *testing.T) {
						h := &closeRecord{}
						c, tun := openQuiet(t, h)
						failed := false // whether the connection must have failed
						var sent []byte
						for k, f := range frags {
							last := k == len(frags)-1
							op := wsframe.OpContinuation
							if k == 0 {
								op = wsframe.OpText
							}
							frame := fragmentFrame(op, f, last)
							if !trickle {
								sent = append(sent, f...)
								failed = failed || !last && !canBegin(sent) || last && !utf8.Valid(sent)
								tun.feed(frame)
								if h.closed != failed {
									t.Fatalf("after fragment %d (%x): connection failed %v, want %v", k, f, h.closed, failed)
								}
								continue
							}
							hdr := len(frame) - len(f)
							for b := range frame {
								if b >= hdr {
									sent = append(sent, f[b-hdr])
									failed = failed || !canBegin(sent)
								}
								if b == len(frame)-1 {
									failed = failed || last && !utf8.Valid(sent)
								}
								tun.feed(frame[b : b+1])
								if h.closed != failed {
									t.Fatalf("after byte %d of fragment %d (%x): connection failed %v, want %v", b, k, f, h.closed, failed)
								}
							}
						}
						if failed {
							if !errors.Is(h.err, ErrInvalidUTF8) || len(h.msgs) != 0 {
								t.Fatalf("OnClose(%v), %d messages; want ErrInvalidUTF8 and none", h.err, len(h.msgs))
							}
							return
						}
						if len(h.msgs) != 1 || !bytes.Equal(h.msgs[0], whole) {
							t.Fatalf("delivered %x, want %x", h.msgs, whole)
						}
						if c.frag != nil {
							t.Fatal("the message's fragments are kept after it was delivered")
						}
					})
				}
			}
		}
	}
}

// maskedText agrees with canBeginUTF8 on lead and the unmasked bytes,
// whatever the key's offset, and across the pieces of its buffer: long
// texts put a character, and an invalid byte, astride its 256 bytes.
func TestMaskedText(t *testing.T) {
	canBegin := canBeginUTF8()
	long := strings.Repeat("a", 254)
	tests := []struct {
		name string
		lead string
		p    string
	}{
		{"empty", "", ""},
		{"ascii", "", "hello"},
		{"lead completed", "\xe2\x82", "\xac and more"},
		{"lead alone", "\xf0\x9f", ""},
		{"lead broken", "\xe2", "x"},
		{"cut at the end", "", "ok \xf0\x9f\x98"},
		{"invalid", "", "ok \xff ok"},
		{"surrogate", "", "\xed\xa0\x80"},
		{"euro astride the buffer", "", long + "€€€"},
		{"emoji astride the buffer", "", long + "a😀" + long + "😀"},
		{"invalid past the buffer", "", long + long + "€\xffx"},
		{"cut past the buffer", "", long + long + "\xe2\x82"},
		{"invalid astride the buffer", "", long + "\xe2\x82x"},
		{"lead and long", "\xf0", "\x9f\x98\x80" + long + "€"},
	}
	for _, tt := range tests {
		for off := range 4 {
			t.Run(fmt.Sprintf("%s/%d", tt.name, off), func(t *testing.T) {
				key := [4]byte{0x5a, 0x00, 0xff, 0x81}
				p := []byte(tt.p)
				for i := range p {
					p[i] ^= key[(off+i)&3]
				}
				masked := bytes.Clone(p)
				want := canBegin([]byte(tt.lead + tt.p))
				if got := maskedText([]byte(tt.lead), p, key, off); got != want {
					t.Errorf("maskedText = %v, want %v", got, want)
				}
				if !bytes.Equal(p, masked) {
					t.Error("maskedText changed its input")
				}
			})
		}
	}
}

// fragmentFrame is a masked frame, final or not, as a client sends it.
func fragmentFrame(op byte, payload []byte, fin bool) []byte {
	b := clientFrame(op, payload)
	if !fin {
		b[0] &^= 0x80
	}
	return b
}
