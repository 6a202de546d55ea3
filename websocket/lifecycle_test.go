package websocket_test

import (
	"errors"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/internal/wsframe"
	"github.com/wharf-go/wharf/websocket"
)

// A peer that reads, but slower than its feed, gets the feed's 1008 once
// SendQueue messages wait: what the socket is taking (one batch at most)
// does not empty the queue each time the socket takes some more, or the
// backlog would grow in the server without bound and Send would never say
// ErrQueueFull.
func TestSteadySlowReaderFillsTheQueue(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		tk := &ticker{size: 16 << 10, period: 5 * time.Millisecond, closed: make(chan error, 1)}
		c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
		c.Handle("/ws", websocket.NewHandler(websocket.Config{}, func(*api.Request) (websocket.Handler, error) { return tk, nil }))
		s := modes.Start(t, m, c)
		d := &gws.Dialer{NetDial: wharftest.SmallReceiveBuffer(4 << 10).Dial, ReadBufferSize: 1 << 10}
		ws, _, err := d.Dial("ws"+s.URL[len("http"):]+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		// At most 100 messages a second, of about 200 sent, for 8 s (the
		// socket's buffers fill in the first seconds, then 256 messages
		// wait in about 1.3 s); then as fast as they come, which keeps up:
		// the 1008 must have been decided in the slow part. Were the queue
		// emptied into the bytes being written at each writability, it
		// would never hold 256.
		ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		start := time.Now()
		for got := 0; ; got++ {
			_, _, err := ws.ReadMessage()
			if err != nil {
				var ce *gws.CloseError
				if !errors.As(err, &ce) || ce.Code != gws.ClosePolicyViolation {
					t.Fatalf("after %d messages (%d sent): %v, want close 1008", got, tk.sent.Load(), err)
				}
				break
			}
			if time.Since(start) < 8*time.Second {
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
}

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
				c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
				c.Handle("/ws", websocket.NewHandler(tc.cfg, func(*api.Request) (websocket.Handler, error) { return h, nil }))
				s := modes.Start(t, m, c)
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
