package h3_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// clients returns an HTTP/1.1 and an HTTP/2 client (Go's, over TLS) and
// an HTTP/3 one (quic-go's) trusting tlsCfg's roots, and a function that
// closes their connections.
func clients(tlsCfg *tls.Config) (h1, h2, h3c *http.Client, closeAll func()) {
	t1 := &http.Transport{TLSClientConfig: tlsCfg.Clone()}
	t1.TLSClientConfig.NextProtos = []string{"http/1.1"}
	t2 := &http.Transport{TLSClientConfig: tlsCfg.Clone(), ForceAttemptHTTP2: true}
	t3 := &http3.Transport{TLSClientConfig: tlsCfg.Clone()}
	closeAll = func() {
		t1.CloseIdleConnections()
		t2.CloseIdleConnections()
		t3.Close()
	}
	c := func(rt http.RoundTripper) *http.Client { return &http.Client{Transport: rt, Timeout: 10 * time.Second} }
	return c(t1), c(t2), c(t3), closeAll
}

// newProtoContainer answers every path with the request's protocol, in
// the root context and in /app, and answers /secret 401 from a filter
// added before ServeTLS installs Alt-Svc.
func newProtoContainer(opts ...container.Option) *container.Container {
	c := container.New(append([]container.Option{container.WithLogger(wharftest.DiscardLogger())}, opts...)...)
	proto := func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprint(w, r.Proto())
		return err
	}
	c.HandleFunc("/", proto)
	c.Context("/app").HandleFunc("/", proto)
	c.FilterFunc("/secret", func(w api.Response, r *api.Request, next api.Chain) error {
		return api.Error(http.StatusUnauthorized, "no")
	})
	return c
}

// One call serves HTTP/1.1 and HTTP/2 over TLS and HTTP/3 on one address;
// every TCP answer (another context's, a filter's 401) carries Alt-Svc
// for the UDP port, HTTP/3's none; Shutdown ends the call with
// ErrServerClosed, and both listeners are closed.
func TestServeTLSOnePort(t *testing.T) {
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := devcert.Pool(cert)
	c := newProtoContainer()
	defer c.Close()
	l, pc, err := h3.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if pc.LocalAddr().String() != addr {
		t.Fatalf("TCP on %s, UDP on %s", addr, pc.LocalAddr())
	}
	done := make(chan error, 1)
	go func() {
		done <- h3.ServeTLS(c, l, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{})
	}()

	h1, h2, h3c, closeClients := clients(&tls.Config{RootCAs: pool})
	defer closeClients()
	altSvc := fmt.Sprintf(`h3=":%d"; ma=2592000`, pc.LocalAddr().(*net.UDPAddr).Port)
	for _, tc := range []struct {
		client *http.Client
		path   string
		status int
		proto  string
		altSvc string
	}{
		{h1, "/x", 200, "HTTP/1.1", altSvc},
		{h2, "/x", 200, "HTTP/2.0", altSvc},
		{h3c, "/x", 200, "HTTP/3.0", ""},
		{h1, "/app/x", 200, "HTTP/1.1", altSvc},
		{h2, "/app/x", 200, "HTTP/2.0", altSvc},
		{h1, "/secret", 401, "HTTP/1.1", altSvc},
		{h2, "/secret", 401, "HTTP/2.0", altSvc},
		{h3c, "/secret", 401, "HTTP/3.0", ""},
	} {
		resp, err := tc.client.Get("https://" + addr + tc.path)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.proto, tc.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Proto != tc.proto || resp.Header.Get("Alt-Svc") != tc.altSvc {
			t.Errorf("%s %s: %d %s, Alt-Svc %q; want %d %s, %q", tc.proto, tc.path, resp.StatusCode, resp.Proto, resp.Header.Get("Alt-Svc"), tc.status, tc.proto, tc.altSvc)
		}
		if tc.status == 200 && string(b) != tc.proto {
			t.Errorf("%s %s: the handler saw %q", tc.proto, tc.path, b)
		}
	}

	closeClients()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, connector.ErrServerClosed) {
			t.Errorf("ServeTLS returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeTLS did not return after Shutdown")
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Error("TCP still accepts after Shutdown")
	}
	waitClosed(t, pc)
}

