package websocket_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// explodes panics in the callback named by in, from a function of its own
// whose name the stack must show.
type explodes struct {
	in     string
	closed chan error
}

//go:noinline
func explodeHere() { panic("explode") }

func (h *explodes) OnOpen(c *websocket.Conn) {
	if h.in == "open" {
		explodeHere()
	}
}

func (h *explodes) OnMessage(c *websocket.Conn, m websocket.Message) {
	if h.in == "message" {
		explodeHere()
	}
}

func (h *explodes) OnClose(c *websocket.Conn, err error) { h.closed <- err }

// A callback's panic is reported as the rest of Wharf reports one: the
// *api.PanicError OnClose gets carries the panicking goroutine's stack
// (its Stack field says so), and the log record shows it, so that the
// line that panicked can be found.
func TestCallbackPanicStack(t *testing.T) {
	for _, in := range []string{"open", "message"} {
		t.Run(in, func(t *testing.T) {
			eachH1(t, func(t *testing.T, m modes.Mode) {
				rec, logger := wharftest.NewLogRecorder()
				h := &explodes{in: in, closed: make(chan error, 1)}
				ws := dialHTTP1(t, serveWS(t, m, websocket.Config{Logger: logger}, h), "/ws")
				ws.WriteMessage(gws.TextMessage, []byte("go"))
				ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, _, err := ws.ReadMessage(); !gws.IsCloseError(err, gws.CloseInternalServerErr) {
					t.Fatalf("client read %v, want 1011", err)
				}
				var pe *api.PanicError
				if err := <-h.closed; !errors.As(err, &pe) {
					t.Fatalf("OnClose(%v), want a *api.PanicError", err)
				}
				if !strings.Contains(string(pe.Stack), "explodeHere") {
					t.Errorf("PanicError.Stack %q does not show the function that panicked", pe.Stack)
				}
				var logged string
				for _, r := range rec.Records() {
					if strings.Contains(r.Message, "panic") {
						logged = r.Attrs["stack"].String()
					}
				}
				if !strings.Contains(logged, "explodeHere") {
					t.Errorf("the panic's log record has stack %q: it does not show the function that panicked", logged)
				}
			})
		})
	}
}
