package websocket

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
)

// lostTunnel is a quietTunnel whose reads, once held, wait in TryRead
// until released and then fail as a closed socket's do: the reader is
// caught between its look at whether the connection finished and the
// read that finds the peer gone. Its tasks run on goroutines of their
// own, so the connection's goroutines race as on a server.
type lostTunnel struct {
	quietTunnel
	mu      sync.Mutex
	held    bool
	reading chan struct{} // closed when a held read waits
	release chan struct{}
	closes  int
}

func (t *lostTunnel) TryRead(p []byte) (int, error) {
	t.mu.Lock()
	held := t.held
	t.mu.Unlock()
	if !held {
		return t.quietTunnel.TryRead(p)
	}
	close(t.reading)
	<-t.release
	return 0, net.ErrClosed
}

func (t *lostTunnel) Execute(f func()) { go f() }

func (t *lostTunnel) Close() error {
	t.mu.Lock()
	t.closes++
	t.mu.Unlock()
	return nil
}

// closeLog records the callbacks a connection ran, and OnClose's errors.
type closeLog struct {
	mu       sync.Mutex
	messages int
	closes   []error
}

func (h *closeLog) OnOpen(*Conn) {}
func (h *closeLog) OnMessage(*Conn, Message) {
	h.mu.Lock()
	h.messages++
	h.mu.Unlock()
}
func (h *closeLog) OnClose(_ *Conn, err error) {
	h.mu.Lock()
	h.closes = append(h.closes, err)
	h.mu.Unlock()
}

// A peer lost (the read that fails, lost) after the connection finished
// another way (Abort, CloseTimeout) ends nothing twice: OnClose runs
// once, with the reason of the end that came first, and no callback runs
// after it; the tunnel closes once.
func TestLostAfterFinish(t *testing.T) {
	for _, tc := range []struct {
		name   string
		finish func(c *Conn)
		want   error
	}{
		{"Abort", func(c *Conn) { c.Abort() }, ErrAborted},
		{"CloseTimeout", func(c *Conn) {
			c.Close(CloseNormal, "bye") // out whole at once: the answer is awaited
			time.Sleep(time.Second)     // CloseTimeout
		}, ErrCloseTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tun := &lostTunnel{reading: make(chan struct{}), release: make(chan struct{})}
				h := &closeLog{}
				r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/ws"}, nil)
				c := newConn(tun, "", &settings{Config: Config{CloseTimeout: time.Second}, pools: new(pools)}, r, h)
				c.start()
				synctest.Wait() // OnOpen, and the first look for frames

				tun.mu.Lock()
				tun.held = true
				tun.mu.Unlock()
				tun.feed(nil) // the reader runs, and waits in TryRead
				<-tun.reading
				tc.finish(c)
				synctest.Wait()
				c.mu.Lock()
				finished := c.finished
				c.mu.Unlock()
				if !finished {
					t.Fatal("the connection did not finish")
				}
				close(tun.release) // the read fails: the peer is lost, too late
				<-c.Done()
				synctest.Wait()

				h.mu.Lock()
				defer h.mu.Unlock()
				if len(h.closes) != 1 || !errors.Is(h.closes[0], tc.want) {
					t.Errorf("OnClose got %v; want once, %v", h.closes, tc.want)
				}
				if h.messages != 0 {
					t.Errorf("%d messages after the end", h.messages)
				}
				tun.mu.Lock()
				defer tun.mu.Unlock()
				if tun.closes != 1 {
					t.Errorf("the tunnel closed %d times, want 1", tun.closes)
				}
			})
		})
	}
}