// waitClosed waits until pc is closed: ServeTLS closes it once the HTTP/3
// connections are done.
func waitClosed(t *testing.T, pc net.PacketConn) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := pc.WriteTo([]byte{0}, pc.LocalAddr()); errors.Is(err, net.ErrClosed) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the UDP socket is still open")
		}
	}
}

// With no certificate anywhere, Config.DevCert serves a self-signed one
// for localhost, on TCP and UDP alike; ListenAndServeTLS listens itself.
func TestListenAndServeTLSDevCert(t *testing.T) {
	l, pc, err := h3.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	pc.Close()
	c := newProtoContainer()
	defer c.Close()
	done := make(chan error, 1)
	go func() { done <- h3.ListenAndServeTLS(c, addr, nil, h3.Config{DevCert: true}) }()

	h1, h2, h3c, closeClients := clients(&tls.Config{InsecureSkipVerify: true})
	defer closeClients()
	for i, client := range []*http.Client{h1, h2, h3c} {
		var resp *http.Response
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if resp, err = client.Get("https://" + addr + "/"); err == nil || time.Now().After(deadline) {
				break // the first may come before the server listens
			}
		}
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		resp.Body.Close()
		leaf := resp.TLS.PeerCertificates[0]
		if !slices.Equal(leaf.Subject.Organization, []string{"Wharf development"}) || !slices.Contains(leaf.DNSNames, "localhost") {
			t.Errorf("%s: served %v for %v", resp.Proto, leaf.Subject, leaf.DNSNames)
		}
	}
	closeClients()
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, connector.ErrServerClosed) {
		t.Errorf("ListenAndServeTLS returned %v", err)
	}
}

// ServeTLS refuses what it cannot serve, closing what it was given:
// no certificate without DevCert, and a container that has started (the
// Alt-Svc filter could no longer be installed).
func TestServeTLSRefuses(t *testing.T) {
	cert, _ := devcert.New()
	withCert := &tls.Config{Certificates: []tls.Certificate{cert}}
	started := container.New()
	defer started.Close()
	started.Start()
	for _, tc := range []struct {
		name string
		c    *container.Container
		tls  *tls.Config
		want error
	}{
		{"no certificate", container.New(), &tls.Config{}, connector.ErrNoCertificate},
		{"nil and none in the container", container.New(), nil, connector.ErrNoCertificate},
		{"started", started, withCert, h3.ErrStarted},
	} {
		l, pc, err := h3.Listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		err = h3.ServeTLS(tc.c, l, pc, tc.tls, h3.Config{})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, err, tc.want)
		}
		if tc.want == connector.ErrNoCertificate && !strings.Contains(fmt.Sprint(err), "DevCert") {
			t.Errorf("%s: %q does not say where a certificate may come from", tc.name, err)
		}
		if err := h3.ListenAndServeTLS(tc.c, "127.0.0.1:0", tc.tls, h3.Config{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: ListenAndServeTLS: %v; want %v", tc.name, err, tc.want)
		}
		if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s: the listener is open (%v)", tc.name, err)
		}
		waitClosed(t, pc)
		tc.c.Close()
	}
}

// When one side fails (here the TCP listener, closed under it), ServeTLS
// stops the other and returns the error.
func TestServeTLSOneSideFails(t *testing.T) {
	cert, _ := devcert.New()
	c := newProtoContainer()
	defer c.Close()
	l, pc, err := h3.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- h3.ServeTLS(c, l, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{})
	}()
	for !c.Started() {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let both sides serve
	l.Close()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, connector.ErrServerClosed) {
			t.Errorf("ServeTLS returned %v; want the TCP side's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeTLS did not return when its TCP listener failed")
	}
	waitClosed(t, pc)
}

