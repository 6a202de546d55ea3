//go:build !windows

package websocket_test

import (
	"context"
	"testing"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// Shutdown closes as Close does: the close frame goes after what is
// queued, so a client that has stopped reading holds the wait until
// WriteTimeout drops it, not CloseTimeout alone, which bounds the wait for
// the answer once the close frame went out; on the epoll connector, where
// the frame stays queued behind the message the socket does not take, the
// wait is WriteTimeout's, and on every connector no longer than
// WriteTimeout and CloseTimeout together.
func TestShutdownWaitsForAPeerThatStoppedReading(t *testing.T) {
	const writeTimeout, closeTimeout = time.Second, 100 * time.Millisecond
	eachH1(t, func(t *testing.T, m modes.Mode) {
		h := &bigHello{opened: make(chan struct{}), closed: make(chan error, 1)}
		c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
		c.Handle("/ws", websocket.NewHandler(websocket.Config{WriteTimeout: writeTimeout, CloseTimeout: closeTimeout}, func(*api.Request) (websocket.Handler, error) { return h, nil }))
		s := modes.Start(t, m, c)
		// A small receive buffer keeps the server's socket full with a
		// message of a few MiB (its send buffer grows to tcp_wmem's 4 MiB).
		ws, _, err := dialerFor(s, gws.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1, NetDialContext: wharftest.SmallReceiveBuffer(4096).DialContext}).Dial(wsURL(s, "/ws"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close() // and read nothing meanwhile
		<-h.opened
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		if err := c.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		took := time.Since(start)
		err = <-h.closed
		t.Logf("Shutdown took %v; OnClose(%v)", took, err)
		if took > writeTimeout+closeTimeout+time.Second || m == modes.H1 && took < writeTimeout/2 {
			t.Errorf("Shutdown took %v (OnClose(%v)); want at most WriteTimeout + CloseTimeout (%v), and on the epoll connector at least half of WriteTimeout", took, err, writeTimeout+closeTimeout)
		}
	})
}

// bigHello sends, as it opens, a message larger than the socket buffers
// take (those of a client with a small receive buffer).
type bigHello struct {
	opened chan struct{}
	closed chan error
}

func (h *bigHello) OnOpen(c *websocket.Conn) {
	c.Send(websocket.Message{Binary: true, Data: make([]byte, 16<<20)})
	close(h.opened)
}
func (*bigHello) OnMessage(*websocket.Conn, websocket.Message) {}
func (h *bigHello) OnClose(_ *websocket.Conn, err error)       { h.closed <- err }
