package connector_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/devcert"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// tlsContainer answers /who with what the request knows of its TLS
// connection: the SNI name, the protocol and the ALPN choice.
func tlsContainer(opts ...container.Option) *container.Container {
	c := container.New(append([]container.Option{container.WithLogger(wharftest.DiscardLogger())}, opts...)...)
	c.HandleFunc("/who", func(w api.Response, r *api.Request) error {
		st := r.TLS()
		if st == nil {
			return errors.New("no TLS state")
		}
		_, err := fmt.Fprintf(w, "%s %s %s", st.ServerName, r.Proto(), st.NegotiatedProtocol)
		return err
	})
	return c
}

// serveTLS runs c.ServeTLS on a fresh port until the test ends.
func serveTLS(t *testing.T, c *container.Container, certFile, keyFile string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.ServeTLS(l, certFile, keyFile) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, connector.ErrServerClosed) {
			t.Errorf("ServeTLS returned %v", err)
		}
	})
	return l.Addr().String()
}

func mustCert(t *testing.T, hosts ...string) tls.Certificate {
	t.Helper()
	cert, err := devcert.New(hosts...)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// SNI picks the certificate, ALPN the protocol, and the request sees both.
func TestServeTLSNegotiation(t *testing.T) {
	certA, certB := mustCert(t, "a.test"), mustCert(t, "b.test")
	roots := x509.NewCertPool()
	roots.AddCert(certA.Leaf)
	roots.AddCert(certB.Leaf)
	tests := []struct {
		name       string
		disableH2  bool
		serverName string
		serverALPN []string // the TLSConfig's NextProtos
		clientALPN []string
		wantProto  string // ALPN result
		wantBody   string
	}{
		{"h2 for a", false, "a.test", nil, []string{"h2", "http/1.1"}, "h2", "a.test HTTP/2.0 h2"},
		{"http/1.1 for b", false, "b.test", nil, []string{"http/1.1"}, "http/1.1", "b.test HTTP/1.1 http/1.1"},
		{"no ALPN", false, "a.test", nil, nil, "", "a.test HTTP/1.1 "},
		{"h2 disabled", true, "b.test", nil, []string{"h2", "http/1.1"}, "http/1.1", "b.test HTTP/1.1 http/1.1"},
		{"h2 disabled, offered by the TLSConfig", true, "a.test", []string{"h2", "http/1.1"}, []string{"h2", "http/1.1"}, "http/1.1", "a.test HTTP/1.1 http/1.1"},
		{"h2 disabled, the TLSConfig's only protocol", true, "a.test", []string{"h2"}, []string{"h2", "http/1.1"}, "http/1.1", "a.test HTTP/1.1 http/1.1"},
		{"the TLSConfig's protocols", false, "a.test", []string{"http/1.1", "h2"}, []string{"h2", "http/1.1"}, "http/1.1", "a.test HTTP/1.1 http/1.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tlsContainer(
				container.WithConnector(connector.Config{DisableHTTP2: tc.disableH2}),
				container.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{certA, certB}, NextProtos: tc.serverALPN}),
			)
			addr := serveTLS(t, c, "", "")
			cfg := &tls.Config{RootCAs: roots, ServerName: tc.serverName, NextProtos: tc.clientALPN}
			tr := &http.Transport{
				DialTLSContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					d := tls.Dialer{Config: cfg}
					nc, err := d.DialContext(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					st := nc.(*tls.Conn).ConnectionState()
					if got := st.PeerCertificates[0].DNSNames[0]; got != tc.serverName {
						t.Errorf("certificate for %q, want %q", got, tc.serverName)
					}
					if st.NegotiatedProtocol != tc.wantProto {
						t.Errorf("ALPN chose %q, want %q", st.NegotiatedProtocol, tc.wantProto)
					}
					return nc, nil
				},
				ForceAttemptHTTP2: tc.wantProto == "h2",
			}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + tc.serverName + "/who")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != tc.wantBody {
				t.Errorf("body %q, want %q", b, tc.wantBody)
			}
		})
	}
}

