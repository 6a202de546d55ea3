package websocket_test

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wsframe"
	"github.com/wharf-go/wharf/websocket"
)

// rawClient is a WebSocket client on a bare TCP connection, which sees
// every frame the server sends, control frames too, as they are on the
// wire. It answers nothing on its own: no pong, no close.
type rawClient struct {
	nc   net.Conn
	br   *bufio.Reader
	buf  []byte
	resp *http.Response // the 101
}

// dialRaw opens path on s with a hand-written handshake.
func dialRaw(t *testing.T, s *modes.Server, path string) *rawClient {
	return dialRawWith(t, s, path, nil)
}

// dialRawWith opens path on s, sending extra in the same write as the
// handshake.
func dialRawWith(t *testing.T, s *modes.Server, path string, extra []byte) *rawClient {
	t.Helper()
	return dialRawFields(t, s, path, "", extra)
}

// dialRawFields opens path on s with fields (header lines, each ending
// in CRLF) added to the handshake, and extra right behind it.
func dialRawFields(t *testing.T, s *modes.Server, path, fields string, extra []byte) *rawClient {
	t.Helper()
	var nc net.Conn
	var err error
	if addr := strings.TrimPrefix(s.URL, "https://"); s.ClientTLS != nil {
		cfg := s.ClientTLS.Clone()
		cfg.NextProtos = []string{"http/1.1"}
		nc, err = tls.Dial("tcp", addr, cfg)
	} else {
		nc, err = net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	return newRawClientFields(t, nc, path, fields, extra)
}

// newRawClient makes the handshake for path on nc.
func newRawClient(t *testing.T, nc net.Conn, path string) *rawClient {
	t.Helper()
	return newRawClientWith(t, nc, path, nil)
}

// newRawClientWith makes the handshake for path on nc, with extra right
// behind it in the same write.
func newRawClientWith(t *testing.T, nc net.Conn, path string, extra []byte) *rawClient {
	t.Helper()
	return newRawClientFields(t, nc, path, "", extra)
}

// newRawClientFields is newRawClientWith with fields added to the
// handshake.
func newRawClientFields(t *testing.T, nc net.Conn, path, fields string, extra []byte) *rawClient {
	t.Helper()
	nc.Write(append([]byte("GET "+path+" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+fields+"\r\n"), extra...))
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v, %v", resp, err)
	}
	return &rawClient{nc: nc, br: br, resp: resp}
}

// send writes one masked frame, as a client must.
func (rc *rawClient) send(op byte, payload []byte) error {
	return rc.sendFragment(op, payload, true)
}

// sendFragment writes one masked frame, final or not.
func (rc *rawClient) sendFragment(op byte, payload []byte, fin bool) error {
	_, err := rc.nc.Write(clientFrame(op, payload, fin))
	return err
}

// clientFrame is one masked frame, as a client sends it.
func clientFrame(op byte, payload []byte, fin bool) []byte {
	b := []byte{op}
	if fin {
		b[0] |= 0x80
	}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	key := [4]byte{1, 2, 3, 4}
	b = append(b, key[:]...)
	for i, c := range payload {
		b = append(b, c^key[i&3])
	}
	return b
}

// next returns the next frame the server sent, or the read error (io.EOF
// once the server closed the connection).
func (rc *rawClient) next() (wsframe.Frame, error) { return rc.nextWith(wsframe.Parse) }

// nextWith is next with the frame parser parse.
func (rc *rawClient) nextWith(parse func([]byte) (wsframe.Frame, int, error)) (wsframe.Frame, error) {
	for {
		if f, n, err := parse(rc.buf); err == nil {
			f.Payload = append([]byte(nil), f.Payload...)
			rc.buf = rc.buf[n:]
			return f, nil
		} else if err != wsframe.ErrShort {
			return wsframe.Frame{}, err
		}
		var b [4096]byte
		n, err := rc.br.Read(b[:])
		rc.buf = append(rc.buf, b[:n]...)
		if err != nil && n == 0 {
			return wsframe.Frame{}, err
		}
	}
}

// closeFrames reads until the server closes the connection and returns
// the close frames it sent on the way. The first is answered with a close
// frame of the same code, unless answer is false (or the client began
// the close).
func (rc *rawClient) closeFrames(t *testing.T, answer bool) []wsframe.Frame {
	t.Helper()
	var closes []wsframe.Frame
	for {
		f, err := rc.next()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
				t.Fatalf("reading: %v", err)
			}
			return closes
		}
		if f.Opcode != wsframe.OpClose {
			continue
		}
		closes = append(closes, f)
		if len(closes) == 1 && answer {
			rc.send(wsframe.OpClose, f.Payload[:min(2, len(f.Payload))]) // its code, or none
		}
	}
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// closeCode splits a close frame's payload.
func closeCode(f wsframe.Frame) (int, string) {
	if len(f.Payload) < 2 {
		return 0, ""
	}
	return int(binary.BigEndian.Uint16(f.Payload)), string(f.Payload[2:])
}

// closeOnBye closes the connection with 1000 when asked to, or with the
// code a message "close N" gives.
type closeOnBye struct{ closed chan error }

func (closeOnBye) OnOpen(*websocket.Conn) {}
func (closeOnBye) OnMessage(c *websocket.Conn, m websocket.Message) {
	if string(m.Data) == "bye" {
		c.Close(websocket.CloseNormal, "bye to you")
	}
	if n, ok := strings.CutPrefix(string(m.Data), "close "); ok {
		code, _ := strconv.Atoi(n)
		c.Close(code, "asked to")
	}
}
func (h closeOnBye) OnClose(_ *websocket.Conn, err error) { h.closed <- err }

// Exactly one close frame goes each way (RFC 6455 §5.5.1), whoever began
// the close and why, and its code says why: a message over ReadLimit gets
// 1009, a peer that answers no ping 1001 with a reason, a frame that
// breaks the protocol 1002, a close asked for by the handler the code it
// gave, and a close the peer began its own code back.
func TestOneCloseFramePerDirection(t *testing.T) {
	tests := []struct {
		name     string
		cfg      websocket.Config
		client   func(rc *rawClient)
		answer   bool // the client answers the server's close frame
		wantCode int
		reason   bool             // the close frame must give a reason
		onClose  func(error) bool // what OnClose must get
	}{
		{"too big", websocket.Config{ReadLimit: 10}, func(rc *rawClient) {
			rc.send(wsframe.OpText, []byte("more than ten bytes"))
		}, true, websocket.CloseTooBig, false, is(websocket.ErrTooBig)},
		{"no pong", websocket.Config{PingInterval: 50 * time.Millisecond, PongTimeout: 50 * time.Millisecond, CloseTimeout: time.Second},
			func(*rawClient) {}, true, websocket.CloseGoingAway, true, is(websocket.ErrPongTimeout)},
		{"protocol error", websocket.Config{}, func(rc *rawClient) {
			rc.nc.Write([]byte{0x81, 0x02, 'h', 'i'}) // unmasked: a client must mask
		}, true, websocket.CloseProtocolError, false, is(websocket.ErrProtocol)},
		{"handler closes", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpText, []byte("bye"))
		}, true, websocket.CloseNormal, true, is(nil)},
		{"peer closes", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpClose, []byte{0x03, 0xE8}) // 1000
		}, false, websocket.CloseNormal, false, is(nil)},
		{"close code no frame may carry", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpClose, []byte{0x03, 0xED}) // 1005
		}, true, websocket.CloseProtocolError, true, is(websocket.ErrProtocol)},
		// A close reason is UTF-8 (RFC 6455 §5.5.1): one that is not is
		// data inconsistent with its type, 1007 (§7.4.1, §8.1), as in a
		// text message, not a malformed frame.
		{"close reason not UTF-8", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpClose, []byte{0x03, 0xE8, 0xFF})
		}, true, websocket.CloseInvalidPayload, true, is(websocket.ErrInvalidUTF8)},
		{"close reason cut mid-character", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpClose, []byte{0x03, 0xE8, 'o', 'k', 0xE2, 0x82})
		}, true, websocket.CloseInvalidPayload, true, is(websocket.ErrInvalidUTF8)},
		{"continuation outside a message", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpContinuation, []byte("x"))
		}, true, websocket.CloseProtocolError, true, is(websocket.ErrProtocol)},
		{"a message inside a message", websocket.Config{}, func(rc *rawClient) {
			rc.sendFragment(wsframe.OpText, []byte("a"), false)
			rc.send(wsframe.OpText, []byte("b"))
		}, true, websocket.CloseProtocolError, true, is(websocket.ErrProtocol)},
		// Out of place, a frame breaks the protocol however long it is:
		// its length is not measured against another message's.
		{"continuation outside a message, over ReadLimit", websocket.Config{ReadLimit: 10}, func(rc *rawClient) {
			rc.send(wsframe.OpContinuation, []byte("more than ten bytes"))
		}, true, websocket.CloseProtocolError, true, is(websocket.ErrProtocol)},
		{"a message inside a message, over ReadLimit", websocket.Config{ReadLimit: 10}, func(rc *rawClient) {
			rc.sendFragment(wsframe.OpText, []byte("12345"), false)
			rc.send(wsframe.OpBinary, []byte("123456"))
		}, true, websocket.CloseProtocolError, true, is(websocket.ErrProtocol)},
		{"too big in fragments", websocket.Config{ReadLimit: 10}, func(rc *rawClient) {
			rc.sendFragment(wsframe.OpText, []byte("123456"), false)
			rc.sendFragment(wsframe.OpContinuation, []byte("7890"), false)
			rc.sendFragment(wsframe.OpContinuation, []byte("1"), true)
		}, true, websocket.CloseTooBig, false, is(websocket.ErrTooBig)},
		{"handler closes with 4000", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpText, []byte("close 4000"))
		}, true, 4000, true, is(nil)},
		// A code no close frame may carry goes as an empty close frame
		// (closeCode reads 0): the handler's reason goes with it.
		{"handler closes with 1006", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpText, []byte("close 1006"))
		}, true, 0, false, is(nil)},
		{"handler closes with 1005", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpText, []byte("close 1005"))
		}, true, 0, false, is(nil)},
		{"handler closes with 1015", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpText, []byte("close 1015"))
		}, true, 0, false, is(nil)},
		{"handler closes with 2000", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpText, []byte("close 2000"))
		}, true, 0, false, is(nil)},
		{"handler closes with 999", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpText, []byte("close 999"))
		}, true, 0, false, is(nil)},
		// The peer's close frame crosses the server's: its code is the
		// peer's own, not an answer to the server's 1000, and OnClose
		// gets it.
		{"peer closes with 4000 as the handler closes", websocket.Config{}, func(rc *rawClient) {
			rc.nc.Write(append(clientFrame(wsframe.OpText, []byte("bye"), true), clientFrame(wsframe.OpClose, []byte{0x0F, 0xA0, 'x'}, true)...))
		}, false, websocket.CloseNormal, true, func(err error) bool {
			var ce *websocket.CloseError
			return errors.As(err, &ce) && ce.Code == 4000 && ce.Text == "x"
		}},
		// The peer answers the handler's 4000 with it: a handshake
		// completed.
		{"peer answers 4000 with 4000", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpText, []byte("close 4000"))
			rc.send(wsframe.OpClose, []byte{0x0F, 0xA0})
		}, false, 4000, true, is(nil)},
		{"peer closes with 4000", websocket.Config{}, func(rc *rawClient) {
			rc.send(wsframe.OpClose, []byte{0x0F, 0xA0, 'x'}) // 4000
		}, false, 4000, false, func(err error) bool {
			var ce *websocket.CloseError
			return errors.As(err, &ce) && ce.Code == 4000 && ce.Text == "x"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachH1(t, func(t *testing.T, m modes.Mode) {
				h := closeOnBye{closed: make(chan error, 1)}
				s := serveWS(t, m, tc.cfg, h)
				rc := dialRaw(t, s, "/ws")
				tc.client(rc)
				closes := rc.closeFrames(t, tc.answer)
				if len(closes) != 1 {
					var got []string
					for _, f := range closes {
						code, reason := closeCode(f)
						got = append(got, fmt.Sprintf("%d %s", code, reason))
					}
					t.Fatalf("server sent %d close frames %q, want 1", len(closes), got)
				}
				code, reason := closeCode(closes[0])
				if code != tc.wantCode || (tc.reason && reason == "") {
					t.Fatalf("close frame %d %q, want %d (reason required: %v)", code, reason, tc.wantCode, tc.reason)
				}
				select {
				case err := <-h.closed:
					if !tc.onClose(err) {
						t.Errorf("OnClose(%v)", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("OnClose not called")
				}
			})
		})
	}
}

