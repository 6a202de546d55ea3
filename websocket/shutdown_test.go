package websocket_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// closeCodes reads each client until its connection ends and tallies the
// close codes they saw (1006 for an end without a close frame).
func closeCodes(conns []*gws.Conn, deadline time.Time) map[int]int {
	var mu sync.Mutex
	codes := make(map[int]int)
	var wg sync.WaitGroup
	for _, ws := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws.SetReadDeadline(deadline)
			var err error
			for err == nil {
				_, _, err = ws.ReadMessage()
			}
			code := gws.CloseAbnormalClosure
			var ce *gws.CloseError
			if errors.As(err, &ce) {
				code = ce.Code
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return codes
}

// Shutdown closes every WebSocket with 1001 and returns once their close
// handshakes are done: with 1,000 clients connected, each reads 1001
// (none 1006), and by the time Shutdown returns every connection has
// ended (its OnClose has run).
func TestShutdownClosesWebSockets(t *testing.T) {
	const n = 1000
	h := &silent{}
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.Handle("/ws", websocket.NewHandler(websocket.Config{}, func(*api.Request) (websocket.Handler, error) { return h, nil }))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- c.Serve(l) }()

	var ro wharftest.ReceiveOnly
	ro.Dial(t, &gws.Dialer{HandshakeTimeout: 10 * time.Second}, func(int) string { return "ws://" + l.Addr().String() + "/ws" }, n, false)
	conns := ro.Conns
	for _, ws := range conns {
		defer ws.Close()
	}
	wharftest.WaitFor(t, "every connection to open", func() bool { return h.opened.Load() == n })

	codes := make(chan map[int]int, 1)
	go func() { codes <- closeCodes(conns, time.Now().Add(20*time.Second)) }()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	start := time.Now()
	if err := c.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	took := time.Since(start)
	if closed := h.closed.Load(); closed != n {
		t.Errorf("Shutdown returned after %v with %d of %d connections still open", took, n-int(closed), n)
	}
	if got := <-codes; got[gws.CloseGoingAway] != n {
		t.Errorf("close codes the clients saw: %v, want 1001 for all %d", got, n)
	}
	<-served
	t.Logf("Shutdown with %d WebSockets took %v", n, took)
}

// The wait is bounded: a client that never answers the close frame holds
// Shutdown for CloseTimeout, not longer; in a synctest bubble, exactly.
func TestShutdownWaitsCloseTimeoutAtMost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &silent{}
		c := container.New(container.WithLogger(wharftest.DiscardLogger()))
		c.Handle("/ws", websocket.NewHandler(websocket.Config{CloseTimeout: 3 * time.Second}, func(*api.Request) (websocket.Handler, error) { return h, nil }))
		d, stop := servePipes(t, c)
		ws, _, err := d.Dial("ws://pipe/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		synctest.Wait()
		// The client reads frames but never answers the close frame.
		var sawClose atomic.Bool
		go func() {
			var b [512]byte
			for {
				n, err := ws.NetConn().Read(b[:])
				if n >= 2 && b[0] == 0x88 {
					sawClose.Store(true)
				}
				if err != nil {
					return
				}
			}
		}()
		start := time.Now()
		stop()
		if took := time.Since(start); took != 3*time.Second || !sawClose.Load() {
			t.Errorf("Shutdown took %v (close frame seen: %v), want CloseTimeout (3s)", took, sawClose.Load())
		}
	})
}
