package websocket_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/internal/wsframe"
	"github.com/wharf-go/wharf/websocket"
)

// servePipes serves c on in-memory pipes inside a synctest bubble and
// returns a dialer for it; the returned stop shuts c down.
func servePipes(t *testing.T, c *container.Container) (*gws.Dialer, func()) {
	l := wharftest.NewPipeListener()
	served := make(chan struct{})
	go func() { defer close(served); c.Serve(l) }()
	return &gws.Dialer{NetDialContext: l.Dial}, func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-served
	}
}

// ticker sends a message of size bytes every period (0: as fast as Send
// takes them) until Send says the peer does not keep up, then closes the
// connection with 1008.
// dialPipe serves h at /ws with cfg on pipes and dials it; the client
// closes, then the server shuts down, when the test ends.
func dialPipe(t *testing.T, cfg websocket.Config, h websocket.Handler) *gws.Conn {
	t.Helper()
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.Handle("/ws", websocket.NewHandler(cfg, func(*api.Request) (websocket.Handler, error) { return h, nil }))
	d, stop := servePipes(t, c)
	t.Cleanup(stop)
	ws, _, err := d.Dial("ws://pipe/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

type ticker struct {
	size   int
	period time.Duration
	sent   atomic.Int32
	full   atomic.Bool // Send said ErrQueueFull
	closed chan error
}

func (tk *ticker) OnOpen(c *websocket.Conn) {
	go func() {
		m := websocket.Text(strings.Repeat("t", tk.size))
		for {
			switch err := c.Send(m); err {
			case nil:
				tk.sent.Add(1)
			case websocket.ErrQueueFull:
				tk.full.Store(true)
				c.Close(websocket.ClosePolicyViolation, "too slow")
				return
			default:
				return
			}
			if tk.period > 0 {
				time.Sleep(tk.period)
			}
		}
	}()
}
func (tk *ticker) OnMessage(*websocket.Conn, websocket.Message) {}
func (tk *ticker) OnClose(_ *websocket.Conn, err error)         { tk.closed <- err }

// readToClose reads messages, pausing between them, until the connection
// ends, and returns how many arrived and the error it ended with.
func readToClose(ws *gws.Conn, pause time.Duration) (int, error) {
	for n := 0; ; n++ {
		if _, _, err := ws.ReadMessage(); err != nil {
			return n, err
		}
		time.Sleep(pause)
	}
}

// A client too slow for its ticker, closed with 1008 by the application
// when Send says its queue is full, reads the 1008 close frame next:
// the queued messages it could not keep up with are dropped instead of
// standing between it and the close frame (on a pipe, which buffers
// nothing, exactly the queue's worth is missing).
func TestSlowClientGetsPolicyCloseFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const queue = 16
		tk := &ticker{size: 1 << 10, period: time.Millisecond, closed: make(chan error, 1)}
		ws := dialPipe(t, websocket.Config{SendQueue: queue}, tk)
		got, err := readToClose(ws, 10*time.Millisecond)
		var ce *gws.CloseError
		if !errors.As(err, &ce) || ce.Code != gws.ClosePolicyViolation || ce.Text != "too slow" {
			t.Fatalf("after %d messages: %v, want close 1008", got, err)
		}
		if sent := int(tk.sent.Load()); got+queue > sent {
			t.Errorf("the client read %d of the %d messages sent before its close frame: the queue (%d) went first", got, sent, queue)
		}
		if err := <-tk.closed; err != nil {
			t.Errorf("OnClose(%v), want nil: the client answered", err)
		}
	})
}

// The same over a real socket: a client that stops reading for a while
// (the socket's buffers fill, then its queue overflows, and the
// application closes it with 1008) reads 1008 once it reads again, not a
// dropped connection (1006), and OnClose gets nil: the handshake
// completed.
func TestSlowClientGetsPolicyCloseRealSocket(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		tk := &ticker{size: 4 << 10, closed: make(chan error, 1)}
		s := serveWS(t, m, websocket.Config{SendQueue: 64}, tk)
		ws := dialHTTP1(t, s, "/ws")
		// Stalled until the queue is full: the socket's buffers fill, then
		// the queue, and Send refuses. A fixed pause (300 ms) was not
		// always enough under -race on a loaded machine: the buffers were
		// still filling when the client began to read, a reader at full
		// speed kept up with the ticker, and it read until its deadline
		// with no 1008 ever sent.
		wharftest.WaitFor(t, "Send to say the queue is full", tk.full.Load)
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := readToClose(ws, 0)
		var ce *gws.CloseError
		if !errors.As(err, &ce) || ce.Code != gws.ClosePolicyViolation {
			t.Fatalf("after %d messages: %v, want close 1008", got, err)
		}
		select {
		case err := <-tk.closed:
			if err != nil {
				t.Errorf("OnClose(%v), want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("OnClose not called")
		}
	})
}

// queueThenClose answers "go" with n messages of 1 KiB and then Close or,
// with now, CloseNow.
type queueThenClose struct {
	n      int
	now    bool
	closed chan error
}

