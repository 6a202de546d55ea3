package websocket_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/internal/wsframe"
	"github.com/wharf-go/wharf/websocket"
)

// When a close is under way and the peer then breaks the protocol or
// falls silent, OnClose says so: not nil, as for a handshake completed.
func TestReasonWhileClosing(t *testing.T) {
	tests := []struct {
		name  string
		cfg   websocket.Config
		after func(rc *rawClient)
		want  error
	}{
		{"protocol error", websocket.Config{CloseTimeout: 10 * time.Second}, func(rc *rawClient) {
			rc.nc.Write([]byte{0x81, 0x01, 'x'}) // unmasked
		}, websocket.ErrProtocol},
		{"too big", websocket.Config{CloseTimeout: 10 * time.Second, ReadLimit: 4}, func(rc *rawClient) {
			rc.send(wsframe.OpText, []byte("too long"))
		}, websocket.ErrTooBig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachH1(t, func(t *testing.T, m modes.Mode) {
				h := closeOnBye{closed: make(chan error, 1)}
				s := serveWS(t, m, tc.cfg, h)
				rc := dialRaw(t, s, "/ws")
				rc.send(wsframe.OpText, []byte("bye"))
				if f, err := rc.next(); err != nil || f.Opcode != wsframe.OpClose {
					t.Fatalf("got %v, %v; want the close frame", f, err)
				}
				tc.after(rc) // instead of the answer
				select {
				case err := <-h.closed:
					if !errors.Is(err, tc.want) {
						t.Errorf("OnClose(%v), want %v", err, tc.want)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("OnClose not called")
				}
			})
		})
	}
}

// On the epoll connector a container's Close (not Shutdown) breaks the
// WebSockets on its selectors, and they end at once, though the
// selectors stop right after and no ping would find the connection gone:
// the break itself calls the tunnel's listener. (A hijacked connection is
// the connector's no more: Close gives it the close handshake, within
// CloseTimeout, as Shutdown does.)
func TestContainerCloseEndsWebSockets(t *testing.T) {
	h := &silent{}
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.Handle("/ws", websocket.NewHandler(websocket.Config{PingInterval: -1, CloseTimeout: time.Minute}, func(*api.Request) (websocket.Handler, error) { return h, nil }))
	s := modes.Start(t, modes.H1, c)
	ws := dialHTTP1(t, s, "/ws")
	defer ws.Close()
	for h.opened.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	c.Close()
	for deadline := time.Now().Add(5 * time.Second); h.closed.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("OnClose not called within 5 s of the container's Close")
		}
	}
}

// ctxCheck records whether the request's context was done by the time
// OnClose ran (its Err, its Done channel taken while the connection was
// open, and a context derived from it then), and whether it was not while
// the connection was open.
type ctxCheck struct {
	openDone, closeDone chan bool
	derived             chan context.Context
}

func (h ctxCheck) OnOpen(c *websocket.Conn) {
	ctx := c.Request().Context()
	derived, cancel := context.WithCancel(ctx)
	_ = cancel // canceled by its parent
	h.derived <- derived
	select {
	case <-ctx.Done():
		h.openDone <- true
	default:
		h.openDone <- ctx.Err() != nil
	}
}
func (h ctxCheck) OnMessage(*websocket.Conn, websocket.Message) {}
func (h ctxCheck) OnClose(c *websocket.Conn, _ error) {
	ctx := c.Request().Context()
	derived := <-h.derived
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		h.closeDone <- false
		return
	}
	select {
	case <-derived.Done():
	case <-time.After(5 * time.Second):
		h.closeDone <- false
		return
	}
	h.closeDone <- ctx.Err() != nil && c.Request().Exchange() == nil
}

// Conn.Request's context is the connection's: live while it is open,
// done once it has ended, before OnClose runs; the request keeps nothing
// of its exchange.
func TestRequestContextIsTheConnections(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		h := ctxCheck{make(chan bool, 1), make(chan bool, 1), make(chan context.Context, 1)}
		s := serveWS(t, m, websocket.Config{}, h)
		rc := dialRaw(t, s, "/ws")
		if <-h.openDone {
			t.Error("the context was done in OnOpen")
		}
		rc.send(wsframe.OpClose, []byte{0x03, 0xE8})
		select {
		case ok := <-h.closeDone:
			if !ok {
				t.Error("in OnClose the context was not done, or the request had an Exchange")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("OnClose not called")
		}
	})
}

// closeSignal records its connection and says when OnClose has run.
type closeSignal struct {
	conn   chan *websocket.Conn
	closed chan struct{}
}

func (h closeSignal) OnOpen(c *websocket.Conn)                     { h.conn <- c }
func (h closeSignal) OnMessage(*websocket.Conn, websocket.Message) {}
func (h closeSignal) OnClose(*websocket.Conn, error)               { close(h.closed) }

// Done's channel is made when asked for: asked only once the connection
// has ended, it is closed already, and asked again it is the same one.
func TestDoneAskedAfterTheEnd(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		h := closeSignal{make(chan *websocket.Conn, 1), make(chan struct{})}
		s := serveWS(t, m, websocket.Config{}, h)
		rc := dialRaw(t, s, "/ws")
		c := <-h.conn
		rc.send(wsframe.OpClose, []byte{0x03, 0xE8})
		<-h.closed
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			if errors.Is(c.Send(websocket.Text("late")), websocket.ErrClosed) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("Send still accepted after OnClose")
			}
		}
		done := c.Done()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Done not closed after the connection ended")
		}
		if c.Done() != done {
			t.Error("Done returned another channel")
		}
	})
}