// Certificates from PEM files, errors for missing ones, and the handshake
// bounded by ReadHeaderTimeout.
func TestServeTLSCertificatesAndLimits(t *testing.T) {
	cert := mustCert(t)
	dir := t.TempDir()
	certFile, keyFile, err := devcert.WriteFiles(dir, cert)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("no certificate", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		c := tlsContainer()
		defer c.Close()
		if err := c.ServeTLS(l, "", ""); !errors.Is(err, connector.ErrNoCertificate) {
			t.Fatalf("ServeTLS without certificates: %v", err)
		}
		if err := c.ServeTLS(l, filepath.Join(dir, "missing.pem"), keyFile); err == nil || !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("ServeTLS with a missing file: %v", err)
		}
	})
	t.Run("files", func(t *testing.T) {
		addr := serveTLS(t, tlsContainer(container.WithConnector(connector.Config{ReadHeaderTimeout: 200 * time.Millisecond})), certFile, keyFile)
		pool, _ := devcert.Pool(cert)
		nc, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(nc, "GET /who HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		b, _ := io.ReadAll(nc)
		nc.Close()
		if !strings.HasSuffix(string(b), "localhost HTTP/1.1 http/1.1") {
			t.Fatalf("answer %q", b)
		}
		// A client that never starts its handshake is let go.
		raw := wharftest.Dial(t, addr, 5*time.Second)
		if _, err := raw.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("a silent client was not disconnected: %v", err)
		}
	})
}

// Shutdown sends HTTP/2 clients a GOAWAY and does not wait for them to
// close an idle connection.
func TestShutdownWithIdleHTTP2(t *testing.T) {
	cert := mustCert(t)
	c := tlsContainer(container.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.ServeTLS(l, "", "") }()
	pool, _ := devcert.Pool(cert)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("https://" + l.Addr().String() + "/who")
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("answered over %s", resp.Proto)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with an idle HTTP/2 connection: %v", err)
	}
	if err := <-done; !errors.Is(err, connector.ErrServerClosed) {
		t.Fatalf("ServeTLS returned %v", err)
	}
}

// With H2C, a cleartext connection that opens with the HTTP/2 preface is
// served as HTTP/2, on both connectors; without it the preface gets 505.
func TestH2CPriorKnowledge(t *testing.T) {
	for _, h2c := range []bool{true, false} {
		t.Run(fmt.Sprintf("H2C=%v", h2c), func(t *testing.T) {
			eachConnector(t, connector.Config{H2C: h2c}, func(t *testing.T, cfg connector.Config) {
				c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
				c.HandleFunc("/proto", func(w api.Response, r *api.Request) error {
					_, err := fmt.Fprintf(w, "%s tls=%v", r.Proto(), r.TLS() != nil)
					return err
				})
				addr := listen(t, c)
				if !h2c {
					resps, _, closed := roundTrip(t, addr, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 1)
					if resps[0].StatusCode != http.StatusHTTPVersionNotSupported || !closed {
						t.Fatalf("h2c off: the preface got %s, connection closed: %v", resps[0].Status, closed)
					}
					return
				}
				tr := &http.Transport{Protocols: new(http.Protocols)}
				tr.Protocols.SetUnencryptedHTTP2(true)
				defer tr.CloseIdleConnections()
				client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
				for i := range 3 { // several streams on one connection
					resp, err := client.Get(fmt.Sprintf("http://%s/proto?i=%d", addr, i))
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if string(b) != "HTTP/2.0 tls=false" {
						t.Fatalf("answer %q", b)
					}
				}
			})
		})
	}
}

// A prior-knowledge client's preface may reach the server in pieces,
// however TCP cuts it: one cut after its first line ("PRI * HTTP/2.0"),
// a whole request line that fails to parse, is waited for like any
// other, not taken for a broken HTTP/1.1 request and closed.
func TestH2CPrefaceInPieces(t *testing.T) {
	eachConnector(t, connector.Config{H2C: true}, func(t *testing.T, cfg connector.Config) {
		c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
		addr := listen(t, c)
		// The preface, then an empty SETTINGS frame.
		const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + "\x00\x00\x00\x04\x00\x00\x00\x00\x00"
		for cut := 1; cut < 24; cut++ {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			nc.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(nc, preface[:cut])
			time.Sleep(10 * time.Millisecond) // the server reads the first piece alone
			io.WriteString(nc, preface[cut:])
			var frame [9]byte
			_, err = io.ReadFull(nc, frame[:])
			nc.Close()
			if err != nil || frame[3] != 0x4 {
				t.Errorf("preface cut after %d bytes (%q): the server's first frame %x, %v; want its SETTINGS", cut, preface[:cut], frame, err)
			}
		}
	})
}

// On a port that takes h2c, an HTTP/1.1 request line whose target breaks
// MaxURILength is answered 414 as on any other port, whether the server
// reads the line whole or only its first part, before the version that
// would say HTTP/1 (as TCP may cut a long line): a target that long is
// no HTTP/2 preface's, whose is "*".
func TestH2CLongTarget(t *testing.T) {
	line := "GET /" + strings.Repeat("a", 9000)
	tests := []struct {
		name string
		raw  string
	}{
		{"whole request", line + " HTTP/1.1\r\nHost: a\r\n\r\n"},
		{"cut before the version", line},
	}
	eachConnector(t, connector.Config{H2C: true}, func(t *testing.T, cfg connector.Config) {
		c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
		addr := listen(t, c)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resps, _, closed := roundTrip(t, addr, tt.raw, 1)
				if resps[0].StatusCode != http.StatusRequestURITooLong || !closed {
					t.Errorf("got %s, connection closed: %v; want 414 and closed", resps[0].Status, closed)
				}
			})
		}
	})
}

