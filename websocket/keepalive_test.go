package websocket_test

import (
	"context"
	"net"
	"sync"
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

// receiveOnly is a client that reads (and so answers pings, as gorilla's
// client does while it reads) but never sends a message: a ticker's or a
// dashboard's client. lost counts the clients whose connection ended.
type receiveOnly struct {
	conns   []*gws.Conn
	wg      sync.WaitGroup
	closing atomic.Bool // the test is closing the clients: what ends now is not lost
	lost    atomic.Int32
	first   atomic.Pointer[error]
}

// dial connects n clients with d to url, 10 at a time, and with read
// starts reading each as soon as it is connected.
func (ro *receiveOnly) dial(t testing.TB, d *gws.Dialer, url string, n int, read bool) {
	t.Helper()
	ro.conns = make([]*gws.Conn, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, _, err := d.Dial(url, nil)
			if err != nil {
				errs <- err
				return
			}
			ro.conns[i] = ws
			if read {
				ro.read(ws)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("dial: %v", err)
	}
}

// read starts a reader for ws.
func (ro *receiveOnly) read(ws *gws.Conn) {
	ro.wg.Add(1)
	go func() {
		defer ro.wg.Done()
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				if !ro.closing.Load() {
					ro.lost.Add(1)
					ro.first.CompareAndSwap(nil, &err)
				}
				return
			}
		}
	}()
}

func (ro *receiveOnly) why() error {
	if p := ro.first.Load(); p != nil {
		return *p
	}
	return nil
}

// close ends every client with a close handshake and waits for their
// readers.
func (ro *receiveOnly) close() {
	ro.closing.Store(true)
	for _, ws := range ro.conns {
		if ws != nil {
			ws.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, ""), time.Now().Add(5*time.Second))
		}
	}
	ro.wg.Wait()
	for _, ws := range ro.conns {
		if ws != nil {
			ws.Close()
		}
	}
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

		var ro receiveOnly
		ro.dial(t, &gws.Dialer{NetDialContext: l.Dial}, "ws://pipe/ws", n, true)
		time.Sleep(10 * websocket.DefaultPingInterval)
		synctest.Wait()
		if lost, closed := ro.lost.Load(), h.closed.Load(); lost != 0 || closed != 0 {
			t.Errorf("after 10 ping intervals: %d clients lost (first: %v), %d closed by the server (first: %v)", lost, ro.why(), closed, h.why())
		}
		ro.close()
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
// timeout, 1.5 s, leaves room for a loaded machine: on two cores shared
// with other tests, under the race detector, pongs came well over half a
// second late while the 1,000 handshakes ran.
func TestReceiveOnlyClientsSurviveRealSockets(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections for 5 s")
	}
	const n, ping = 1000, 500 * time.Millisecond
	h := &silent{}
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.Handle("/ws", websocket.NewHandler(websocket.Config{PingInterval: ping, PongTimeout: 3 * ping}, func(*api.Request) (websocket.Handler, error) { return h, nil }))
	s := modes.Start(t, modes.H1, c)

	start := time.Now()
	var ro receiveOnly
	ro.dial(t, &gws.Dialer{HandshakeTimeout: 10 * time.Second, NetDial: (&net.Dialer{}).Dial}, "ws"+s.URL[len("http"):]+"/ws", n, true)
	t.Logf("1,000 clients connected in %v", time.Since(start))
	defer ro.close()
	time.Sleep(10 * ping)
	if lost, closed := ro.lost.Load(), h.closed.Load(); lost != 0 || closed != 0 {
		t.Errorf("after 10 ping intervals: %d clients lost (first: %v), %d closed by the server (first: %v)", lost, ro.why(), closed, h.why())
	}
}
