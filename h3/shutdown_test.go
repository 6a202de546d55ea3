package h3_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A client that keeps its HTTP/3 connection open after the server's
// GOAWAY (quic-go's client closes it; another need not) has its
// connection closed when the Shutdown's context is done, or by Close,
// as idle TCP connections are: it once lasted until IdleTimeout, whatever
// the context, and Close after Shutdown left it open.
func TestShutdownEndsConnectionsLeftOpen(t *testing.T) {
	for _, tt := range []struct {
		name string
		end  func(c *container.Container, cancel context.CancelFunc)
	}{
		{"context done", func(_ *container.Container, cancel context.CancelFunc) { cancel() }},
		{"close", func(c *container.Container, _ context.CancelFunc) { c.Close() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cert, err := devcert.New()
			if err != nil {
				t.Fatal(err)
			}
			pool, _ := devcert.Pool(cert)
			// No idle timeout to end the connection in the test's time.
			c := container.New(container.WithLogger(wharftest.DiscardLogger()), container.WithConnector(connector.Config{IdleTimeout: time.Hour}))
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			served := make(chan error, 1)
			go func() { served <- h3.Serve(c, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{}) }()
			conn, err := quic.DialAddr(context.Background(), pc.LocalAddr().String(),
				&tls.Config{RootCAs: pool, NextProtos: []string{"h3"}, ServerName: "localhost"}, &quic.Config{KeepAlivePeriod: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseWithError(0, "")
			if _, err := conn.AcceptUniStream(context.Background()); err != nil { // the server's control stream: it serves conn
				t.Fatal(err)
			}

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := c.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown with no request in flight: %v", err)
			}
			if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
				t.Errorf("h3.Serve returned %v", err)
			}
			select {
			case <-conn.Context().Done():
				t.Fatal("the connection was closed before the context was done, or Close")
			case <-time.After(50 * time.Millisecond):
			}
			tt.end(c, cancel)
			select {
			case <-conn.Context().Done():
			case <-time.After(wharftest.Patience):
				t.Error("the HTTP/3 connection is still open")
			}
		})
	}
}

// A client that connects once Shutdown has begun is refused at once
// (CONNECTION_REFUSED), as a TCP client is by the closed listener, so
// that it retries elsewhere or over TCP: its handshake once went into
// the listener's queue, which no one accepts from after Shutdown, and
// its request waited for the client's own timeout, served by no one.
func TestShutdownRefusesNewConnections(t *testing.T) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	started, release := make(chan struct{}), make(chan struct{})
	c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
		close(started)
		<-release // holds the Shutdown open
		_, err := io.WriteString(w, "slow")
		return err
	})
	addr, cl := serveH3(t, c) // its cleanup checks what h3.Serve returned
	url := "https://" + addr + "/slow"

	slow := make(chan string, 1)
	go func() {
		// Longer than the late client's wait, which it outlives.
		resp, err := (&http.Client{Transport: cl.Transport, Timeout: 3 * wharftest.Patience}).Get(url)
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- string(b)
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 3*wharftest.Patience)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- c.Shutdown(ctx) }()
	wharftest.WaitFor(t, "Shutdown to begin", c.ShuttingDown)

	// A transport of its own: a new QUIC connection.
	late := &http3.Transport{TLSClientConfig: cl.Transport.(*http3.Transport).TLSClientConfig}
	defer late.Close()
	resp, err := (&http.Client{Transport: late, Timeout: wharftest.Patience}).Get(url)
	if err == nil {
		resp.Body.Close()
		t.Errorf("a connection made during Shutdown was served: %s", resp.Status)
	} else if !refused(err) {
		t.Errorf("a connection made during Shutdown: %v, want CONNECTION_REFUSED", err)
	}

	close(release)
	if got := <-slow; got != "slow" {
		t.Errorf("the request in flight got %q", got)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
