//go:build unix

package websocket_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
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
		s := serveWS(t, m, websocket.Config{}, tk)
		d := dialerFor(s, gws.Dialer{NetDial: wharftest.SmallReceiveBuffer(4 << 10).Dial, ReadBufferSize: 1 << 10})
		ws, _, err := d.Dial(wsURL(s, "/ws"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		// At most 50 messages a second, of about 200 sent, until Send
		// refuses one; then as fast as they come, to reach the close
		// frame behind what the socket's buffers hold. Before Send
		// refuses, about 520 messages may wait: the socket's buffers
		// (4 MiB here, 256 of them), the batch being written (about 64
		// KiB, 4 of them) and the queue itself (256). The backlog grows
		// by at least 100 a second (the race detector and a busy machine
		// slow the ticker), so it gets there within seconds (6.5 to 7.7
		// under load). Were the queue emptied into the bytes being
		// written at each writability, it would never hold 256, however
		// long: the deadline ends the test.
		ws.SetReadDeadline(time.Now().Add(60 * time.Second))
		for got := 0; ; got++ {
			_, _, err := ws.ReadMessage()
			if err != nil {
				var ce *gws.CloseError
				if !errors.As(err, &ce) || ce.Code != gws.ClosePolicyViolation {
					t.Fatalf("after %d messages (%d sent): %v, want close 1008", got, tk.sent.Load(), err)
				}
				break
			}
			if !tk.full.Load() {
				time.Sleep(20 * time.Millisecond)
			}
		}
	})
}

// backlog sends 32 messages of 256 KiB at OnOpen (more than the socket
// buffers hold), then, with close, a close frame behind them.
type backlog struct {
	close  bool
	closed chan error
}

func (b backlog) OnOpen(c *websocket.Conn) {
	for range 32 {
		c.Send(websocket.Text(strings.Repeat("m", 256<<10)))
	}
	if b.close {
		c.Close(websocket.CloseNormal, "bye")
	}
}
func (backlog) OnMessage(*websocket.Conn, websocket.Message) {}
func (b backlog) OnClose(_ *websocket.Conn, err error)       { b.closed <- err }

// dialSmall serves h at /ws in mode m and dials it with a small receive
// buffer.
func dialSmall(t *testing.T, m modes.Mode, cfg websocket.Config, h websocket.Handler) *gws.Conn {
	t.Helper()
	s := serveWS(t, m, cfg, h)
	d := dialerFor(s, gws.Dialer{NetDial: wharftest.SmallReceiveBuffer(4 << 10).Dial})
	ws, _, err := d.Dial(wsURL(s, "/ws"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// A peer that reads nothing is dropped once WriteTimeout passes with its
// socket full, over TLS too, where the Tunnel holds encrypted bytes the
// socket did not take.
func TestWriteTimeoutDropsAPeerReadingNothing(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		h := backlog{closed: make(chan error, 1)}
		dialSmall(t, m, websocket.Config{WriteTimeout: 300 * time.Millisecond, PingInterval: -1, SendQueue: 64}, h)
		select {
		case err := <-h.closed:
			if err == nil {
				t.Error("OnClose(nil) for a peer that read nothing")
			}
		case <-time.After(wharftest.Patience):
			t.Fatal("WriteTimeout 300 ms: still open, the peer reading nothing")
		}
	})
}

// A slow but live peer gets every message sent before Close, then the
// close frame, though CloseTimeout is shorter than it takes to read them:
// the timeout counts from the close frame's sending, and over TLS nothing
// the Tunnel took is dropped at the end.
func TestCloseAfterBacklogSendsEverything(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		h := backlog{close: true, closed: make(chan error, 1)}
		ws := dialSmall(t, m, websocket.Config{CloseTimeout: 500 * time.Millisecond, SendQueue: 64}, h)
		ws.SetReadLimit(1 << 30)
		ws.SetReadDeadline(time.Now().Add(2 * wharftest.Patience))
		got, err := readToClose(ws, 100*time.Millisecond)
		var ce *gws.CloseError
		if got != 32 || !errors.As(err, &ce) || ce.Code != gws.CloseNormalClosure {
			t.Errorf("read %d messages, then %v; want 32, then close 1000", got, err)
		}
		<-h.closed
	})
}

// policyBacklog sends more than the socket buffers hold at OnOpen, then
// closes with 1008 at once (CloseNow), as a feed does to a peer that fell
// behind.
type policyBacklog struct{ closed chan error }

func (p policyBacklog) OnOpen(c *websocket.Conn) {
	for range 32 {
		c.Send(websocket.Text(strings.Repeat("m", 256<<10)))
	}
	c.CloseNow(websocket.ClosePolicyViolation, "too slow")
}
func (policyBacklog) OnMessage(*websocket.Conn, websocket.Message) {}
func (p policyBacklog) OnClose(_ *websocket.Conn, err error)       { p.closed <- err }

// A peer that stops reading once the server has decided to close it with
// 1008 is not also taken for dead when the keep-alive's deadline passes
// with the close frame stuck behind the frame being written: when it
// reads again, gets the 1008 and echoes it, OnClose gets nil, as for any
// close handshake the server began, not ErrPongTimeout.
func TestKeepAliveQuietOnceServerCloses(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		h := policyBacklog{closed: make(chan error, 1)}
		cfg := websocket.Config{PingInterval: 100 * time.Millisecond, PongTimeout: 200 * time.Millisecond, SendQueue: 64}
		ws := dialSmall(t, m, cfg, h)
		time.Sleep(time.Second) // the keep-alive's deadline, 300 ms, passes thrice, the write stuck
		ws.SetReadLimit(1 << 30)
		ws.SetReadDeadline(time.Now().Add(2 * wharftest.Patience))
		got, err := readToClose(ws, 0)
		var ce *gws.CloseError
		if !errors.As(err, &ce) || ce.Code != gws.ClosePolicyViolation {
			t.Errorf("read %d messages, then %v; want close 1008", got, err)
		}
		select {
		case err := <-h.closed:
			if err != nil {
				t.Errorf("OnClose(%v), want nil: the peer echoed the server's 1008", err)
			}
		case <-time.After(wharftest.Patience):
			t.Fatal("OnClose not called")
		}
	})
}
