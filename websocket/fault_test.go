package websocket_test

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// faulty is a Handler that panics in the callback named by panicIn, and
// counts how its connection ended.
type faulty struct {
	panicIn string // "open", "message", "close" or ""
	closes  atomic.Int32
	closed  chan error
}

// newFaulty returns a faulty handler that, once the test has shut its
// server down, checks that OnClose ran exactly once. Call it before
// modes.Start: cleanups run last first.
func newFaulty(t *testing.T, panicIn string) *faulty {
	f := &faulty{panicIn: panicIn, closed: make(chan error, 4)}
	t.Cleanup(func() {
		if n := f.closes.Load(); n != 1 {
			t.Errorf("OnClose ran %d times", n)
		}
	})
	return f
}

func (f *faulty) OnOpen(c *websocket.Conn) {
	if f.panicIn == "open" {
		panic("in OnOpen")
	}
	c.Send(websocket.Text("ready"))
}

func (f *faulty) OnMessage(c *websocket.Conn, m websocket.Message) {
	if f.panicIn == "message" {
		panic("in OnMessage")
	}
	c.Send(m)
}

func (f *faulty) OnClose(c *websocket.Conn, err error) {
	f.closes.Add(1)
	f.closed <- err
	if f.panicIn == "close" {
		panic("in OnClose")
	}
}

// waitClosed returns the error OnClose got, failing the test if it is not
// called within 10 s.
func (f *faulty) waitClosed(t *testing.T) error {
	t.Helper()
	select {
	case err := <-f.closed:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("OnClose not called")
		return nil
	}
}

// A callback that panics closes its connection with 1011 and reports a
// *api.PanicError to OnClose, once; a panicking OnClose is logged. Every
// panic is logged once, and the server goes on serving new connections.
func TestCallbackPanics(t *testing.T) {
	tests := []struct {
		panicIn   string
		wantClose int // the close code the client reads; 0: none expected
	}{
		{"open", gws.CloseInternalServerErr},
		{"message", gws.CloseInternalServerErr},
		{"close", gws.CloseNormalClosure},
	}
	for _, tt := range tests {
		t.Run(tt.panicIn, func(t *testing.T) {
			eachH1(t, func(t *testing.T, m modes.Mode) {
				rec, logger := wharftest.NewLogRecorder()
				countPanics := func() (n int) {
					for _, r := range rec.Records() {
						if strings.Contains(r.Message, "panic") {
							n++
						}
					}
					return n
				}
				t.Cleanup(func() { // after the server's shutdown: nothing more can come
					if n := countPanics(); n != 1 {
						t.Errorf("%d panic log records in all, want 1", n)
					}
				})
				f := newFaulty(t, tt.panicIn)
				c := container.New(append(modes.Options(m), container.WithLogger(logger))...)
				c.Handle("/ws", websocket.NewHandler(websocket.Config{Logger: logger}, func(*api.Request) (websocket.Handler, error) { return f, nil }))
				c.Handle("/ok", websocket.NewHandler(websocket.Config{}, func(*api.Request) (websocket.Handler, error) {
					return &faulty{closed: make(chan error, 4)}, nil
				}))
				s := modes.Start(t, m, c)
				ws := dialHTTP1(t, s, "/ws")
				ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				switch tt.panicIn {
				case "message":
					if _, m, err := ws.ReadMessage(); err != nil || string(m) != "ready" {
						t.Fatalf("greeting %q %v", m, err)
					}
					ws.WriteMessage(gws.TextMessage, []byte("boom"))
				case "close":
					if _, m, err := ws.ReadMessage(); err != nil || string(m) != "ready" {
						t.Fatalf("greeting %q %v", m, err)
					}
					ws.WriteMessage(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, ""))
				}
				_, _, err := ws.ReadMessage()
				var ce *gws.CloseError
				if !errors.As(err, &ce) || ce.Code != tt.wantClose {
					t.Fatalf("client read %v, want close %d", err, tt.wantClose)
				}
				err = f.waitClosed(t)
				var pe *api.PanicError
				if tt.panicIn != "close" && !errors.As(err, &pe) {
					t.Fatalf("OnClose(%v), want a *api.PanicError", err)
				}
				// OnClose panics after it reported: its record may lag.
				wharftest.WaitFor(t, "the panic to be logged", func() bool { return countPanics() > 0 })
				// The server goes on.
				ws2 := dialHTTP1(t, s, "/ok")
				ws2.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, m, err := ws2.ReadMessage(); err != nil || string(m) != "ready" {
					t.Fatalf("a new connection after the panic: %q %v", m, err)
				}
			})
		})
	}
}

