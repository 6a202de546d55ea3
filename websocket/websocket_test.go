package websocket_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
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

// echo answers every message with the same message, and records how its
// callbacks ran.
type echo struct {
	inside  atomic.Int32 // callbacks running now: never more than one
	overlap atomic.Bool
	opened  atomic.Int32
	closed  chan error
}

func newEcho() *echo { return &echo{closed: make(chan error, 1)} }

func (e *echo) enter() func() {
	if e.inside.Add(1) > 1 {
		e.overlap.Store(true)
	}
	return func() { e.inside.Add(-1) }
}

func (e *echo) OnOpen(c *websocket.Conn) {
	defer e.enter()()
	e.opened.Add(1)
	c.Send(websocket.Text("hello " + c.Request().QueryValue("name")))
}

func (e *echo) OnMessage(c *websocket.Conn, m websocket.Message) {
	defer e.enter()()
	if string(m.Data) == "close" {
		c.Close(websocket.CloseNormal, "as asked")
		return
	}
	time.Sleep(time.Millisecond) // let messages pile up behind this one
	c.Send(m)
}

func (e *echo) OnClose(c *websocket.Conn, err error) {
	defer e.enter()()
	e.closed <- err
}

// dial dials path on s with gorilla's client.
func dial(t *testing.T, s *modes.Server, path string) (*gws.Conn, *http.Response, error) {
	t.Helper()
	return dialerFor(s, gws.Dialer{HandshakeTimeout: 10 * time.Second}).Dial(wsURL(s, path), nil)
}

// wsURL is the WebSocket URL of path on s: ws:// or wss://.
func wsURL(s *modes.Server, path string) string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + path
}

// dialerFor is d, trusting s's certificate and asking for HTTP/1.1 in the
// TLS modes.
func dialerFor(s *modes.Server, d gws.Dialer) *gws.Dialer {
	if s.ClientTLS != nil {
		d.TLSClientConfig = s.ClientTLS.Clone()
		d.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	return &d
}

// dialHTTP1 dials path and closes the connection when the test ends; in the
// modes that speak no HTTP/1.1 it skips the test (WebSocket runs over it).
func dialHTTP1(t *testing.T, s *modes.Server, path string) *gws.Conn {
	t.Helper()
	if !s.Mode.HTTP1() {
		t.Skip("WebSocket runs over HTTP/1.1")
	}
	ws, resp, err := dial(t, s, path)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// serveWS serves h at /ws, configured by cfg, in mode m until the test
// ends: every connection gets the same Handler.
func serveWS(t *testing.T, m modes.Mode, cfg websocket.Config, h websocket.Handler) *modes.Server {
	t.Helper()
	c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
	c.Handle("/ws", websocket.NewHandler(cfg, func(*api.Request) (websocket.Handler, error) { return h, nil }))
	return modes.Start(t, m, c)
}

// eachH1 runs f as a subtest on each HTTP/1.1 connector: the epoll one,
// where a WebSocket lives on the selector (api.Tunnel), over cleartext and
// over TLS, and the portable one, where it lives on a hijacked net.Conn.
func eachH1(t *testing.T, f func(t *testing.T, m modes.Mode)) {
	for _, m := range []modes.Mode{modes.H1, modes.H1TLS, modes.H1Portable, modes.H1TLSPortable, modes.NetHTTP} {
		t.Run(string(m), func(t *testing.T) { f(t, m) })
	}
}

// The handshake goes through the filter chain; messages echo in order;
// callbacks never overlap; the close handshake reports nil to OnClose.
func TestEchoEveryConnector(t *testing.T) {
	var e *echo
	var filtered atomic.Int32
	build := func(c *container.Container) {
		e = newEcho()
		c.Filter("/ws", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			filtered.Add(1)
			return next.Next(w, r)
		}))
		c.Handle("/ws", websocket.NewHandler(websocket.Config{}, func(*api.Request) (websocket.Handler, error) { return e, nil }))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		if !s.Mode.HTTP1() {
			// An HTTP/2 or HTTP/3 request cannot be taken over: the
			// handshake is refused. (The WebSocket client below speaks
			// HTTP/1.1 to the same TCP port; HTTP/3 has none.)
			resp, err := s.Client.Get(s.URL + "/ws")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.ProtoMajor < 2 || resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("WebSocket handshake over %s: %s", resp.Proto, resp.Status)
			}
			if s.Mode == modes.H3 {
				return
			}
		}
		ws, resp, err := dial(t, s, "/ws?name=ann")
		if err != nil {
			t.Fatalf("dial: %v (%v)", err, resp)
		}
		defer ws.Close()
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, m, err := ws.ReadMessage(); err != nil || string(m) != "hello ann" {
			t.Fatalf("greeting %q, %v", m, err)
		}
		const n = 50
		for i := range n {
			typ := gws.TextMessage
			if i%2 == 1 {
				typ = gws.BinaryMessage
			}
			if err := ws.WriteMessage(typ, []byte(strings.Repeat("x", i+1))); err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			typ, m, err := ws.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			wantType := gws.TextMessage
			if i%2 == 1 {
				wantType = gws.BinaryMessage
			}
			if typ != wantType || len(m) != i+1 {
				t.Fatalf("echo %d: type %d, %d bytes", i, typ, len(m))
			}
		}
		ws.WriteMessage(gws.TextMessage, []byte("close"))
		_, _, err = ws.ReadMessage()
		var ce *gws.CloseError
		if !errorsAs(err, &ce) || ce.Code != gws.CloseNormalClosure || ce.Text != "as asked" {
			t.Fatalf("after asking to close: %v", err)
		}
		select {
		case err := <-e.closed:
			if err != nil {
				t.Fatalf("OnClose(%v), want nil after a close handshake", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("OnClose not called")
		}
		if e.overlap.Load() {
			t.Fatal("callbacks of one connection overlapped")
		}
		if filtered.Load() == 0 {
			t.Fatal("the handshake did not go through the filter chain")
		}
	}, container.WithLogger(wharftest.DiscardLogger()))
}