// is matches errors.Is(err, target), or a nil err for a nil target.
func is(target error) func(error) bool {
	return func(err error) bool {
		if target == nil {
			return err == nil
		}
		return errors.Is(err, target)
	}
}

// abortOnMessage queues messages for its peer, then aborts.
type abortOnMessage struct{ closed chan error }

func (abortOnMessage) OnOpen(*websocket.Conn) {}
func (abortOnMessage) OnMessage(c *websocket.Conn, m websocket.Message) {
	for range 100 {
		c.Send(websocket.Text(strings.Repeat("q", 1000)))
	}
	c.Abort()
	c.Close(websocket.CloseNormal, "too late") // nothing: the connection is gone
}
func (h abortOnMessage) OnClose(_ *websocket.Conn, err error) { h.closed <- err }

// Abort drops the connection: no close frame goes out (the client sees
// the TCP connection end), what was queued is dropped, a Close after it
// does nothing, and OnClose gets ErrAborted.
func TestAbort(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		h := abortOnMessage{closed: make(chan error, 1)}
		s := serveWS(t, m, websocket.Config{}, h)
		rc := dialRaw(t, s, "/ws")
		rc.send(wsframe.OpText, []byte("go"))
		if closes := rc.closeFrames(t, true); len(closes) != 0 {
			t.Errorf("%d close frames after Abort, want none", len(closes))
		}
		select {
		case err := <-h.closed:
			if !errors.Is(err, websocket.ErrAborted) {
				t.Errorf("OnClose(%v), want ErrAborted", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("OnClose not called")
		}
	})
}