// A client that vanishes without a close frame (in the middle of a
// message, or between messages; closing its TCP connection or resetting
// it) ends its connection once: OnClose gets an error that says the
// connection was lost, never a *CloseError (no close frame came), and
// nothing is left running (TestMain checks for leaks).
func TestClientVanishes(t *testing.T) {
	for _, tc := range []struct {
		name              string
		midMessage, reset bool
	}{
		{"between messages, FIN", false, false},
		{"between messages, reset", false, true},
		{"mid-message, FIN", true, false},
		{"mid-message, reset", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachH1(t, func(t *testing.T, m modes.Mode) {
				f := newFaulty(t, "")
				s := serveWS(t, m, websocket.Config{}, f)
				ws := dialHTTP1(t, s, "/ws")
				ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, m, err := ws.ReadMessage(); err != nil || string(m) != "ready" {
					t.Fatalf("greeting %q %v", m, err)
				}
				nc := ws.NetConn()
				if tc.midMessage {
					// A masked text frame header announcing 100 bytes, and 3.
					nc.Write([]byte{0x81, 0x80 | 100, 1, 2, 3, 4, 'a', 'b', 'c'})
				}
				if tc.reset {
					reset(nc)
				} else {
					nc.Close()
				}
				err := f.waitClosed(t)
				var ce *websocket.CloseError
				if !errors.Is(err, websocket.ErrAbnormalClosure) || errors.As(err, &ce) {
					t.Fatalf("OnClose(%v) for a client that vanished: want ErrAbnormalClosure and no *CloseError (no close frame came)", err)
				}
			})
		})
	}
}

// reset closes the client's connection with a reset, as a crashed client
// does: over TLS without close_notify either.
func reset(nc net.Conn) {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	nc.(*net.TCPConn).SetLinger(0)
	nc.Close()
}

// sendAfterReset sends once the test has reset the client's connection, so
// that the direct write fails before the reader sees the reset.
type sendAfterReset struct {
	reset  chan struct{}
	closed chan error
}

func (h *sendAfterReset) OnOpen(*websocket.Conn) {}
func (h *sendAfterReset) OnMessage(c *websocket.Conn, m websocket.Message) {
	<-h.reset
	for range 3 { // the first write may still be taken by the socket
		c.Send(websocket.Text("late"))
	}
}
func (h *sendAfterReset) OnClose(_ *websocket.Conn, err error) { h.closed <- err }

// A Send whose write fails (the client reset the connection) ends the
// connection at once: the writer is woken to finish, and OnClose runs,
// rather than both waiting for the next keep-alive tick.
func TestFailedSendEndsConnection(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		h := &sendAfterReset{reset: make(chan struct{}), closed: make(chan error, 1)}
		s := serveWS(t, m, websocket.Config{PingInterval: time.Hour}, h)
		ws := dialHTTP1(t, s, "/ws")
		if err := ws.WriteMessage(gws.TextMessage, []byte("go")); err != nil {
			t.Fatal(err)
		}
		reset(ws.NetConn())
		time.Sleep(50 * time.Millisecond) // let the reset reach the server's socket
		close(h.reset)
		select {
		case err := <-h.closed:
			if err == nil {
				t.Error("OnClose(nil) for a failed send")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("OnClose not called 5 s after a failed send: the writer was not woken")
		}
	})
}
