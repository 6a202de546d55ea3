package connector_test

import (
	"bufio"
	"io"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
)

// A request suspends while a task of its own takes the connection over as
// a Tunnel (a handler the container queued that upgrades, as the soak of
// internal/soak met it): the goroutine that served the request marks the
// connection detached while the task's Tunnel moves the read buffer's
// offsets. Under -race, the two must be ordered; they were not, as detach
// looked for a pipelined request outside the body's lock.
func TestTunnelWhileDetaching(t *testing.T) { eachTunnelKind(t, testTunnelWhileDetaching) }

func testTunnelWhileDetaching(t *testing.T, useTLS bool) {
	detaching := make(chan struct{}, 1)
	cfg := connector.WithDetachHook(connector.Config{}, func() {
		select {
		case detaching <- struct{}{}:
		default:
		}
		// Nothing orders the task after this: only time lets it take
		// the connection over first, as a loaded machine may.
		time.Sleep(50 * time.Millisecond)
	})
	got := make(chan taken, 1)
	take := takeTunnel(t, got)
	h := tunHandler(func(s connector.Stream) {
		go func() {
			<-detaching
			take.ServeStream(s)
		}()
		// Returning unfinished, the request is suspended.
	})
	ts := startTunServer(t, cfg, h, useTLS)
	nc := ts.dial(t)
	if _, err := io.WriteString(nc, tunUpgrade); err != nil {
		t.Fatal(err)
	}
	tun := receive(t, got)
	readSwitching(t, bufio.NewReader(nc))
	tun.Close()
}
