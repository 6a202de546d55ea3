package websocket_test

import (
	"context"
	"net"
	"testing"
	"testing/synctest"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/websocket"
)

// stalledConn is a client's connection whose reads wait for release: the
// server's write of the 101 on a pipe waits with them, after the Hijack.
type stalledConn struct {
	net.Conn
	release <-chan struct{}
}

func (c stalledConn) Read(p []byte) (int, error) {
	<-c.release
	return c.Conn.Read(p)
}

// A connection that Upgrade hijacks (the portable connector's, a pipe
// here) stops counting for Shutdown at the Hijack, and joins the shutdown
// once Upgrade tracks it: a Shutdown that begins in between, while the
// 101 is on its way, must still wait for the WebSocket's close handshake,
// as Upgrade promises. It returned at once, leaving the connection open.
func TestShutdownDuringUpgradeWaitsForWebSocket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &silent{}
		c := container.New(container.WithLogger(wharftest.DiscardLogger()))
		c.Handle("/ws", websocket.NewHandler(websocket.Config{}, func(*api.Request) (websocket.Handler, error) { return h, nil }))
		l := wharftest.NewPipeListener()
		served := make(chan struct{})
		go func() { defer close(served); c.Serve(l) }()
		release := make(chan struct{})
		d := &gws.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := l.Dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return stalledConn{nc, release}, nil
		}}
		codes := make(chan int, 1)
		go func() {
			ws, _, err := d.Dial("ws://pipe/ws", nil)
			if err != nil {
				t.Errorf("Dial: %v", err)
				codes <- 0
				return
			}
			defer ws.Close()
			codes <- closeCodes([]*gws.Conn{ws}, time.Now().Add(time.Minute))[gws.CloseGoingAway]
		}()
		synctest.Wait() // the server hijacked, and writes its 101

		shut := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			shut <- c.Shutdown(ctx)
		}()
		synctest.Wait()
		select {
		case err := <-shut:
			t.Errorf("Shutdown returned (%v) while the upgrade was under way, with %d WebSocket closed", err, h.closed.Load())
			close(release)
		default:
			close(release)
			if err := <-shut; err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			if n := h.closed.Load(); n != 1 {
				t.Errorf("Shutdown returned with the WebSocket open (%d closed)", n)
			}
		}
		if n := <-codes; n != 1 {
			t.Errorf("the client saw no 1001")
		}
		<-served
	})
}
