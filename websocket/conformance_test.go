package websocket_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/internal/wsframe"
	"github.com/wharf-go/wharf/websocket"
)

// masked is a masked frame with the first byte b0 (FIN, RSV and opcode
// as given) and payload.
func masked(b0 byte, payload []byte) []byte {
	f := clientFrame(b0&0x0F, payload, b0&0x80 != 0)
	f[0] = b0
	return f
}

// closePayload is a close frame's payload: code and reason.
func closePayload(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

// The server cases of the Autobahn testsuite that the other tests here
// leave out, as far as they are framing (RSV bits, opcodes, control
// frames, fragments with control frames between them), UTF-8 (split
// across fragments, failed at the first fragment no continuation could
// make valid), close (every class of close code, the reason, what comes
// after) and limits. Each case sends frames, as raw bytes, in one write
// each and then again byte by byte, and names the frames the server must
// send back, ending with its close frame's code (0: a close frame
// without one); the TCP connection must then end once the close
// handshake is over (RFC 6455 §7.1.1: the server closes it first), not
// when CloseTimeout runs out. On both HTTP/1.1 connectors.
func TestConformance(t *testing.T) {
	type echo struct {
		op   byte
		data string
	}
	text := func(s string) echo { return echo{wsframe.OpText, s} }
	type conformanceCase struct {
		name   string
		cfg    websocket.Config
		frames [][]byte // written one at a time (or byte by byte)
		echoes []echo   // what comes back before the close frame
		close  int      // the code of the server's close frame
	}
	tests := []conformanceCase{
		// Framing (Autobahn 3.x, 4.x, 5.x).
		{"RSV1 without an extension", websocket.Config{}, [][]byte{masked(0xC1, []byte("x"))}, nil, websocket.CloseProtocolError},
		{"RSV2", websocket.Config{}, [][]byte{masked(0xA1, []byte("x"))}, nil, websocket.CloseProtocolError},
		{"RSV3 on a ping", websocket.Config{}, [][]byte{masked(0x99, []byte("x"))}, nil, websocket.CloseProtocolError},
		{"RSV after an echo", websocket.Config{}, [][]byte{masked(0x81, []byte("ok")), masked(0xF1, []byte("x"))}, []echo{text("ok")}, websocket.CloseProtocolError},
		{"opcode 3", websocket.Config{}, [][]byte{masked(0x83, nil)}, nil, websocket.CloseProtocolError},
		{"opcode 7", websocket.Config{}, [][]byte{masked(0x87, []byte("x"))}, nil, websocket.CloseProtocolError},
		{"opcode 11", websocket.Config{}, [][]byte{masked(0x8B, nil)}, nil, websocket.CloseProtocolError},
		{"opcode 15", websocket.Config{}, [][]byte{masked(0x8F, []byte("x"))}, nil, websocket.CloseProtocolError},
		{"ping of 126 bytes", websocket.Config{}, [][]byte{masked(0x89, make([]byte, 126))}, nil, websocket.CloseProtocolError},
		{"ping of 125 bytes", websocket.Config{}, [][]byte{masked(0x89, bytes.Repeat([]byte("p"), 125))}, []echo{{wsframe.OpPong, strings.Repeat("p", 125)}}, 0},
		{"fragmented ping", websocket.Config{}, [][]byte{masked(0x09, []byte("a")), masked(0x80, []byte("b"))}, nil, websocket.CloseProtocolError},
		{"fragmented close", websocket.Config{}, [][]byte{masked(0x08, closePayload(1000, ""))}, nil, websocket.CloseProtocolError},
		{"64-bit length, top bit set", websocket.Config{}, [][]byte{{0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 'x'}}, nil, websocket.CloseProtocolError},
		{"continuation after a whole message", websocket.Config{}, [][]byte{masked(0x81, []byte("a")), masked(0x80, []byte("b"))}, []echo{text("a")}, websocket.CloseProtocolError},
		{"binary inside a fragmented message", websocket.Config{}, [][]byte{masked(0x02, []byte("a")), masked(0x02, []byte("b"))}, nil, websocket.CloseProtocolError},
		{"pings inside a fragmented message", websocket.Config{}, [][]byte{
			masked(0x01, []byte("frag")), masked(0x89, []byte("p1")), masked(0x00, []byte("ment")),
			masked(0x89, []byte("p2")), masked(0x80, []byte("ed")),
		}, []echo{{wsframe.OpPong, "p1"}, {wsframe.OpPong, "p2"}, text("fragmented")}, 0},
		{"unsolicited pong inside a fragmented message", websocket.Config{}, [][]byte{
			masked(0x01, []byte("a")), masked(0x8A, []byte("x")), masked(0x80, []byte("b")),
		}, []echo{text("ab")}, 0},
		{"close inside a fragmented message", websocket.Config{}, [][]byte{
			masked(0x01, []byte("a")), masked(0x88, closePayload(1000, "")),
		}, nil, websocket.CloseNormal},
		{"empty fragments", websocket.Config{}, [][]byte{masked(0x01, nil), masked(0x00, nil), masked(0x80, nil)}, []echo{text("")}, 0},
		// UTF-8 (Autobahn 6.x).
		{"text not UTF-8", websocket.Config{}, [][]byte{masked(0x81, []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"))}, nil, websocket.CloseInvalidPayload},
		{"UTF-8 split across fragments", websocket.Config{}, [][]byte{masked(0x01, []byte("\xce")), masked(0x00, []byte("\xba\xe1")), masked(0x80, []byte("\xbd\xb9"))}, []echo{text("\xce\xba\xe1\xbd\xb9")}, 0},
		{"invalid UTF-8 split across fragments", websocket.Config{}, [][]byte{masked(0x01, []byte("ok\xed")), masked(0x80, []byte("\xa0\x80"))}, nil, websocket.CloseInvalidPayload},
		{"invalid UTF-8 fails fast", websocket.Config{}, [][]byte{masked(0x01, []byte("ok\xf4\x90"))}, nil, websocket.CloseInvalidPayload},
		// 6.4.3: the frame's invalid bytes come, the rest of it never does.
		{"invalid UTF-8 in a frame not yet whole", websocket.Config{}, [][]byte{masked(0x81, []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80-edited"))[:6+15]}, nil, websocket.CloseInvalidPayload},
		{"text cut short", websocket.Config{}, [][]byte{masked(0x01, []byte("ok")), masked(0x80, []byte("\xe2\x82"))}, nil, websocket.CloseInvalidPayload},
		{"binary not UTF-8", websocket.Config{}, [][]byte{masked(0x82, []byte{0xff})}, []echo{{wsframe.OpBinary, "\xff"}}, 0},
		// Close (Autobahn 7.x).
		{"close without a payload", websocket.Config{}, [][]byte{masked(0x88, nil)}, nil, 0},
		{"close of one byte", websocket.Config{}, [][]byte{masked(0x88, []byte{0x03})}, nil, websocket.CloseProtocolError},
		{"close with a reason", websocket.Config{}, [][]byte{masked(0x88, closePayload(1000, "bye"))}, nil, websocket.CloseNormal},
		{"close reason of 123 bytes", websocket.Config{}, [][]byte{masked(0x88, closePayload(1000, strings.Repeat("*", 123)))}, nil, websocket.CloseNormal},
		{"close reason not UTF-8", websocket.Config{}, [][]byte{masked(0x88, closePayload(1000, "\xce\xba\xed\xa0\x80"))}, nil, websocket.CloseInvalidPayload},
		{"message after close", websocket.Config{}, [][]byte{append(masked(0x88, closePayload(1000, "")), masked(0x81, []byte("late"))...)}, nil, websocket.CloseNormal},
		// Limits.
		{"at ReadLimit", websocket.Config{ReadLimit: 16}, [][]byte{masked(0x82, make([]byte, 16))}, []echo{{wsframe.OpBinary, string(make([]byte, 16))}}, 0},
		{"pings do not count toward ReadLimit", websocket.Config{ReadLimit: 4}, [][]byte{
			masked(0x01, []byte("ab")), masked(0x89, []byte("0123456789")), masked(0x80, []byte("cd")),
		}, []echo{{wsframe.OpPong, "0123456789"}, text("abcd")}, 0},
	}
	// The close codes a peer may and may not send (Autobahn 7.7, 7.9):
	// a valid one is echoed, an invalid one fails the connection (1002).
	for _, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		tests = append(tests, conformanceCase{"close " + strconv.Itoa(code), websocket.Config{}, [][]byte{masked(0x88, closePayload(code, ""))}, nil, code})
	}
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		tests = append(tests, conformanceCase{"close " + strconv.Itoa(code), websocket.Config{}, [][]byte{masked(0x88, closePayload(code, ""))}, nil, websocket.CloseProtocolError})
	}
	eachH1(t, func(t *testing.T, m modes.Mode) {
		for _, tc := range tests {
			for _, chop := range []bool{false, true} {
				t.Run(tc.name+map[bool]string{true: ", byte by byte"}[chop], func(t *testing.T) {
					// A server that waited for CloseTimeout rather than
					// closing would outlast Patience.
					cfg := tc.cfg
					cfg.CloseTimeout = time.Minute
					s := serveWS(t, m, cfg, &echoAll{})
					rc := dialRaw(t, s, "/ws")
					peerCloses := false
					for _, f := range tc.frames {
						if chop {
							for i := range f {
								rc.nc.Write(f[i : i+1])
							}
						} else {
							rc.nc.Write(f)
						}
						peerCloses = peerCloses || f[0]&0x0F == wsframe.OpClose
					}
					for _, want := range tc.echoes {
						f, err := rc.next()
						if err != nil || f.Opcode != want.op || string(f.Payload) != want.data {
							code, reason := closeCode(f)
							t.Fatalf("opcode %d, %q (close %d %q), %v; want opcode %d, %q", f.Opcode, f.Payload, code, reason, err, want.op, want.data)
						}
					}
					if tc.echoes != nil && tc.close == 0 && tc.frames[len(tc.frames)-1][0]&0x0F != wsframe.OpClose {
						// The connection stays open: close it.
						rc.send(wsframe.OpClose, nil)
						peerCloses = true
					}
					f, err := rc.next()
					if err != nil || f.Opcode != wsframe.OpClose {
						t.Fatalf("opcode %d, %q, %v; want a close frame with %d", f.Opcode, f.Payload, err, tc.close)
					}
					if code, reason := closeCode(f); code != tc.close {
						t.Fatalf("close frame %d %q, want %d", code, reason, tc.close)
					}
					// The server began the close: the client answers, and the
					// server closes the TCP connection (RFC 6455 §7.1.1) at
					// once. A close the client began is answered, and the
					// connection closed, without more from the client.
					if !peerCloses {
						rc.send(wsframe.OpClose, f.Payload[:min(2, len(f.Payload))])
					}
					rc.nc.SetReadDeadline(time.Now().Add(wharftest.Patience))
					if f, err := rc.next(); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
						t.Fatalf("after the close handshake: opcode %d, %q, %v; want the connection closed", f.Opcode, f.Payload, err)
					}
				})
			}
		}
	})
}
