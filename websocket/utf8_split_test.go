package websocket

import (
	"bytes"
	"errors"
	"fmt"
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

// A text message cut into fragments at every place, up to three cuts
// (characters split, fragments empty), is delivered exactly when it is
// UTF-8, and fails with ErrInvalidUTF8 at the first fragment after which
// no continuation could make it UTF-8, not later: the check carries the
// bytes of a cut character from one fragment to the next and agrees with
// utf8.Valid on the whole. What can begin UTF-8 is worked out here apart
// from the code under test, from the encodings of every rune.
func TestTextFragmentsCheckedAsOneMessage(t *testing.T) {
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
	canBegin := func(p []byte) bool {
		for n := 0; n < utf8.UTFMax && n <= len(p); n++ {
			if begins[string(p[len(p)-n:])] && utf8.Valid(p[:len(p)-n]) {
				return true
			}
		}
		return false
	}

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
	}
	for _, whole := range samples {
		for i := 0; i <= len(whole); i++ {
			for j := i; j <= len(whole); j++ {
				frags := [][]byte{whole[:i], whole[i:j], whole[j:]}
				t.Run(fmt.Sprintf("%x/%d,%d", whole, i, j), func(t *testing.T) {
					h := &closeRecord{}
					c, tun := openQuiet(t, h)
					failAt := -1 // the fragment the connection must fail on
					var sent []byte
					for k, f := range frags {
						sent = append(sent, f...)
						last := k == len(frags)-1
						if failAt < 0 && (!last && !canBegin(sent) || last && !utf8.Valid(sent)) {
							failAt = k
						}
						op := wsframe.OpContinuation
						if k == 0 {
							op = wsframe.OpText
						}
						tun.feed(fragmentFrame(op, f, last))
						if failed := h.closed; failed != (failAt >= 0 && k >= failAt) {
							t.Fatalf("after fragment %d (%x): connection failed %v, want %v", k, f, failed, !failed)
						}
					}
					if failAt >= 0 {
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

// fragmentFrame is a masked frame, final or not, as a client sends it.
func fragmentFrame(op byte, payload []byte, fin bool) []byte {
	b := clientFrame(op, payload)
	if !fin {
		b[0] &^= 0x80
	}
	return b
}
