package websocket_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/websocket"
)

// On the epoll connector an open WebSocket that has nothing to say holds
// no goroutine: the selector watches its socket, and a task reads when
// the peer sends. 500 quiet connections add a few of the executor's idle
// workers at most (the handshakes ran on them), where a goroutine per
// connection would add 500, and two 1,000; and each still answers at
// once when spoken to. Over TLS too: crypto/tls runs when bytes came.
// Their timers are in the selectors' timer wheels.
func TestIdleWebSocketsHoldNoGoroutine(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H1TLS} {
		t.Run(string(m), func(t *testing.T) { testIdleWebSockets(t, m) })
	}
}

func testIdleWebSockets(t *testing.T, m modes.Mode) {
	const n = 500
	h := echoOnce{&silent{}, new(atomic.Int32)}
	s := serveWS(t, m, websocket.Config{}, h)

	before := settledGoroutines(0)
	url, d := wsURL(s, "/ws"), dialerFor(s, *gws.DefaultDialer)
	conns := make([]*gws.Conn, 0, n)
	defer func() {
		for _, ws := range conns {
			ws.Close()
		}
	}()
	for range n {
		ws, _, err := d.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, ws)
	}
	for deadline := time.Now().Add(10 * time.Second); h.opened.Load() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d opened", h.opened.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The clients read nothing (no goroutine of theirs); the server's
	// executor may keep idle workers from the handshakes.
	open := settledGoroutines(before + 64)
	if extra := open - before; extra > 64 {
		t.Fatalf("%d idle WebSockets: goroutines %d -> %d (%d more; one per connection would be %d)", n, before, open, extra, n)
	}
	t.Logf("%d idle WebSockets: goroutines %d -> %d", n, before, open)
	for i, ws := range conns[:20] {
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := ws.WriteMessage(gws.TextMessage, []byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, m, err := ws.ReadMessage(); err != nil || string(m) != "ping" {
			t.Fatalf("connection %d echoed %q, %v", i, m, err)
		}
	}
	// Nor a runtime timer: each connection's pings and timeouts are one
	// timer in the wheel of the selector polling it.
	if got := h.inWheel.Load(); got != 20 {
		t.Errorf("%d of 20 connections had their timer in a selector's wheel", got)
	}
}

// echoOnce echoes every message; it counts openings in a silent, and
// the connections that echoed with their timer in a timer wheel.
type echoOnce struct {
	*silent
	inWheel *atomic.Int32
}

func (e echoOnce) OnMessage(c *websocket.Conn, m websocket.Message) {
	if websocket.TimerInWheel(c) {
		e.inWheel.Add(1)
	}
	c.Send(m)
}

// settledGoroutines waits, a few seconds at most, for the goroutine
// count to fall to at most want (0: for it to stop changing), and returns
// it.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if (want > 0 && m <= want) || (want == 0 && m == n) {
			return m
		}
		n = m
	}
	return n
}
