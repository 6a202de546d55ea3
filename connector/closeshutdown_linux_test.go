package connector_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Close, called while Shutdown waits for a request still running, ends
// that wait, as net/http's Close ends its Shutdown's: Shutdown returns
// then, and the requests left are Close's, however long their handlers run.
func TestCloseEndsShutdownWait(t *testing.T) {
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		const n = 4 // some run on the executor's workers, not the selector's goroutine
		var running sync.WaitGroup
		running.Add(n)
		release := make(chan struct{})
		looked := make(chan struct{})
		cfg = connector.AfterShutdownLooks(cfg, func() { close(looked) })
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
		shut := make(chan error, 1)
		go func() { shut <- srv.Shutdown(context.Background()) }()
		<-looked // Shutdown waits for the running requests now
		closed := make(chan struct{})
		go func() { srv.Close(); close(closed) }()
		defer func() { <-closed }()
		select {
		case err := <-shut:
			if err != nil {
				t.Errorf("Shutdown ended by Close: %v, want nil", err)
			}
		case <-time.After(wharftest.Patience):
			t.Error("Shutdown still waits for the running requests after Close")
			defer func() { <-shut }() // it ends with the handlers
		}
		close(release)
		if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
}
