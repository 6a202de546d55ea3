package connector_test

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// After Hijack the connection is the hijacker's: Close, which closes the
// connector's connections, must not close it while the handler that took
// it still runs (net/http's Close leaves hijacked connections alone too).
// The epoll connector's released socket is out of Close's reach; the
// portable connector's Close broke it, as it breaks a connection whose
// owner it must wake.
func TestCloseLeavesHijackedConn(t *testing.T) {
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		hijacked := make(chan struct{})
		closed := make(chan struct{})
		wrote := make(chan error, 1)
		srv := &connector.Server{Config: cfg, Handler: streamFunc(func(s connector.Stream) {
			nc, _, err := s.Hijack()
			if err != nil {
				wrote <- err
				s.Abort(err)
				return
			}
			defer nc.Close()
			close(hijacked)
			<-closed // the server's Close has returned
			_, err = io.WriteString(nc, "still mine")
			wrote <- err
		})}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(l) }()
		nc, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if _, err := io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-hijacked:
		case <-time.After(wharftest.Patience):
			t.Fatal("the handler did not hijack")
		}
		srv.Close()
		close(closed)
		if err := <-wrote; err != nil {
			t.Errorf("the hijacker's write after Close: %v", err)
		}
		nc.SetReadDeadline(time.Now().Add(wharftest.Patience))
		got, _ := io.ReadAll(bufio.NewReader(nc))
		if string(got) != "still mine" {
			t.Errorf("the client read %q, want %q", got, "still mine")
		}
		<-done
	})
}
