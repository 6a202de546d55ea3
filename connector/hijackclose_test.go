package connector_test

import (
	"bufio"
	"context"
	"crypto/tls"
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
		nc := wharftest.Dial(t, l.Addr().String(), 0)
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

// A hijacked connection leaves the server's books at the Hijack, as on
// net/http's server (StateHijacked), not when the handler that took it
// returns: a handler that keeps the connection (a WebSocket's read loop)
// no longer holds a place under MaxConnections, Stats no longer counts
// it, and Shutdown returns without waiting for it, leaving it to the
// handler, which goes on using it. Over TLS, the epoll connector serves
// a request read with the handshake on its executor, which a server of
// its own closes at Shutdown: not waiting for the hijacker there either.
func TestHijackedConnLeavesBooks(t *testing.T) {
	for _, overTLS := range []bool{false, true} {
		name := "cleartext"
		if overTLS {
			name = "tls"
		}
		t.Run(name, func(t *testing.T) {
			eachConnector(t, connector.Config{MaxConnections: 1}, func(t *testing.T, cfg connector.Config) {
				testHijackedConnLeavesBooks(t, cfg, overTLS)
			})
		})
	}
}

func testHijackedConnLeavesBooks(t *testing.T, cfg connector.Config, overTLS bool) {
	hijacked := make(chan struct{})
	returned := make(chan error, 1)
	srv := &connector.Server{Config: cfg, Handler: streamFunc(func(s connector.Stream) {
		if s.Request().Path != "/hijack" {
			s.WriteHead(200, "", nil, 5, nil)
			s.WriteBody([]byte("hello"))
			s.Finish(nil)
			return
		}
		nc, rw, err := s.Hijack()
		if err != nil {
			returned <- err
			s.Abort(err)
			return
		}
		defer nc.Close()
		close(hijacked)
		for { // the read loop, until the client leaves
			line, err := rw.ReadString('\n')
			if err != nil {
				returned <- nil
				return
			}
			if _, err := io.WriteString(nc, "echo: "+line); err != nil {
				returned <- err
				return
			}
		}
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var clientTLS *tls.Config
	if overTLS {
		cert := mustCert(t, "127.0.0.1")
		l = connector.NewTLSListener(l, &tls.Config{Certificates: []tls.Certificate{cert}})
		clientTLS = &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}
	}
	dial := func() net.Conn {
		var nc net.Conn
		var err error
		d := &net.Dialer{Timeout: wharftest.Patience} // the handshake's too
		if overTLS {
			nc, err = tls.DialWithDialer(d, "tcp", l.Addr().String(), clientTLS)
		} else {
			nc, err = d.Dial("tcp", l.Addr().String())
		}
		if err != nil {
			t.Fatal(err)
		}
		return nc
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	defer srv.Close()
	nc := dial()
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(wharftest.Patience))
	io.WriteString(nc, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n")
	<-hijacked
	if st := srv.Stats(); st.Open != 0 {
		t.Errorf("after the Hijack: %d connections open, want 0", st.Open)
	}

	// At MaxConnections 1, the next connection is served at once.
	other := dial()
	defer other.Close()
	other.SetDeadline(time.Now().Add(wharftest.Patience))
	if err := getHello(other, bufio.NewReader(other)); err != nil {
		t.Errorf("a connection beside the hijacked one: %v", err)
	}
	other.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil || ctx.Err() != nil {
		t.Errorf("Shutdown: %v after %v, want nil before its context ends: the hijacked connection is the handler's", err, time.Since(start))
	}
	if err := <-done; err != connector.ErrServerClosed {
		t.Errorf("Serve: %v", err)
	}
	br := bufio.NewReader(nc)
	io.WriteString(nc, "still there\n")
	if line, err := br.ReadString('\n'); err != nil || line != "echo: still there\n" {
		t.Errorf("the hijacked connection after Shutdown: %q %v", line, err)
	}
	nc.Close()
	if err := <-returned; err != nil {
		t.Errorf("the handler: %v", err)
	}
}
