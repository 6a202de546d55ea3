package connector_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// On the portable connector over TLS, a connection whose request was in
// flight when Shutdown looked for idle connections closes once it is
// answered, and its close_notify waits for a client that does not read.
// That wait ends with Shutdown's context too, as it does for the idle
// connections Shutdown closes itself: it held the connection's goroutine
// for crypto/tls's 5 s after Shutdown returned.
func TestPortableTLSCloseNotifyAfterShutdownLooked(t *testing.T) {
	cert := mustCert(t) // outside the bubble: the certificate's validity starts now
	for _, tc := range []struct {
		name, head string
	}{
		{"closes", ""},
		// A body never invited is unread: the connection lingers, and its
		// close_notify goes as it shuts its sending side.
		{"lingers", "Expect: 100-continue\r\nContent-Length: 10\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) { testTLSCloseNotifyAfterShutdownLooked(t, cert, tc.head) })
	}
}

func testTLSCloseNotifyAfterShutdownLooked(t *testing.T, cert tls.Certificate, head string) {
	synctest.Test(t, func(t *testing.T) {
		running, release, looked := make(chan struct{}), make(chan struct{}), make(chan struct{})
		srv := &connector.Server{
			Config: connector.AfterShutdownLooks(connector.Config{}, func() { close(looked) }),
			Handler: streamFunc(func(s connector.Stream) {
				close(running)
				<-release
				s.WriteHead(200, "text/plain", nil, 5, nil)
				s.WriteBody([]byte("hello"))
				s.Finish(nil)
			}),
		}
		l := wharftest.NewPipeListener()
		served := make(chan error, 1)
		go func() {
			served <- srv.Serve(connector.NewTLSListener(l, &tls.Config{Certificates: []tls.Certificate{cert}}))
		}()
		raw, err := l.Dial(context.Background(), "", "")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		nc := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
		if _, err := io.WriteString(nc, "POST / HTTP/1.1\r\nHost: x\r\n"+head+"\r\n"); err != nil {
			t.Fatal(err)
		}
		<-running

		const timeout = time.Second
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		start := time.Now()
		shut := make(chan error, 1)
		go func() { shut <- srv.Shutdown(ctx) }()
		<-looked // the request is in flight: Shutdown left the connection alone
		close(release)
		// The client reads the answer, then nothing: the connection's
		// close_notify has nowhere to go.
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			t.Fatal(err)
		}
		if err := <-shut; err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown: %v", err)
		}
		if took := time.Since(start); took > timeout {
			t.Errorf("Shutdown took %v, want at most %v", took, timeout)
		}
		synctest.Wait() // what runs on without the clock moving has run
		if open := srv.Stats().Open; open != 0 {
			t.Errorf("%d connection(s) still open %v after Shutdown returned, its close_notify waiting", open, time.Since(start)-timeout)
		}
		raw.Close()
		if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
}