// When the TCP side fails while an HTTP/3 request is in flight, ServeTLS
// returns the error at once and stops HTTP/3 (a new connection is
// refused), leaving the request to finish and its connection to c's
// Shutdown, as the TCP side's connections are left: it once closed every
// HTTP/3 connection, cutting the request off, and returned only once the
// request's handler had, however long that took.
func TestServeTLSOneSideFailsLeavesRequests(t *testing.T) {
	cert, _ := devcert.New()
	pool, _ := devcert.Pool(cert)
	c := newProtoContainer()
	defer c.Close()
	started, release := make(chan struct{}), make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()
	c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
		close(started)
		<-release
		_, err := io.WriteString(w, "slow")
		return err
	})
	l, pc, err := h3.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	done := make(chan error, 1)
	go func() {
		done <- h3.ServeTLS(c, l, pc, &tls.Config{Certificates: []tls.Certificate{cert}}, h3.Config{})
	}()
	_, _, h3c, closeClients := clients(&tls.Config{RootCAs: pool})
	defer closeClients()
	slow := getAsync(h3c, "https://"+addr+"/slow")
	select {
	case <-started:
	case got := <-slow:
		t.Fatalf("the HTTP/3 request ended before its handler ran: %q", got)
	}

	l.Close()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, connector.ErrServerClosed) {
			t.Errorf("ServeTLS returned %v; want the TCP side's error", err)
		}
	case <-time.After(wharftest.Patience):
		t.Fatal("ServeTLS did not return when its TCP listener failed, while an HTTP/3 handler ran")
	}
	late := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer late.Close()
	if resp, err := (&http.Client{Transport: late, Timeout: wharftest.Patience}).Get("https://" + addr + "/x"); err == nil {
		resp.Body.Close()
		t.Errorf("a new HTTP/3 connection was served after the TCP side failed: %s", resp.Status)
	} else if !refused(err) {
		t.Errorf("a new HTTP/3 connection after the TCP side failed: %v, want CONNECTION_REFUSED", err)
	}
	releaseOnce()
	if got := <-slow; got != "slow" {
		t.Errorf("the HTTP/3 request in flight got %q", got)
	}

	closeClients()
	ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	waitClosed(t, pc)
}

// errSocket is what failConn's reads fail with.
var errSocket = errors.New("h3 test: the UDP socket failed")

// failConn is a UDP socket whose reads fail with errSocket from fail on.
type failConn struct {
	net.PacketConn
	failed atomic.Bool
}

func (f *failConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := f.PacketConn.ReadFrom(p)
	if f.failed.Load() {
		return 0, nil, errSocket
	}
	return n, addr, err
}

// fail fails the read under way and every one after it.
func (f *failConn) fail() {
	f.failed.Store(true)
	f.PacketConn.SetReadDeadline(time.Now())
}

// A UDP socket that fails ends Serve with its error, and ServeTLS (its
// TCP side stopped) too: the transport's failure was once taken for a
// shutdown, Serve returned ErrServerClosed as if the container had shut
// down, and ServeTLS the error of the TCP listener it closed in turn.
func TestServeSocketFails(t *testing.T) {
	// quic-go warns once that a wrapped socket's buffers cannot be sized.
	t.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	cert, _ := devcert.New()
	pool, _ := devcert.Pool(cert)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	for _, tc := range []struct {
		name  string
		serve func(c *container.Container, pc net.PacketConn) (net.Listener, error)
	}{
		{"Serve", func(c *container.Container, pc net.PacketConn) (net.Listener, error) {
			return nil, h3.Serve(c, pc, tlsCfg, h3.Config{})
		}},
		{"ServeTLS", func(c *container.Container, pc net.PacketConn) (net.Listener, error) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, err
			}
			return l, h3.ServeTLS(c, l, pc, tlsCfg, h3.Config{})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newProtoContainer()
			defer c.Close()
			udp, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer udp.Close()
			fc := &failConn{PacketConn: udp}
			type result struct {
				l   net.Listener
				err error
			}
			done := make(chan result, 1)
			go func() {
				l, err := tc.serve(c, fc)
				done <- result{l, err}
			}()
			_, _, h3c, closeClients := clients(&tls.Config{RootCAs: pool})
			defer closeClients()
			if got := <-getAsync(h3c, "https://"+udp.LocalAddr().String()+"/x"); got != "HTTP/3.0" {
				t.Fatalf("before the failure: %q", got)
			}
			closeClients()

			fc.fail()
			select {
			case r := <-done:
				if !errors.Is(r.err, errSocket) {
					t.Errorf("%s returned %v; want the socket's error", tc.name, r.err)
				}
				if r.l != nil {
					if _, err := r.l.Accept(); !errors.Is(err, net.ErrClosed) {
						t.Errorf("the TCP listener is open (%v)", err)
					}
				}
			case <-time.After(wharftest.Patience):
				t.Fatalf("%s did not return when its UDP socket failed", tc.name)
			}
		})
	}
}
