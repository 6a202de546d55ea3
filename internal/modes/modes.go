// Package modes runs one semantics test on every way Wharf can be served,
// like net/http's h1/h2 test modes: run(t, testX) becomes one subtest per
// mode, each with a live server on 127.0.0.1 and a client for it.
package modes

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/h3"
)

// Mode names a way of serving a container.
type Mode string

const (
	// H1 is Wharf's own HTTP/1.1 connector, epoll where available.
	H1 Mode = "h1"
	// H1Portable is the goroutine-per-connection HTTP/1.1 connector.
	H1Portable Mode = "h1portable"
	// NetHTTP is the container as an http.Handler inside net/http's server.
	NetHTTP Mode = "nethttp"
	// H1TLS is HTTP/1.1 over TLS (ServeTLS, ALPN "http/1.1").
	H1TLS Mode = "h1tls"
	// H1TLSPortable is H1TLS on the portable connector: crypto/tls on a
	// goroutine of the connection's (on the epoll connector the selector
	// runs it when the socket is readable).
	H1TLSPortable Mode = "h1tlsportable"
	// H2 is HTTP/2 over TLS (ServeTLS, ALPN "h2").
	H2 Mode = "h2"
	// H2Portable is H2 on the portable connector: ALPN hands the TLS
	// connection to HTTP/2 without the epoll connector's selector.
	H2Portable Mode = "h2portable"
	// H2C is HTTP/2 in cleartext with prior knowledge (WithH2C).
	H2C Mode = "h2c"
	// H2CPortable is H2C on the portable connector, where an HTTP/2
	// connection's reader is a goroutine for the connection's life (on
	// the epoll connector it waits without one).
	H2CPortable Mode = "h2cportable"
	// H3 is HTTP/3 over QUIC (package h3).
	H3 Mode = "h3"
)

// All lists the modes every semantics test runs in.
var All = []Mode{H1, H1Portable, NetHTTP, H1TLS, H1TLSPortable, H2, H2Portable, H2C, H2CPortable, H3}

// TLS reports whether mode m serves over TLS.
func (m Mode) TLS() bool {
	return m == H1TLS || m == H1TLSPortable || m == H2 || m == H2Portable || m == H3
}

// HTTP1 reports whether clients speak HTTP/1.1 to the server in mode m.
func (m Mode) HTTP1() bool { return !m.HTTP2() && m != H3 }

// HTTP2 reports whether clients speak HTTP/2 to the server in mode m.
func (m Mode) HTTP2() bool { return m == H2 || m == H2Portable || m == H2C || m == H2CPortable }

// Options returns the container options mode m needs.
func Options(m Mode) []container.Option {
	switch {
	case m == H1Portable:
		return []container.Option{container.WithPortableConnector()}
	case m == H1TLS || m == H2:
		return []container.Option{serveTLS()}
	case m == H1TLSPortable || m == H2Portable:
		return []container.Option{serveTLS(), container.WithPortableConnector()}
	case m == H2C:
		return []container.Option{container.WithH2C()}
	case m == H2CPortable:
		return []container.Option{container.WithH2C(), container.WithPortableConnector()}
	}
	return nil
}

// serveTLS is the option of the TLS modes: serve certificate.
func serveTLS() container.Option {
	return container.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{certificate()}})
}

// certificate is the self-signed certificate every TLS mode serves, made
// once per test binary.
var certificate = sync.OnceValue(func() tls.Certificate {
	cert, err := devcert.New()
	if err != nil {
		panic("modes: " + err.Error())
	}
	return cert
})

// clientTLS trusts certificate.
func clientTLS() *tls.Config {
	pool, err := devcert.Pool(certificate())
	if err != nil {
		panic("modes: " + err.Error())
	}
	return &tls.Config{RootCAs: pool}
}

// Server is a running container and a client for it.
type Server struct {
	Mode      Mode
	Container *container.Container
	URL       string // "http://127.0.0.1:port" ("https://" in the TLS modes)
	Client    *http.Client
	ClientTLS *tls.Config // for other clients in the TLS modes: trusts the server
}

// Run calls f once per mode as a subtest. build configures a fresh
// container for each mode.
func Run(t *testing.T, build func(c *container.Container), f func(t *testing.T, s *Server), opts ...container.Option) {
	for _, m := range All {
		t.Run(string(m), func(t *testing.T) {
			c := container.New(append(opts[:len(opts):len(opts)], Options(m)...)...)
			build(c)
			f(t, Start(t, m, c))
		})
	}
}

// Start serves c in mode m until the test ends.
func Start(t testing.TB, m Mode, c *container.Container) *Server {
	t.Helper()
	s := &Server{Mode: m, Container: c}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	if m.TLS() {
		s.ClientTLS = clientTLS()
	}
	switch m {
	case H1TLS, H1TLSPortable:
		tr.TLSClientConfig = clientTLS()
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // HTTP/1.1 only
	case H2, H2Portable:
		tr.TLSClientConfig = clientTLS()
		tr.ForceAttemptHTTP2 = true
	case H2C, H2CPortable:
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
	}
	s.Client = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	switch m {
	case H3:
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			h3.Serve(c, pc, &tls.Config{Certificates: []tls.Certificate{certificate()}}, h3.Config{})
		}()
		h3tr := &http3.Transport{TLSClientConfig: clientTLS()}
		s.Client = &http.Client{Transport: h3tr, Timeout: 30 * time.Second}
		s.URL = "https://" + pc.LocalAddr().String()
		t.Cleanup(func() {
			h3tr.Close()
			shutdown(t, c, done)
			pc.Close()
		})
	case H1, H1Portable, H1TLS, H1TLSPortable, H2, H2Portable, H2C, H2CPortable:
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if m.TLS() {
				c.ServeTLS(l, "", "")
			} else {
				c.Serve(l)
			}
		}()
		s.URL = "http://" + l.Addr().String()
		if m.TLS() {
			s.URL = "https://" + l.Addr().String()
		}
		t.Cleanup(func() {
			tr.CloseIdleConnections()
			shutdown(t, c, done)
		})
	case NetHTTP:
		hs := httptest.NewServer(c)
		s.URL = hs.URL
		t.Cleanup(func() {
			tr.CloseIdleConnections()
			hs.Close()
			c.Close()
		})
	}
	return s
}

// Do sends req with s's client, without following a redirect (a test
// looks at the 3xx itself), and returns the response with its whole body
// read; it fails the test if either fails.
func (s *Server) Do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	c := *s.Client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// DialHTTP1 opens a connection for a test that writes HTTP/1.1 bytes
// itself (TLS with ALPN "http/1.1" in the TLS modes). In the HTTP/2 modes
// and H3, where no HTTP/1.1 is spoken, it skips the test.
func (s *Server) DialHTTP1(t testing.TB) net.Conn {
	t.Helper()
	addr := strings.TrimPrefix(strings.TrimPrefix(s.URL, "http://"), "https://")
	if !s.Mode.HTTP1() {
		t.Skip("raw HTTP/1.1 bytes: this mode speaks none")
	}
	if s.Mode.TLS() {
		cfg := clientTLS()
		cfg.NextProtos = []string{"http/1.1"}
		nc, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return nc
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

// shutdown shuts c down gracefully and waits for its Serve to return
// (done closed).
func shutdown(t testing.TB, c *container.Container, done <-chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	<-done
}
