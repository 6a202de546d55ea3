package websocket_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
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

// The timeouts behave to the second as Config's documentation says,
// timed in a synctest bubble by a client that sees every frame:
//
//   - keep-alive: a peer silent for PingInterval + PongTimeout (45 s by
//     default) is closed with 1001 "keep-alive timeout" then, at once;
//     each pong it sends sets that deadline anew, a message moves it to
//     1.25 times that;
//   - IdleTimeout: counted from the last message;
//   - CloseTimeout: counted from the server's close frame, when the peer
//     does not answer it.
func TestTimeoutsAsDocumented(t *testing.T) {
	tests := []struct {
		name       string
		cfg        websocket.Config
		pongs      int           // pings the client answers
		sayAt      time.Duration // when the client sends a message; 0: never
		say        string
		answer     bool          // the client answers the close frame
		wantCode   int           //
		wantReason string        //
		closeAt    time.Duration // when the close frame arrives, from the handshake
		endAfter   time.Duration // when the TCP connection ends, after the close frame
		onClose    error
	}{
		{"keep-alive, the defaults", websocket.Config{}, 0, 0, "", true,
			websocket.CloseGoingAway, "keep-alive timeout", 45 * time.Second, 0, websocket.ErrPongTimeout},
		{"keep-alive, one pong", websocket.Config{}, 1, 0, "", true,
			websocket.CloseGoingAway, "keep-alive timeout", 30*time.Second + 45*time.Second, 0, websocket.ErrPongTimeout},
		{"keep-alive, a message", websocket.Config{}, 0, 10 * time.Second, "hi", true,
			websocket.CloseGoingAway, "keep-alive timeout", 10*time.Second + 45*time.Second*5/4, 0, websocket.ErrPongTimeout},
		{"keep-alive, short", websocket.Config{PingInterval: 2 * time.Second, PongTimeout: time.Second}, 3, 0, "", true,
			websocket.CloseGoingAway, "keep-alive timeout", 3*2*time.Second + 3*time.Second, 0, websocket.ErrPongTimeout},
		{"idle after the last message", websocket.Config{IdleTimeout: 10 * time.Second, PingInterval: -1}, 0, 4 * time.Second, "hi", true,
			websocket.CloseGoingAway, "idle", 14 * time.Second, 0, websocket.ErrIdle},
		{"close timeout", websocket.Config{CloseTimeout: 3 * time.Second}, 0, time.Second, "bye", false,
			websocket.CloseNormal, "bye to you", time.Second, 3 * time.Second, websocket.ErrCloseTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := closeOnBye{closed: make(chan error, 1)}
				c := container.New(container.WithLogger(wharftest.DiscardLogger()))
				c.Handle("/ws", websocket.NewHandler(tc.cfg, func(*api.Request) (websocket.Handler, error) { return h, nil }))
				d, stop := servePipes(t, c)
				defer stop()
				nc, err := d.NetDialContext(context.Background(), "tcp", "pipe")
				if err != nil {
					t.Fatal(err)
				}
				defer nc.Close()
				rc := newRawClient(t, nc, "/ws")
				start := time.Now()
				if tc.sayAt > 0 {
					go func() {
						time.Sleep(tc.sayAt)
						rc.send(wsframe.OpText, []byte(tc.say))
					}()
				}
				var closeFrame *wsframe.Frame
				var closeAt time.Duration
				pongs := 0
				for {
					f, err := rc.next()
					if err != nil {
						if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) && !errors.Is(err, net.ErrClosed) {
							t.Fatalf("reading: %v", err)
						}
						break
					}
					switch f.Opcode {
					case wsframe.OpPing:
						if pongs < tc.pongs {
							pongs++
							rc.send(wsframe.OpPong, f.Payload)
						}
					case wsframe.OpClose:
						if closeFrame != nil {
							t.Fatal("a second close frame")
						}
						closeFrame, closeAt = &f, time.Since(start)
						if tc.answer {
							rc.send(wsframe.OpClose, f.Payload[:2])
						}
					}
				}
				endAfter := time.Since(start) - closeAt
				if closeFrame == nil {
					t.Fatal("no close frame")
				}
				code, reason := closeCode(*closeFrame)
				if code != tc.wantCode || reason != tc.wantReason || closeAt != tc.closeAt || endAfter != tc.endAfter {
					t.Errorf("close %d %q at %v, connection ended %v later; want %d %q at %v, ended %v later",
						code, reason, closeAt, endAfter, tc.wantCode, tc.wantReason, tc.closeAt, tc.endAfter)
				}
				if err := <-h.closed; !errors.Is(err, tc.onClose) {
					t.Errorf("OnClose(%v), want %v", err, tc.onClose)
				}
			})
		})
	}
}

// WriteTimeout: a peer that takes nothing holds the writer for exactly
// WriteTimeout (the first write gets all of it), and the connection is
// then dropped without a close frame.
func TestWriteTimeoutAsDocumented(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFaulty(t, "")
		c := container.New(container.WithLogger(wharftest.DiscardLogger()))
		c.Handle("/ws", websocket.NewHandler(websocket.Config{WriteTimeout: 7 * time.Second}, func(*api.Request) (websocket.Handler, error) { return f, nil }))
		d, stop := servePipes(t, c)
		defer stop()
		nc, err := d.NetDialContext(context.Background(), "tcp", "pipe")
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		newRawClient(t, nc, "/ws") // and then read nothing
		start := time.Now()
		err = <-f.closed
		if took := time.Since(start); took != 7*time.Second || !errors.Is(err, websocket.ErrAbnormalClosure) {
			t.Errorf("OnClose(%v) after %v, want ErrAbnormalClosure after WriteTimeout (7s)", err, took)
		}
	})
}

// A timeout of "forever" (math.MaxInt64, or near it) never fires: the
// deadlines saturate at the clock's end instead of wrapping into the past,
// on every connector (the selector's wheel and the runtime timer alike).
func TestForeverTimeouts(t *testing.T) {
	cfgs := []struct {
		name string
		cfg  websocket.Config
	}{
		{"idle forever, no pings", websocket.Config{IdleTimeout: math.MaxInt64, PingInterval: -1}},
		{"pings almost never", websocket.Config{PingInterval: math.MaxInt64 - time.Hour}},
		{"pong timeout forever", websocket.Config{PongTimeout: math.MaxInt64}},
		{"all forever", websocket.Config{IdleTimeout: math.MaxInt64, PingInterval: math.MaxInt64, PongTimeout: math.MaxInt64, CloseTimeout: math.MaxInt64}},
	}
	eachH1(t, func(t *testing.T, m modes.Mode) {
		for _, tc := range cfgs {
			t.Run(tc.name, func(t *testing.T) {
				e := newEcho()
				s := serveWS(t, m, tc.cfg, e)
				ws := dialHTTP1(t, s, "/ws")
				ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "hello " {
					t.Fatalf("greeting: %q, %v", msg, err)
				}
				for i := range 3 {
					if i > 0 {
						time.Sleep(100 * time.Millisecond) // a timer armed for the past fires at once
					}
					ws.SetReadDeadline(time.Now().Add(10 * time.Second))
					if err := ws.WriteMessage(gws.TextMessage, []byte("hi")); err != nil {
						t.Fatalf("write %d: %v", i, err)
					}
					if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "hi" {
						t.Fatalf("echo %d: %q, %v", i, msg, err)
					}
				}
				select {
				case err := <-e.closed:
					t.Fatalf("closed by the server: %v", err)
				default:
				}
			})
		}
	})
}