// Limits: a message over ReadLimit closes with 1009; a silent peer is
// closed by IdleTimeout; a peer that answers no ping by PongTimeout.
func TestLimits(t *testing.T) {
	tests := []struct {
		name    string
		cfg     websocket.Config
		client  func(ws *gws.Conn)
		wantErr func(error) bool
		code    int // close code the client sees, 0 if none is required
	}{
		{"too big", websocket.Config{ReadLimit: 10}, func(ws *gws.Conn) {
			ws.WriteMessage(gws.TextMessage, []byte("more than ten bytes"))
		}, func(err error) bool { return errors.Is(err, websocket.ErrTooBig) }, gws.CloseMessageTooBig},
		{"idle", websocket.Config{IdleTimeout: 100 * time.Millisecond}, func(*gws.Conn) {},
			func(err error) bool { return err == websocket.ErrIdle }, gws.CloseGoingAway},
		{"no pong", websocket.Config{PingInterval: 50 * time.Millisecond, PongTimeout: 50 * time.Millisecond}, func(ws *gws.Conn) {
			ws.SetPingHandler(func(string) error { return nil }) // swallow pings: no pong
		}, func(err error) bool { return err == websocket.ErrPongTimeout }, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachH1(t, func(t *testing.T, m modes.Mode) {
				e := newEcho()
				s := serveWS(t, m, tc.cfg, e)
				ws, _, err := dial(t, s, "/ws")
				if err != nil {
					t.Fatal(err)
				}
				defer ws.Close()
				tc.client(ws)
				ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				var readErr error
				for readErr == nil {
					_, _, readErr = ws.ReadMessage() // the greeting, then the end
				}
				var ce *gws.CloseError
				if tc.code != 0 && (!errorsAs(readErr, &ce) || ce.Code != tc.code) {
					t.Errorf("client saw %v, want close code %d", readErr, tc.code)
				}
				select {
				case err := <-e.closed:
					if !tc.wantErr(err) {
						t.Errorf("OnClose(%v)", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("OnClose not called")
				}
			})
		})
	}
}

// Send never blocks: a peer that reads nothing fills the queue and Send
// says so; Send after the close says ErrClosed.
func TestSendQueue(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		var conn atomic.Pointer[websocket.Conn]
		opened := make(chan struct{})
		var once sync.Once
		h := handlerFuncs{open: func(c *websocket.Conn) { conn.Store(c); once.Do(func() { close(opened) }) }}
		// A write timeout long enough that the connection stays up while
		// the queue fills, on a loaded machine under -race too: a write
		// that timed out closes it, and Send then says ErrClosed.
		s := serveWS(t, m, websocket.Config{SendQueue: 4, WriteTimeout: 10 * time.Second}, h)
		ws, _, err := dial(t, s, "/ws")
		if err != nil {
			t.Fatal(err)
		}
		<-opened
		big := websocket.Message{Binary: true, Data: make([]byte, 1<<20)}
		full := false
		for range 1000 {
			err := conn.Load().Send(big)
			if err == websocket.ErrQueueFull {
				full = true
				break
			}
			if err != nil {
				t.Fatalf("Send to a peer that reads nothing: %v, want nil until ErrQueueFull", err)
			}
		}
		if !full {
			t.Fatal("1000 MiB queued for a peer that reads nothing")
		}
		ws.Close()
		<-conn.Load().Done()
		if err := conn.Load().Send(websocket.Text("late")); err != websocket.ErrClosed {
			t.Fatalf("Send after close: %v", err)
		}
	})
}

