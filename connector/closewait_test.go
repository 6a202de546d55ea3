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
		const n = 4 // some run on the executor's workers, not a selector's goroutine
		var running sync.WaitGroup
		running.Add(n)
		release := make(chan struct{})
		srv := &connector.Server{Config: cfg, Handler: streamFunc(func(s connector.Stream) {
			running.Done()
			<-release // deaf to the connection: only its return ends it
			s.WriteHead(200, "", nil, 2, nil)
			s.WriteBody([]byte("ok"))
			s.Finish(nil)
		})}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(l) }()
		for range n {
			nc, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			if _, err := io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
		}
		running.Wait()
		closed := make(chan error, 1)
		go func() { closed <- srv.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("Close: %v", err)
			}
		case <-time.After(wharftest.Patience):
			t.Error("Close waits for the running handlers")
			defer func() { <-closed }() // it ends with them
		}
		close(release)
		if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
}