// parker suspends every request: it keeps the stream and returns, as a
// container does for an async request; release answers them all.
type parker struct {
	mu      sync.Mutex
	streams []connector.Stream
}

func (p *parker) ServeStream(s connector.Stream) {
	p.mu.Lock()
	p.streams = append(p.streams, s)
	p.mu.Unlock()
}

func (p *parker) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.streams {
		s.WriteHead(200, "", http.Header{}, 0, nil)
		s.Finish(nil)
	}
	p.streams = nil
}

// A suspended request keeps no read buffer of the connector's, over TLS
// as over cleartext: crypto/tls's buffers are
// all a waiting TLS connection holds for reading. On the epoll connector
// it keeps no idle timer either.
func TestSuspendedRequestsReleaseBufferAndTimer(t *testing.T) {
	cert, err := devcert.New("localhost")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := devcert.WriteFiles(t.TempDir(), cert)
	if err != nil {
		t.Fatal(err)
	}
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			const n = 10
			p := &parker{}
			srv := &connector.Server{Handler: p}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				if useTLS {
					done <- srv.ServeTLS(l, certFile, keyFile)
				} else {
					done <- srv.Serve(l)
				}
			}()
			defer func() { srv.Close(); <-done }()
			for range n {
				var nc net.Conn
				if useTLS {
					nc, err = tls.Dial("tcp", l.Addr().String(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
				} else {
					nc, err = net.Dial("tcp", l.Addr().String())
				}
				if err != nil {
					t.Fatal(err)
				}
				defer nc.Close()
				if _, err := io.WriteString(nc, "GET /wait HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
			}
			wharftest.WaitFor(t, "every request suspended", func() bool {
				d, _ := connector.HeldReadBuffers(srv)
				return d == n
			})
			if _, holding := connector.HeldReadBuffers(srv); holding != 0 {
				t.Errorf("%d of %d suspended requests keep a read buffer", holding, n)
			}
			if heldIdleTimers != nil {
				if held := heldIdleTimers(srv); held != 0 {
					t.Errorf("%d of %d suspended requests keep their connection's idle timer", held, n)
				}
			}
			p.release()
		})
	}
}

// TestNewTLSListenerWithoutCertificate: a listener NewTLSListener made with
// no certificate to serve (a nil config, or one without certificates) is
// refused by Serve as ServeTLS refuses it, with ErrNoCertificate. The epoll
// connector does the TLS of such a listener itself, and with a nil config
// it served plain HTTP on the port meant for TLS.
func TestNewTLSListenerWithoutCertificate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  *tls.Config
	}{
		{"nil", nil},
		{"empty", &tls.Config{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tlsContainer()
			c.HandleFunc("/plain", func(w api.Response, r *api.Request) error {
				_, err := io.WriteString(w, "served in the clear")
				return err
			})
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			served := make(chan error, 1)
			go func() { served <- c.Serve(connector.NewTLSListener(l, tc.cfg)) }()
			defer c.Close()

			// A client speaking plain HTTP to the TLS port.
			answered := make(chan string, 1)
			go func() {
				nc, err := net.Dial("tcp", l.Addr().String())
				if err != nil {
					answered <- err.Error()
					return
				}
				defer nc.Close()
				nc.SetDeadline(time.Now().Add(10 * time.Second)) // a safety net only
				io.WriteString(nc, "GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
				b, _ := io.ReadAll(nc)
				answered <- string(b)
			}()
			select {
			case err := <-served:
				if !errors.Is(err, connector.ErrNoCertificate) {
					t.Errorf("Serve = %v, want ErrNoCertificate", err)
				}
				l.Close() // the plain client's connection, never accepted, ends
				if got := <-answered; strings.HasPrefix(got, "HTTP/") {
					t.Errorf("plain HTTP answered on the TLS listener: %q", got)
				}
			case got := <-answered:
				if strings.HasPrefix(got, "HTTP/") {
					t.Errorf("plain HTTP answered on the TLS listener: %q", got)
				}
				c.Close()
				if err := <-served; !errors.Is(err, connector.ErrNoCertificate) {
					t.Errorf("Serve = %v, want ErrNoCertificate", err)
				}
			}
		})
	}
}
