package websocket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wharf-go/wharf/internal/wsframe"
)

// A text message, cut into up to four fragments with a ping between them
// if asked, masked with any key and fed in pieces of any size (the
// connection reading at most chunk bytes at a time), fails with
// ErrInvalidUTF8 exactly when utf8.Valid says the whole message is not
// UTF-8, and as soon as the bytes fed are ones no continuation could make
// UTF-8; a valid one is delivered as sent. A prefix of pad characters of
// 1 to 4 bytes puts the message's bytes past the 4 KiB read buffer, so
// that it is compacted and grown with a frame partly read.
func FuzzTextUTF8(f *testing.F) {
	f.Add([]byte("a€😀é"), []byte{40, 200}, uint16(0), uint8(0), uint8(1), uint32(0x01020304), false)
	f.Add([]byte("ok\xf0\x9f\x98\x80\xff"), []byte{128}, uint16(1400), uint8(3), uint8(7), uint32(0xdeadbeef), true)
	f.Add([]byte("\xed\xa0\x80"), []byte{}, uint16(2000), uint8(1), uint8(0), uint32(0), false)
	f.Add([]byte("\xf4\x8f\xbf\xbf\xf4\x90"), []byte{1, 2, 250}, uint16(4095), uint8(2), uint8(100), uint32(0x80c0e0f0), true)
	f.Fuzz(func(t *testing.T, msg, cuts []byte, pad uint16, padKind, step uint8, key uint32, ping bool) {
		canBegin := canBeginUTF8()
		padChar := []string{"a", "é", "€", "😀"}[padKind%4]
		whole := append([]byte(strings.Repeat(padChar, int(pad%4096))), msg...)
		// Up to three cuts, anywhere (fragments may be empty).
		var at []int
		for _, c := range cuts[:min(len(cuts), 3)] {
			at = append(at, int(c)*len(whole)/255)
		}
		slices.Sort(at)
		at = append(at, len(whole))
		var k [4]byte
		binary.BigEndian.PutUint32(k[:], key)

		// The stream, and for each of its bytes the payload bytes of the
		// message it completes, and whether the message is then whole.
		var stream []byte
		var upTo []int
		var done []bool
		from := 0
		for i, to := range at {
			if i > 0 && ping {
				p := maskedFrame(wsframe.OpPing, []byte("p"), true, k)
				stream = append(stream, p...)
				for range p {
					upTo = append(upTo, from)
					done = append(done, false)
				}
			}
			op := wsframe.OpContinuation
			if i == 0 {
				op = wsframe.OpText
			}
			last := i == len(at)-1
			fr := maskedFrame(op, whole[from:to], last, k)
			hdr := len(fr) - (to - from)
			stream = append(stream, fr...)
			for b := range fr {
				upTo = append(upTo, from+max(0, b-hdr+1))
				done = append(done, last && b == len(fr)-1)
			}
			from = to
		}

		h := &closeRecord{}
		c, tun := openQuiet(t, h)
		tun.chunk = int(step % 16)
		piece := 1 + int(step)*int(step)
		failed := false
		for off := 0; off < len(stream); off += piece {
			end := min(off+piece, len(stream))
			tun.feed(stream[off:end])
			sent := whole[:upTo[end-1]]
			if done[end-1] {
				failed = !utf8.Valid(sent)
			} else {
				failed = !canBegin(sent)
			}
			if h.closed != failed {
				t.Fatalf("after %d of %d bytes (%d of the message): connection failed %v, want %v (%v)", end, len(stream), len(sent), h.closed, failed, h.err)
			}
			if failed {
				break
			}
		}
		if failed != !utf8.Valid(whole) {
			t.Fatalf("failed %v for a message utf8.Valid says is %v", failed, utf8.Valid(whole))
		}
		if failed {
			if !errors.Is(h.err, ErrInvalidUTF8) || len(h.msgs) != 0 {
				t.Fatalf("OnClose(%v), %d messages; want ErrInvalidUTF8 and none", h.err, len(h.msgs))
			}
			return
		}
		if len(h.msgs) != 1 || !bytes.Equal(h.msgs[0], whole) {
			t.Fatalf("delivered %d messages, want the one sent", len(h.msgs))
		}
		if c.frag != nil {
			t.Fatal("the message's fragments are kept after it was delivered")
		}
	})
}

// maskedFrame is a frame as a client sends it, masked with key.
func maskedFrame(op byte, payload []byte, fin bool, key [4]byte) []byte {
	b := wsframe.AppendFrame(nil, op, payload)
	hdr := len(b) - len(payload)
	b[1] |= 0x80
	if !fin {
		b[0] &^= 0x80
	}
	out := append(append(b[:hdr:hdr], key[:]...), payload...)
	for i := range payload {
		out[hdr+4+i] ^= key[i&3]
	}
	return out
}