type handlerFuncs struct {
	open func(*websocket.Conn)
}

func (h handlerFuncs) OnOpen(c *websocket.Conn)                         { h.open(c) }
func (h handlerFuncs) OnMessage(c *websocket.Conn, m websocket.Message) {}
func (h handlerFuncs) OnClose(c *websocket.Conn, err error)             {}

var _ = tls.VersionTLS12

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// Origins: same-origin and origin-less handshakes pass by default, others
// get 403 unless CheckOrigin says yes.
func TestOrigin(t *testing.T) {
	tests := []struct {
		name   string
		check  func(*api.Request) bool
		origin string // "HOST" stands for the server's own host:port
		want   int
	}{
		{"none", nil, "", http.StatusSwitchingProtocols},
		{"same", nil, "http://HOST", http.StatusSwitchingProtocols},
		{"other", nil, "http://evil.example", http.StatusForbidden},
		{"allowed", func(r *api.Request) bool { return r.Header().Get("Origin") == "http://friend.example" }, "http://friend.example", http.StatusSwitchingProtocols},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachH1(t, func(t *testing.T, m modes.Mode) {
				c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
				c.Handle("/ws", websocket.NewHandler(websocket.Config{CheckOrigin: tc.check},
					func(*api.Request) (websocket.Handler, error) { return newEcho(), nil }))
				s := modes.Start(t, m, c)
				h := http.Header{}
				if tc.origin != "" {
					host := strings.TrimPrefix(strings.TrimPrefix(s.URL, "http://"), "https://")
					h.Set("Origin", strings.Replace(tc.origin, "HOST", host, 1))
				}
				ws, resp, err := dialerFor(s, *gws.DefaultDialer).Dial(wsURL(s, "/ws"), h)
				if ws != nil {
					ws.Close()
				}
				if resp == nil || resp.StatusCode != tc.want {
					t.Fatalf("handshake: %v, %v; want %d", resp, err, tc.want)
				}
			})
		})
	}
}

// burst sends n numbered messages from OnOpen, as fast as Send takes them.
type burst struct{ n, size int }

func (b burst) OnOpen(c *websocket.Conn) {
	go func() {
		for i := range b.n {
			m := fmt.Sprintf("%06d", i) + strings.Repeat("x", b.size-6)
			if err := c.Send(websocket.Text(m)); err != nil {
				return
			}
		}
	}()
}
func (burst) OnMessage(*websocket.Conn, websocket.Message) {}
func (burst) OnClose(*websocket.Conn, error)               {}

