package websocket_test

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// silent is a Handler that sends nothing and counts the connections that
// ended, with the first reason.
type silent struct {
	opened, closed atomic.Int32
	first          atomic.Pointer[error]
}

func (s *silent) OnOpen(*websocket.Conn)                       { s.opened.Add(1) }
func (s *silent) OnMessage(*websocket.Conn, websocket.Message) {}
func (s *silent) OnClose(_ *websocket.Conn, err error) {
	s.closed.Add(1)
	s.first.CompareAndSwap(nil, &err)
}

func (s *silent) why() error {
	if p := s.first.Load(); p != nil {
		return *p
	}
	return nil
}

// 1,000 clients that answer pings but never send a message stay
// connected over ten ping intervals, in a synctest bubble with the
// defaults (30 s pings, which also keep the connection from being idle
// for IdleTimeout, 5 minutes): keep-alive never mistakes a live peer for
// a dead one.
func TestReceiveOnlyClientsSurviveSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 1000
		l := wharftest.NewPipeListener()
		h := &silent{}
		c := container.New(container.WithLogger(wharftest.DiscardLogger()))
		c.Handle("/ws", websocket.NewHandler(websocket.Config{}, func(*api.Request) (websocket.Handler, error) { return h, nil }))
		served := make(chan struct{})
		go func() { defer close(served); c.Serve(l) }()

		var ro wharftest.ReceiveOnly
		ro.Dial(t, &gws.Dialer{NetDialContext: l.Dial}, func(int) string { return "ws://pipe/ws" }, n, true)
		time.Sleep(10 * websocket.DefaultPingInterval)
		synctest.Wait()
		if lost, closed := ro.Lost.Load(), h.closed.Load(); lost != 0 || closed != 0 {
			t.Errorf("after 10 ping intervals: %d clients lost (first: %v), %d closed by the server (first: %v)", lost, ro.Why(), closed, h.why())
		}
		ro.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-served
	})
}

// The same over real sockets at short settings (pings every 500 ms), where
// timers fire late and in any order: none of 1,000 receive-only clients
// is dropped over ten ping intervals. (A ticker that skipped ticks now and
// then, as the keep-alive's once did, drops most of them.) The pong
// timeout, 3 s, leaves room for a loaded machine: on two cores shared
// with other tests, under the race detector, pongs came well over half a
// second late while the 1,000 handshakes ran, and 1.5 s lost 62 of the
// portable connector's clients once, with two busy loops beside the
// test. On a machine loaded further (a load average of 18: 1,000
// handshakes took 11 s) 3 s lost 143 of them, the clients' goroutines
// starved, not the keep-alive wrong; so the same handshakes are timed
// first, to a server that pings at the default, and the pong timeout
// stretches to that time, the wait to the pong timeout and four pings
// more. A keep-alive that stopped pinging still loses every client
// within the wait: on an idle machine, the test's 5 s.
func TestReceiveOnlyClientsSurviveRealSockets(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections for 5 s")
	}
	const n, ping = 1000, 500 * time.Millisecond
	eachH1(t, func(t *testing.T, m modes.Mode) {
		dial := func(s *modes.Server) *wharftest.ReceiveOnly {
			ro := new(wharftest.ReceiveOnly)
			ro.Dial(t, dialerFor(s, gws.Dialer{HandshakeTimeout: 10 * time.Second, NetDial: (&net.Dialer{}).Dial}), func(int) string { return wsURL(s, "/ws") }, n, true)
			return ro
		}
		start := time.Now()
		dial(serveWS(t, m, websocket.Config{}, &silent{})).Close()
		pong := max(6*ping, time.Since(start))
		wait := max(10*ping, pong+4*ping)

		h := &silent{}
		s := serveWS(t, m, websocket.Config{PingInterval: ping, PongTimeout: pong}, h)
		start = time.Now()
		ro := dial(s)
		t.Logf("1,000 clients connected in %v; pong timeout %v, waiting %v", time.Since(start), pong, wait)
		defer ro.Close()
		time.Sleep(wait)
		if lost, closed := ro.Lost.Load(), h.closed.Load(); lost != 0 || closed != 0 {
			t.Errorf("after %v: %d clients lost (first: %v), %d closed by the server (first: %v)", wait, lost, ro.Why(), closed, h.why())
		}
	})
}

// messages is a Handler that passes on each message's length and the
// reason the connection ended.
type messages struct {
	got    chan int
	closed chan error
}

func (m messages) OnOpen(*websocket.Conn)                             {}
func (m messages) OnMessage(_ *websocket.Conn, msg websocket.Message) { m.got <- len(msg.Data) }
func (m messages) OnClose(_ *websocket.Conn, err error)               { m.closed <- err }

// A peer that uploads one frame for longer than PingInterval + PongTimeout,
// a byte at a time, is alive while its bytes come: the keep-alive counts
// them, not only whole frames.
func TestSlowFrameKeepsAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := wharftest.NewPipeListener()
		h := messages{got: make(chan int, 1), closed: make(chan error, 1)}
		c := container.New(container.WithLogger(wharftest.DiscardLogger()))
		cfg := websocket.Config{PingInterval: time.Second, PongTimeout: time.Second}
		c.Handle("/ws", websocket.NewHandler(cfg, func(*api.Request) (websocket.Handler, error) { return h, nil }))
		served := make(chan struct{})
		go func() { defer close(served); c.Serve(l) }()

		ws, _, err := (&gws.Dialer{NetDialContext: l.Dial}).Dial("ws://pipe/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		nc := ws.NetConn()
		defer func() {
			nc.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := c.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			<-served
		}()
		go io.Copy(io.Discard, nc) // the server's pings, never answered
		const size = 20
		// A masked binary frame of size bytes, with a zero mask key.
		if _, err := nc.Write([]byte{0x82, 0x80 | size, 0, 0, 0, 0}); err != nil {
			t.Fatal(err)
		}
		for range size {
			time.Sleep(500 * time.Millisecond) // 10 s in all, five times the keep-alive's 2 s
			if _, err := nc.Write([]byte{'x'}); err != nil {
				t.Fatalf("write: %v (closed: %v)", err, <-h.closed)
			}
		}
		select {
		case n := <-h.got:
			if n != size {
				t.Errorf("message of %d bytes, want %d", n, size)
			}
		case err := <-h.closed:
			t.Fatalf("closed while the frame came: %v", err)
		}
	})
}