func (queueThenClose) OnOpen(*websocket.Conn) {}
func (q queueThenClose) OnMessage(c *websocket.Conn, _ websocket.Message) {
	for range q.n {
		c.Send(websocket.Text(strings.Repeat("m", 1<<10)))
	}
	if q.now {
		c.CloseNow(websocket.ClosePolicyViolation, "now")
	} else {
		c.Close(websocket.CloseNormal, "after the queue")
	}
}
func (q queueThenClose) OnClose(_ *websocket.Conn, err error) { q.closed <- err }

// Close sends what is queued, then the close frame; CloseNow drops what
// is still queued and sends the close frame next (what the Tunnel took
// goes out whole: at most the 64 KiB batch being written and, on a
// hijacked connection, the 64 KiB it took meanwhile, as a socket's
// buffer would). The client reads only after the close was asked for.
func TestCloseAfterQueueOrNow(t *testing.T) {
	const n = 200
	for _, tc := range []struct {
		name     string
		now      bool
		code     int
		min, max int // messages read before the close frame
	}{
		{"Close", false, websocket.CloseNormal, n, n},
		{"CloseNow", true, websocket.ClosePolicyViolation, 0, 128},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := queueThenClose{n: n, now: tc.now, closed: make(chan error, 1)}
				ws := dialPipe(t, websocket.Config{}, h)
				ws.WriteMessage(gws.TextMessage, []byte("go"))
				time.Sleep(time.Second) // the server queues and closes
				got, err := readToClose(ws, 0)
				var ce *gws.CloseError
				if !errors.As(err, &ce) || ce.Code != tc.code {
					t.Fatalf("after %d messages: %v, want close %d", got, err, tc.code)
				}
				if got < tc.min || got > tc.max {
					t.Errorf("%d messages before the close frame, want %d to %d", got, tc.min, tc.max)
				}
				if err := <-h.closed; err != nil {
					t.Errorf("OnClose(%v), want nil", err)
				}
			})
		})
	}
}

// A peer that reads, but slowly, costs the server its queue and one
// batch being written, not twice its queue: once the batch the socket was
// taking is out, the next is at most about 64 KiB of what waits, not the
// whole queue framed at once (on a pipe, which buffers nothing, what the
// client has not read is all in the server).
func TestSlowReaderBatchIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			queue = 16
			size  = 16 << 10 // four messages fill a batch
		)
		// A message every 15 ms, one read every 20: the backlog grows
		// slowly, so a batch is still being written when the queue next
		// fills (framed whole, each batch would be larger than the last).
		tk := &ticker{size: size, period: 15 * time.Millisecond, closed: make(chan error, 1)}
		ws := dialPipe(t, websocket.Config{SendQueue: queue}, tk)
		most := 0 // the most messages sent and not yet read
		for got := 0; ; got++ {
			if _, _, err := ws.ReadMessage(); err != nil {
				var ce *gws.CloseError
				if !errors.As(err, &ce) || ce.Code != gws.ClosePolicyViolation {
					t.Fatalf("after %d messages: %v, want close 1008", got, err)
				}
				break
			}
			most = max(most, int(tk.sent.Load())-got-1)
			time.Sleep(20 * time.Millisecond)
		}
		// The queue, one batch of four, and the message the client is in
		// the middle of reading.
		if limit := queue + 4 + 1; most > limit {
			t.Errorf("%d messages were sent and not read at once, want at most %d (queue %d, one batch of 4, one being read)", most, limit, queue)
		}
		<-tk.closed
	})
}

// sendBurst sends n messages of 100 bytes as the connection opens, counting
// those Send refused, and then closes it after them.
type sendBurst struct {
	n       int
	refused atomic.Int32
}

func (b *sendBurst) OnOpen(c *websocket.Conn) {
	for range b.n {
		if err := c.Send(websocket.Text(strings.Repeat("b", 100))); err != nil {
			b.refused.Add(1)
		}
	}
	c.Close(websocket.CloseNormal, "")
}
func (*sendBurst) OnMessage(*websocket.Conn, websocket.Message) {}
func (*sendBurst) OnClose(*websocket.Conn, error)               {}

// A burst that the queue and a socket's buffer hold reaches a peer that
// reads at full speed, whole, on every connector: on a hijacked
// connection (the portable connector, net/http) the Tunnel takes what
// comes while its goroutine writes, as the epoll connector's socket does,
// where it took nothing then and Send said ErrQueueFull after the queue.
func TestBurstToFastReader(t *testing.T) {
	const n = 2 * websocket.DefaultSendQueue // 51 KiB: less than the queue and 64 KiB
	for _, m := range []modes.Mode{modes.H1, modes.H1TLS, modes.H1Portable, modes.NetHTTP, modes.H1TLSPortable} {
		t.Run(string(m), func(t *testing.T) {
			b := &sendBurst{n: n}
			s := serveWS(t, m, websocket.Config{}, b)
			rc := dialRaw(t, s, "/ws")
			got := 0
			for {
				f, err := rc.next()
				if err != nil {
					t.Fatalf("after %d messages: %v", got, err)
				}
				if f.Opcode == wsframe.OpClose {
					break
				}
				got++
			}
			if got != n || b.refused.Load() != 0 {
				t.Errorf("%d of %d messages read, %d refused by Send", got, n, b.refused.Load())
			}
		})
	}
}
