package h3_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request in flight when Shutdown begins gets its whole response, even
// when the caller cancels Shutdown's context as soon as Shutdown returned
// (defer cancel()), as over TCP: Shutdown must not return while the
// HTTP/3 connection still carries the response, for the cancellation then
// closes that connection and cuts the response off.
func TestShutdownLetsResponseInFlightFinish(t *testing.T) {
	const size = 256 << 10
	body := strings.Repeat("x", size)
	for i := range 20 {
		c, cert, pool, started, release := heldContainer(t, body)
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- h3.Serve(c, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{}) }()
		tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		cl := &http.Client{Transport: tr, Timeout: wharftest.Patience}
		got := getBody(cl, "https://"+pc.LocalAddr().String()+"/")
		<-started
		ctx, cancel := context.WithCancel(context.Background())
		shut := make(chan error, 1)
		go func() { shut <- c.Shutdown(ctx) }()
		close(release)
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		cancel() // what a caller's defer cancel() does
		<-served
		wantWhole(t, i, <-got, body)
		tr.Close()
		c.Close()
		pc.Close()
		if t.Failed() {
			return
		}
	}
}

// Shutdown out of time returns with ctx's error, and Close returns, though
// an HTTP/3 handler still runs, as over TCP: neither waits for that
// handler (quic-go's Close waits for its connections' handlers).
func TestShutdownAndCloseDoNotWaitForHandlers(t *testing.T) {
	for _, tc := range []string{"shutdown out of time", "close"} {
		t.Run(tc, func(t *testing.T) {
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			started, release := make(chan struct{}), make(chan struct{})
			c.Handle("/", api.HandlerFunc(func(w api.Response, r *api.Request) error {
				close(started)
				<-release
				return nil
			}))
			addr, cl := serveH3(t, c)
			defer close(release) // before serveH3's cleanup
			go func() {
				if resp, err := cl.Get("https://" + addr + "/"); err == nil {
					resp.Body.Close()
				}
			}()
			<-started
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			ended := make(chan error, 1)
			go func() {
				if tc == "close" {
					ended <- c.Close()
				} else {
					ended <- c.Shutdown(ctx)
				}
			}()
			select {
			case err := <-ended:
				if tc != "close" && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Shutdown = %v, want context.DeadlineExceeded", err)
				}
			case <-time.After(5 * time.Second):
				t.Errorf("%s did not return while a handler runs", tc)
			}
		})
	}
}

// A request in flight when Shutdown begins gets its whole response though
// the process exits as soon as Shutdown returned, as the usual program's
// main does: the response, complete in the container, is then in quic-go's
// buffers, unacknowledged, and leaves with the process, where TCP's kernel
// would still deliver it. Shutdown once returned with the last request
// complete in the container, and the client got no answer. Closing the UDP
// socket when Shutdown returns stands for the exit here.
func TestShutdownReturnsOnceResponseDelivered(t *testing.T) {
	const size = 256 << 10
	body := strings.Repeat("x", size)
	for i := range 10 {
		c, cert, pool, started, release := heldContainer(t, body)
		l, pc, err := h3.Listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() {
			served <- h3.ServeTLS(c, l, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{})
		}()
		tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		cl := &http.Client{Transport: tr, Timeout: wharftest.Patience}
		got := getBody(cl, "https://"+pc.LocalAddr().String()+"/")
		<-started
		shut := make(chan error, 1)
		go func() { shut <- c.Shutdown(context.Background()) }()
		close(release)
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		pc.Close() // the process exits
		l.Close()
		<-served
		wantWhole(t, i, <-got, body)
		tr.Close()
		c.Close()
		if t.Failed() {
			return
		}
	}
}

// getBody GETs url on a goroutine of its own and sends what came: the
// whole body, or what failed ("get: ...", "read: ...").
// wantWhole fails t unless the client of round i got body whole.
func wantWhole(t *testing.T, i int, got, body string) {
	t.Helper()
	if got != body {
		if len(got) > 100 {
			got = got[:100]
		}
		t.Errorf("round %d: the client got %q, not the whole response", i, got)
	}
}

func getBody(cl *http.Client, url string) <-chan string {
	got := make(chan string, 1)
	go func() {
		resp, err := cl.Get(url)
		if err != nil {
			got <- "get: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			got <- "read: " + err.Error()
			return
		}
		got <- string(b)
	}()
	return got
}

// heldContainer returns a container whose one handler, at "/", closes
// started and answers body once release is closed, with a certificate of
// its own and the pool that trusts it.
func heldContainer(t *testing.T, body string) (c *container.Container, cert tls.Certificate, pool *x509.CertPool, started, release chan struct{}) {
	t.Helper()
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	pool, _ = devcert.Pool(cert)
	c = container.New(container.WithLogger(wharftest.DiscardLogger()))
	started, release = make(chan struct{}), make(chan struct{})
	c.Handle("/", api.HandlerFunc(func(w api.Response, r *api.Request) error {
		close(started)
		<-release
		_, err := io.WriteString(w, body)
		return err
	}))
	return c, cert, pool, started, release
}
