package websocket_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// bufferedConn is a client's end of a pipe whose writes return at once,
// as a socket's do while its buffer has room: what the client sends waits
// for the server to read it, as the kernel keeps it.
type bufferedConn struct {
	net.Conn
	mu      sync.Mutex
	pending [][]byte
	wake    chan struct{}
}

func newBufferedConn(nc net.Conn) *bufferedConn {
	b := &bufferedConn{Conn: nc, wake: make(chan struct{}, 1)}
	go b.drain()
	return b
}

func (b *bufferedConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.pending = append(b.pending, append([]byte(nil), p...))
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (b *bufferedConn) drain() {
	for range b.wake {
		b.mu.Lock()
		out := b.pending
		b.pending = nil
		b.mu.Unlock()
		for _, p := range out {
			if _, err := b.Conn.Write(p); err != nil {
				return
			}
		}
	}
}

func (b *bufferedConn) Close() error {
	err := b.Conn.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.wake != nil {
		close(b.wake)
		b.wake = nil
	}
	return err
}

// busy answers a message with the result of work that takes a while.
type busy struct {
	work   time.Duration
	closed chan error
}

func (busy) OnOpen(*websocket.Conn) {}
func (h busy) OnMessage(c *websocket.Conn, m websocket.Message) {
	time.Sleep(h.work) // a slow query, on the bubble's clock
	c.Send(websocket.Text("done"))
}
func (h busy) OnClose(_ *websocket.Conn, err error) { h.closed <- err }

// While a callback runs, the connection is not read: the pongs a live
// peer sends meanwhile wait, unread, and are not "nothing from the peer".
// A callback longer than PingInterval + PongTimeout does not get its
// client dropped with 1001 "keep-alive timeout" (and ErrPongTimeout); a
// peer that really sends nothing still is, once the callback returned.
func TestSlowCallbackKeepsLivePeer(t *testing.T) {
	const ping, pong = 5 * time.Second, 5 * time.Second
	for _, tc := range []struct {
		name    string
		answers bool // the client answers pings
	}{
		{"live peer", true},
		{"dead peer", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := busy{work: 4 * (ping + pong), closed: make(chan error, 1)}
				c := container.New(container.WithLogger(wharftest.DiscardLogger()))
				c.Handle("/ws", websocket.NewHandler(websocket.Config{PingInterval: ping, PongTimeout: pong},
					func(*api.Request) (websocket.Handler, error) { return h, nil }))
				l := wharftest.NewPipeListener()
				served := make(chan struct{})
				go func() { defer close(served); c.Serve(l) }()
				d := gws.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					nc, err := l.Dial(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					return newBufferedConn(nc), nil
				}}
				ws, _, err := d.Dial("ws://pipe/ws", nil)
				if err != nil {
					t.Fatal(err)
				}
				if !tc.answers {
					ws.SetPingHandler(func(string) error { return nil })
				}
				got := make(chan error, 1)
				go func() {
					// Reading answers the pings (unless swallowed).
					_, m, err := ws.ReadMessage()
					if err == nil && string(m) != "done" {
						err = &websocket.CloseError{Text: string(m)}
					}
					if err == nil && !tc.answers {
						// The answer came; the keep-alive is for what follows.
						for err == nil {
							_, _, err = ws.ReadMessage()
						}
					}
					got <- err
				}()
				ws.WriteMessage(gws.TextMessage, []byte("work"))
				err = <-got
				switch {
				case tc.answers && err != nil:
					t.Errorf("a live client waiting for a slow callback read %v, want its answer", err)
				case !tc.answers && !gws.IsCloseError(err, gws.CloseGoingAway):
					t.Errorf("a client that never answers pings read %v, want the answer, then 1001", err)
				}
				ws.Close()
				if err := <-h.closed; !tc.answers && err != websocket.ErrPongTimeout {
					t.Errorf("OnClose(%v) for a client that never answers, want ErrPongTimeout", err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				c.Shutdown(ctx)
				l.Close()
				<-served
			})
		})
	}
}
