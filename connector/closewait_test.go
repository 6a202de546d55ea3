package connector_test

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Close returns at once with handlers still running, on a server that made
// its own executor too (no Config.Executor): it does not wait for them,
// as net/http's Close does not, and so it stays the way out of a Shutdown
// that ran out of time on handlers that do not return.
func TestCloseDoesNotWaitForHandlers(t *testing.T) {
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		d := startDeaf(t, cfg, 4) // some run on the executor's workers, not a selector's goroutine
		closed := make(chan error, 1)
		go func() { closed <- d.srv.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("Close: %v", err)
			}
		case <-time.After(wharftest.Patience):
			t.Error("Close waits for the running handlers")
			defer func() { <-closed }() // it ends with them
		}
		close(d.release)
		if err := <-d.served; !errors.Is(err, connector.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
}

// deafServer is a server whose handler is deaf to its connection: only
// release lets it answer "ok".
type deafServer struct {
	srv     *connector.Server
	release chan struct{}
	served  chan error // what Serve returned
	conns   []net.Conn // the clients', each with its request sent
}

// startDeaf serves with cfg a
// deafServer, sends it n requests on connections of their own, closed
// when the test ends, and returns once all n handlers run.
func startDeaf(t *testing.T, cfg connector.Config, n int) *deafServer {
	t.Helper()
	var running sync.WaitGroup
	running.Add(n)
	d := &deafServer{release: make(chan struct{}), served: make(chan error, 1)}
	d.srv = &connector.Server{Config: cfg, Handler: streamFunc(func(s connector.Stream) {
		running.Done()
		<-d.release
		s.WriteHead(200, "", nil, 2, nil)
		s.WriteBody([]byte("ok"))
		s.Finish(nil)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { d.served <- d.srv.Serve(l) }()
	for range n {
		nc := wharftest.Dial(t, l.Addr().String(), 0)
		if _, err := io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		d.conns = append(d.conns, nc)
	}
	running.Wait()
	return d
}
