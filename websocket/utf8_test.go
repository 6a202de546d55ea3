package websocket_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wsframe"
	"github.com/wharf-go/wharf/websocket"
)

// recordMsgs hands the test every message and how the connection ended.
type recordMsgs struct {
	msgs   chan websocket.Message
	closed chan error
}

func (recordMsgs) OnOpen(*websocket.Conn)                             {}
func (h recordMsgs) OnMessage(_ *websocket.Conn, m websocket.Message) { h.msgs <- m }
func (h recordMsgs) OnClose(_ *websocket.Conn, err error)             { h.closed <- err }

// A text message that is not UTF-8 fails the connection with 1007 (RFC
// 6455 §8.1, §7.4.1) and never reaches OnMessage, which OnClose reports
// as ErrInvalidUTF8; whether it is invalid in one frame, only once its
// last fragment cuts a character short, or already in a fragment no
// continuation could mend, or in the part of a frame that came (the
// connection fails without waiting for the rest, as Autobahn's 6.x cases
// expect). A character split across
// fragments is no error, nor are the same bytes in a binary message.
func TestInvalidUTF8TextFails1007(t *testing.T) {
	euro := []byte("€") // e2 82 ac
	tests := []struct {
		name   string
		client func(rc *rawClient)
		want   *websocket.Message // delivered; nil: the connection fails with 1007
	}{
		{"invalid in one frame", func(rc *rawClient) {
			rc.send(wsframe.OpText, []byte{0xff, 0xfe, 'x'})
		}, nil},
		{"valid, split mid-character", func(rc *rawClient) {
			rc.sendFragment(wsframe.OpText, append([]byte("price: "), euro[:2]...), false)
			rc.sendFragment(wsframe.OpContinuation, append(euro[2:], " 5"...), true)
		}, &websocket.Message{Data: []byte("price: € 5")}},
		{"valid, a character over three fragments", func(rc *rawClient) {
			smile := []byte("😀") // f0 9f 98 80
			rc.sendFragment(wsframe.OpText, smile[:1], false)
			rc.sendFragment(wsframe.OpContinuation, smile[1:2], false)
			rc.sendFragment(wsframe.OpContinuation, nil, false)
			rc.sendFragment(wsframe.OpContinuation, smile[2:], true)
		}, &websocket.Message{Data: []byte("😀")}},
		{"last fragment cuts a character short", func(rc *rawClient) {
			rc.sendFragment(wsframe.OpText, []byte("ok so far "), false)
			rc.sendFragment(wsframe.OpContinuation, euro[:2], true)
		}, nil},
		{"fragment no continuation can mend", func(rc *rawClient) {
			rc.sendFragment(wsframe.OpText, []byte("fine"), false)
			rc.sendFragment(wsframe.OpContinuation, []byte{0xe2, 'x'}, false)
			// The message never ends: the server must not wait for it.
		}, nil},
		{"invalid in a frame not yet whole", func(rc *rawClient) {
			// A frame of 4 KiB of which only the first 16 bytes come,
			// the invalid one among them (Autobahn's 6.4.3): the server
			// must fail the connection on them, not wait for the rest.
			p := bytes.Repeat([]byte("a"), 4<<10)
			p[5] = 0xff
			frame := clientFrame(wsframe.OpText, p, true)
			rc.nc.Write(frame[:len(frame)-len(p)+16])
		}, nil},
		{"binary with the same bytes", func(rc *rawClient) {
			rc.send(wsframe.OpBinary, []byte{0xff, 0xfe, 'x'})
		}, &websocket.Message{Binary: true, Data: []byte{0xff, 0xfe, 'x'}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachH1(t, func(t *testing.T, m modes.Mode) {
				h := recordMsgs{msgs: make(chan websocket.Message, 4), closed: make(chan error, 1)}
				s := serveWS(t, m, websocket.Config{}, h)
				rc := dialRaw(t, s, "/ws")
				tc.client(rc)
				// A ping behind the message: a server still reading answers
				// it once OnMessage has returned; one that failed the
				// connection reads no further and sends its close frame
				// instead. Either way the test need not wait for what does
				// not come.
				rc.send(wsframe.OpPing, []byte("after"))
				first := nextPongOrClose(t, rc)

				if tc.want != nil {
					if first.Opcode != wsframe.OpPong {
						code, reason := closeCode(first)
						t.Fatalf("server closed with %d %q, want the message delivered", code, reason)
					}
					select {
					case got := <-h.msgs:
						if got.Binary != tc.want.Binary || !bytes.Equal(got.Data, tc.want.Data) {
							t.Fatalf("delivered %q (binary %v), want %q (binary %v)", got.Data, got.Binary, tc.want.Data, tc.want.Binary)
						}
					default:
						t.Fatal("the pong came back before the message was delivered")
					}
					rc.send(wsframe.OpClose, []byte{0x03, 0xE8}) // 1000
					if closes := rc.closeFrames(t, false); len(closes) != 1 {
						t.Fatalf("%d close frames answering the client's, want 1", len(closes))
					}
					if err := waitClosed(t, h.closed); err != nil {
						t.Errorf("OnClose(%v), want nil", err)
					}
					return
				}

				if first.Opcode != wsframe.OpClose {
					t.Fatal("the server answered the ping behind the message: the connection is still open, want close 1007")
				}
				if code, _ := closeCode(first); code != websocket.CloseInvalidPayload {
					t.Fatalf("close code %d, want %d", code, websocket.CloseInvalidPayload)
				}
				rc.send(wsframe.OpClose, first.Payload[:2])
				if more := rc.closeFrames(t, false); len(more) != 0 {
					t.Fatalf("%d close frames after the first, want none", len(more))
				}
				if err := waitClosed(t, h.closed); !errors.Is(err, websocket.ErrInvalidUTF8) {
					t.Errorf("OnClose(%v), want ErrInvalidUTF8", err)
				}
				// OnMessage would have run before the close frame was sent:
				// the same task reads the frames and runs the callbacks.
				select {
				case got := <-h.msgs:
					t.Errorf("delivered %q (binary %v) to OnMessage, want nothing", got.Data, got.Binary)
				default:
				}
			})
		})
	}
}

// nextPongOrClose returns the first pong or close frame the server sends.
func nextPongOrClose(t *testing.T, rc *rawClient) wsframe.Frame {
	t.Helper()
	for {
		f, err := rc.next()
		if err != nil {
			t.Fatalf("reading: %v (want a pong or a close frame)", err)
		}
		if f.Opcode == wsframe.OpPong || f.Opcode == wsframe.OpClose {
			return f
		}
	}
}

// waitClosed returns what OnClose got.
func waitClosed(t *testing.T, closed <-chan error) error {
	t.Helper()
	select {
	case err := <-closed:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("OnClose not called")
		return nil
	}
}