// Messages arrive whole and in order whichever way they leave: written at
// once by Send while the connection is idle, cut short by a full socket
// and finished by the writer, or queued behind it (a client that reads
// only after a pause makes all three happen). Over TLS every message goes
// through the writer.
func TestSendOrderUnderBackpressure(t *testing.T) {
	const n, size = 2000, 4 << 10
	build := func(c *container.Container) {
		c.Handle("/ws", websocket.NewHandler(websocket.Config{SendQueue: n}, func(*api.Request) (websocket.Handler, error) {
			return burst{n, size}, nil
		}))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		ws := dialHTTP1(t, s, "/ws")
		time.Sleep(100 * time.Millisecond) // let the socket fill
		ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		for i := range n {
			_, m, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			if len(m) != size || string(m[:6]) != fmt.Sprintf("%06d", i) {
				t.Fatalf("message %d: %d bytes starting %q", i, len(m), m[:min(len(m), 6)])
			}
		}
	})
}

// afterBig sends one message too big for Send's direct write (so the
// writer sends it, under WriteTimeout), then answers every message.
type afterBig struct{}

func (afterBig) OnOpen(c *websocket.Conn) { c.Send(websocket.Text(strings.Repeat("b", 20<<10))) }
func (afterBig) OnMessage(c *websocket.Conn, m websocket.Message) {
	c.Send(websocket.Text("after " + string(m.Data)))
}
func (afterBig) OnClose(*websocket.Conn, error) {}

// A Send written at once, long after the writer's last write deadline has
// passed, is sent (by the writer, under a fresh deadline) instead of
// failing the connection with that stale deadline.
func TestDirectSendAfterStaleDeadline(t *testing.T) {
	build := func(c *container.Container) {
		c.Handle("/ws", websocket.NewHandler(websocket.Config{WriteTimeout: 50 * time.Millisecond}, func(*api.Request) (websocket.Handler, error) {
			return afterBig{}, nil
		}))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		ws := dialHTTP1(t, s, "/ws")
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, m, err := ws.ReadMessage(); err != nil || len(m) != 20<<10 {
			t.Fatalf("first message: %d bytes, %v", len(m), err)
		}
		time.Sleep(200 * time.Millisecond) // the writer's deadline passes
		for _, say := range []string{"one", "two"} {
			ws.WriteMessage(gws.TextMessage, []byte(say))
			if _, m, err := ws.ReadMessage(); err != nil || string(m) != "after "+say {
				t.Fatalf("answer to %s: %q, %v", say, m, err)
			}
		}
	})
}

// sendsInvalidText sends a text message that is not UTF-8, then one that
// is, and reports what the first Send said.
type sendsInvalidText struct{ sent chan error }

func (h sendsInvalidText) OnOpen(c *websocket.Conn) {
	h.sent <- c.Send(websocket.Message{Data: []byte("caf\xe9")})
	c.Send(websocket.Text("café"))
}
func (sendsInvalidText) OnMessage(*websocket.Conn, websocket.Message) {}
func (sendsInvalidText) OnClose(*websocket.Conn, error)               {}

// A text message must be UTF-8 (RFC 6455 §8.1), and a browser closes the
// connection (1007) on one that is not: Send refuses it, sends nothing,
// and the connection goes on.
func TestSendRefusesInvalidText(t *testing.T) {
	eachH1(t, func(t *testing.T, m modes.Mode) {
		h := sendsInvalidText{sent: make(chan error, 1)}
		ws := dialHTTP1(t, serveWS(t, m, websocket.Config{}, h), "/ws")
		if err := <-h.sent; !errors.Is(err, websocket.ErrInvalidUTF8) {
			t.Fatalf("Send of a text message that is not UTF-8: %v, want ErrInvalidUTF8", err)
		}
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		typ, data, err := ws.ReadMessage()
		if err != nil || typ != gws.TextMessage || string(data) != "café" {
			t.Fatalf("first message %d %q %v, want the valid one", typ, data, err)
		}
	})
}
