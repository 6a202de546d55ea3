package h3_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
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

	// Longer than the late client's wait, which it outlives.
	slow := getAsync(&http.Client{Transport: cl.Transport, Timeout: 3 * wharftest.Patience}, url)
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

// A client whose handshake was under way when Shutdown began is told at
// once that it is not served, as a TCP client that the kernel had taken
// in but the server had not yet accepted is reset when the listener
// closes: its connection, which quic-go's server, shut down, no longer
// accepts, once waited in the QUIC listener's queue, its requests served
// by no one, until the transport closed (after the last request in flight
// on other connections), which dropped it without a word, leaving the
// client to its idle timeout.
func TestShutdownRefusesHandshakeInFlight(t *testing.T) {
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := devcert.Pool(cert)
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	started, release := make(chan struct{}), make(chan struct{})
	c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
		close(started)
		<-release // holds the Shutdown open, and the transport with it
		_, err := io.WriteString(w, "slow")
		return err
	})
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "hello")
		return err
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	served := make(chan error, 1)
	go func() { served <- h3.Serve(c, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{}) }()
	url := "https://" + pc.LocalAddr().String()

	first := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer first.Close()
	slow := getAsync(&http.Client{Transport: first, Timeout: 3 * wharftest.Patience}, url+"/slow")
	<-started

	// The second client's ClientHello, with a post-quantum key share,
	// takes two packets: the server, once it has answered the first,
	// has the connection, whose handshake waits for the second.
	t.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	hc := &holdConn{PacketConn: udp, heard: make(chan struct{})}
	qtr := &quic.Transport{Conn: hc}
	defer qtr.Close()
	second := &http3.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, CurvePreferences: []tls.CurveID{tls.X25519MLKEM768}},
		Dial: func(ctx context.Context, addr string, tlsCfg *tls.Config, cfg *quic.Config) (*quic.Conn, error) {
			raddr, err := net.ResolveUDPAddr("udp", addr)
			if err != nil {
				return nil, err
			}
			return qtr.DialEarly(ctx, raddr, tlsCfg, cfg)
		},
	}
	defer second.Close()
	late := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Transport: second, Timeout: wharftest.Patience}).Get(url + "/hello")
		if err == nil {
			resp.Body.Close()
			err = errors.New("served: " + resp.Status)
		}
		late <- err
	}()
	select {
	case <-hc.heard:
	case <-time.After(wharftest.Patience):
		t.Fatal("the server did not answer the second client's first packet")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*wharftest.Patience)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- c.Shutdown(ctx) }()
	if err := <-served; !errors.Is(err, connector.ErrServerClosed) { // quic-go's server accepts no more
		t.Errorf("h3.Serve returned %v", err)
	}
	hc.release()
	// quic-go's client retries a rejected request on a new connection,
	// which is refused; another client may stop at the rejection.
	if err := <-late; !refused(err) && !rejected(err) {
		t.Errorf("a connection whose handshake Shutdown interrupted: %v, want it refused", err)
	}

	close(release)
	if got := <-slow; got != "slow" {
		t.Errorf("the request in flight got %q", got)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// rejected reports whether err is the close of a connection none of
// whose requests was processed (H3_REQUEST_REJECTED).
func rejected(err error) bool {
	var he *http3.Error
	return errors.As(err, &he) && he.ErrorCode == http3.ErrCodeRequestRejected
}

// holdConn sends its first packet, and holds the rest until release once
// it has heard from the server (heard closed).
type holdConn struct {
	net.PacketConn
	once  sync.Once
	heard chan struct{}

	mu       sync.Mutex
	released bool
	held     []heldPacket
}

type heldPacket struct {
	p    []byte
	addr net.Addr
}

func (h *holdConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released || h.held == nil {
		if h.held == nil && !h.released {
			h.held = []heldPacket{} // the first goes; the rest wait
		}
		return h.PacketConn.WriteTo(p, addr)
	}
	h.held = append(h.held, heldPacket{bytes.Clone(p), addr})
	return len(p), nil
}

// release sends the packets held, and from then on every one as it comes.
func (h *holdConn) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.released = true
	for _, hp := range h.held {
		h.PacketConn.WriteTo(hp.p, hp.addr)
	}
	h.held = nil
}

func (h *holdConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := h.PacketConn.ReadFrom(p)
	if n > 0 {
		h.once.Do(func() { close(h.heard) })
	}
	return n, addr, err
}

// getAsync GETs url with client on a goroutine of its own, and sends the
// body, or the error, on the channel it returns.
func getAsync(client *http.Client, url string) <-chan string {
	c := make(chan string, 1)
	go func() {
		resp, err := client.Get(url)
		if err != nil {
			c <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c <- string(b)
	}()
	return c
}
