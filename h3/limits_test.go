package h3_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
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

// TestLimits runs each of the connector's limits against HTTP/3 requests
// sent by quic-go's client, with the limits set the one way a program
// sets them for every protocol (container.WithConnector), and checks the
// answer docs/security.md gives for HTTP/3; then that the server still
// serves, on the connection the row used (a refused request ends its
// stream, not its connection) and on a new one.
func TestLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     connector.Config
		run     func(t *testing.T, s *limitServer)
		oneConn bool // MaxConnections 1: s.cl is not checked after the row
	}{
		{"MaxBodyBytes/declared", connector.Config{MaxBodyBytes: 1000}, func(t *testing.T, s *limitServer) {
			req := s.request(t, "POST", "/echo", bytes.NewReader(make([]byte, 2000)))
			s.wantStatus(t, s.cl, req, http.StatusRequestEntityTooLarge)
			if n := s.echoed.Load(); n != 0 {
				t.Errorf("the handler ran %d times for a declared body over the limit", n)
			}
		}, false},
		{"MaxBodyBytes/undeclared", connector.Config{MaxBodyBytes: 1000}, func(t *testing.T, s *limitServer) {
			req := s.request(t, "POST", "/echo", io.MultiReader(bytes.NewReader(make([]byte, 2000))))
			req.ContentLength = -1
			s.wantStatus(t, s.cl, req, http.StatusRequestEntityTooLarge)
			if err := s.echoErr(t); !errors.Is(err, api.ErrBodyTooLarge) {
				t.Errorf("the handler's read failed with %v, want api.ErrBodyTooLarge", err)
			}
		}, false},
		{"MaxURILength", connector.Config{}, func(t *testing.T, s *limitServer) {
			req := s.request(t, "GET", "/hello?"+strings.Repeat("a", 8200), nil)
			s.wantStatus(t, s.cl, req, http.StatusRequestURITooLong)
		}, false},
		{"MaxHeaders", connector.Config{}, func(t *testing.T, s *limitServer) {
			req := s.request(t, "GET", "/hello", nil)
			for i := range 101 {
				req.Header.Add("X-A", fmt.Sprint(i))
			}
			s.wantStatus(t, s.cl, req, http.StatusRequestHeaderFieldsTooLarge)
		}, false},
		{"MaxHeaderBytes", connector.Config{}, func(t *testing.T, s *limitServer) {
			req := s.request(t, "GET", "/hello", nil)
			req.Header.Set("X-A", strings.Repeat("a", 20000))
			s.wantStatus(t, s.cl, req, http.StatusRequestHeaderFieldsTooLarge)
		}, false},
		{"MaxHeaders/trailers", connector.Config{}, func(t *testing.T, s *limitServer) {
			req := s.request(t, "POST", "/echo", strings.NewReader("abc"))
			req.ContentLength = -1
			req.Trailer = http.Header{}
			for i := range 101 {
				req.Trailer.Add("X-T", fmt.Sprint(i))
			}
			s.wantStatus(t, s.cl, req, http.StatusRequestHeaderFieldsTooLarge)
		}, false},
		{"MaxHeaderBytes/trailers", connector.Config{}, func(t *testing.T, s *limitServer) {
			req := s.request(t, "POST", "/echo", strings.NewReader("abc"))
			req.ContentLength = -1
			req.Trailer = http.Header{"X-T": {strings.Repeat("a", 20000)}}
			s.wantStatus(t, s.cl, req, http.StatusRequestHeaderFieldsTooLarge)
		}, false},
		{"ReadTimeout", connector.Config{ReadTimeout: 200 * time.Millisecond}, func(t *testing.T, s *limitServer) {
			pr, pw := io.Pipe()
			defer pw.Close()
			go pw.Write([]byte("abc")) // then nothing: the body stalls
			req := s.request(t, "POST", "/echo", pr)
			req.ContentLength = -1
			s.wantStatus(t, s.cl, req, http.StatusRequestTimeout)
			if err := s.echoErr(t); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("the handler's read failed with %v, want a deadline", err)
			}
		}, false},
		{"WriteTimeout", connector.Config{WriteTimeout: 200 * time.Millisecond}, func(t *testing.T, s *limitServer) {
			// The client reads the head and nothing more: the flood stops
			// on flow control, and its next write must fail in time.
			resp, err := s.client(t).Do(s.request(t, "GET", "/flood", nil))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			select {
			case err := <-s.flooded:
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("the flood's write failed with %v, want a deadline", err)
				}
			case <-time.After(wharftest.Patience):
				t.Fatal("the flood's write to a client that does not read never failed")
			}
			if _, err := io.Copy(io.Discard, resp.Body); err == nil {
				t.Error("the aborted response ended as if complete")
			}
		}, false},
		{"MinRequestDataRate", connector.Config{MinRequestDataRate: 1000, DataRateGrace: 300 * time.Millisecond}, func(t *testing.T, s *limitServer) {
			pr, pw := io.Pipe()
			defer pw.Close()
			go func() { // a byte every 100 ms: well within ReadTimeout, far below 1,000 B/s
				for {
					if _, err := pw.Write([]byte("x")); err != nil {
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			}()
			req := s.request(t, "POST", "/echo", pr)
			req.ContentLength = -1
			s.wantStatus(t, s.cl, req, http.StatusRequestTimeout)
			if err := s.echoErr(t); !errors.Is(err, connector.ErrTooSlow) {
				t.Errorf("the handler's read failed with %v, want connector.ErrTooSlow", err)
			}
		}, false},
		{"ReadBodyTimeout", connector.Config{ReadBodyTimeout: 500 * time.Millisecond}, func(t *testing.T, s *limitServer) {
			pr, pw := io.Pipe()
			defer pw.Close()
			go func() { // a byte every 100 ms for 3 s: within ReadTimeout and DataRateGrace, past ReadBodyTimeout
				for range 30 {
					if _, err := pw.Write([]byte("x")); err != nil {
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
				pw.Close()
			}()
			req := s.request(t, "POST", "/echo", pr)
			req.ContentLength = -1
			s.wantStatus(t, s.cl, req, http.StatusRequestTimeout)
			if err := s.echoErr(t); !errors.Is(err, connector.ErrTooSlow) {
				t.Errorf("the handler's read failed with %v, want connector.ErrTooSlow", err)
			}
		}, false},
		{"MinResponseDataRate", connector.Config{MinResponseDataRate: 100_000, DataRateGrace: 300 * time.Millisecond}, func(t *testing.T, s *limitServer) {
			// A client with small flow-control windows that reads the head
			// and nothing more: the server's writes must wait for it, and
			// the rate cuts them off (with large windows, the bytes the
			// windows take at once earn the time instead).
			tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: s.pool},
				QUICConfig: &quic.Config{InitialStreamReceiveWindow: 16 << 10, MaxStreamReceiveWindow: 16 << 10, InitialConnectionReceiveWindow: 32 << 10, MaxConnectionReceiveWindow: 32 << 10}}
			t.Cleanup(func() { tr.Close() })
			resp, err := (&http.Client{Transport: tr, Timeout: wharftest.Patience}).Do(s.request(t, "GET", "/flood", nil))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			select {
			case err := <-s.flooded:
				if !errors.Is(err, connector.ErrTooSlow) {
					t.Errorf("the flood's write failed with %v, want connector.ErrTooSlow", err)
				}
			case <-time.After(wharftest.Patience):
				t.Fatal("the flood's write to a client that does not read never failed")
			}
		}, false},
		{"IdleTimeout", connector.Config{IdleTimeout: 200 * time.Millisecond}, func(t *testing.T, s *limitServer) {
			var conns []*quic.Conn
			var mu sync.Mutex
			tr := &http3.Transport{
				TLSClientConfig: &tls.Config{RootCAs: s.pool},
				Dial: func(ctx context.Context, addr string, tlsCfg *tls.Config, cfg *quic.Config) (*quic.Conn, error) {
					conn, err := quic.DialAddrEarly(ctx, addr, tlsCfg, cfg)
					if err == nil {
						mu.Lock()
						conns = append(conns, conn)
						mu.Unlock()
					}
					return conn, err
				},
			}
			defer tr.Close()
			s.wantStatus(t, &http.Client{Transport: tr}, s.request(t, "GET", "/hello", nil), http.StatusOK)
			mu.Lock()
			conn := conns[0]
			mu.Unlock()
			select {
			case <-conn.Context().Done():
				var appErr *quic.ApplicationError
				if cause := context.Cause(conn.Context()); !errors.As(cause, &appErr) || !appErr.Remote {
					t.Errorf("connection ended by %v, want the server's close", cause)
				}
			case <-time.After(wharftest.Patience):
				t.Fatal("an idle connection was not closed")
			}
		}, false},
		{"MaxConnections", connector.Config{MaxConnections: 1}, func(t *testing.T, s *limitServer) {
			s.wantStatus(t, s.cl, s.request(t, "GET", "/hello", nil), http.StatusOK)
			if err := s.try(); !refused(err) {
				t.Fatalf("a second connection at the limit: %v, want CONNECTION_REFUSED", err)
			}
			s.cl.Transport.(*http3.Transport).Close()
			// The server learns of the close from the client's
			// CONNECTION_CLOSE; servesHello waits for the slot.
		}, true},
		{"Timeouts/negative", connector.Config{ReadHeaderTimeout: -time.Second, ReadTimeout: -time.Second, WriteTimeout: -time.Second, IdleTimeout: -time.Second,
			DataRateGrace: -time.Second, MinRequestDataRate: 1 << 30, MinResponseDataRate: 1 << 30}, func(t *testing.T, s *limitServer) {
			// None, as on TCP: the handshake is quic-go's to bound (a
			// negative HandshakeIdleTimeout gave up every one), and a body
			// read or a response that waits goes on (its deadline was in
			// the past), with no minimum data rate (a negative grace
			// applied the rates with no waiting earned).
			pr, pw := io.Pipe()
			defer pw.Close()
			go func() {
				pw.Write([]byte("abc"))
				time.Sleep(100 * time.Millisecond)
				pw.Write([]byte("def"))
				pw.Close()
			}()
			req := s.request(t, "POST", "/echo", pr)
			req.ContentLength = -1
			s.wantStatus(t, s.cl, req, http.StatusOK)
		}, false},
		{"ReadHeaderTimeout/handshake", connector.Config{ReadHeaderTimeout: 2 * time.Second, MaxConnections: 1}, func(t *testing.T, s *limitServer) {
			// A client that stops after its first flight holds the one
			// slot while its handshake is pending, and no longer than
			// ReadHeaderTimeout: well under quic-go's own bound (twice
			// its 5 s default), which is what this row tells apart.
			start := time.Now()
			stalled := s.stallHandshake(t)
			defer stalled()
			if err := s.try(); !refused(err) {
				t.Fatalf("a connection beside a pending handshake at the limit: %v, want CONNECTION_REFUSED", err)
			}
			s.servesHello(t)
			if d := time.Since(start); d > 4500*time.Millisecond {
				t.Errorf("the pending handshake held its slot for %v; ReadHeaderTimeout is 2 s", d)
			}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startLimitServer(t, tc.cfg, h3.Config{})
			tc.run(t, s)
			if !tc.oneConn {
				s.wantStatus(t, s.cl, s.request(t, "GET", "/hello", nil), http.StatusOK)
			}
			s.servesHello(t)
		})
	}
}

// A host HTTP/1.1 and HTTP/2 refuse is refused over HTTP/3 too, with a
// 400 before the handler, where quic-go passes it on: a percent-escape, a
// port that is not a number, a CONNECT without a port; the valid forms
// still reach the handler. A
// host with a path ("a/b") is left out: quic-go's client will not send it
// (its Host check has no '/'), and its request then waited here for the
// client's timeout rather than failing.
func TestRefusesBadHost(t *testing.T) {
	s := startLimitServer(t, connector.Config{}, h3.Config{})
	for _, tt := range []struct {
		host string
		want int
	}{
		{"a%2Fb", http.StatusBadRequest},
		{"a%80", http.StatusBadRequest},
		{"a:8o", http.StatusBadRequest},
		{"xn--caf-dma:8443", http.StatusOK},
		{"127.0.0.1", http.StatusOK},
		{"[::1]:443", http.StatusOK},
		{"Example.COM.", http.StatusOK},
		{"a:", http.StatusOK},
	} {
		req := s.request(t, "GET", "/hello", nil)
		req.Host = tt.host
		s.wantStatus(t, s.cl, req, tt.want)
	}
	// A plain CONNECT names a host and a port, as HTTP/1.1 and HTTP/2
	// require; an extended one (RFC 9220) names a URI's authority, whose
	// port its scheme may imply, and is answered 501
	// (TestExtendedConnectRefused).
	for _, tt := range []struct {
		host, protocol, path string
		want                 int
	}{
		{"a", "", "/", http.StatusBadRequest},
		{"a:", "", "/", http.StatusBadRequest},
		{"a:65536", "", "/", http.StatusBadRequest},
		{"a:443", "", "/", http.StatusNotFound}, // accepted; nothing is mapped to it
		{"a", "websocket", "/hello", http.StatusNotImplemented},
	} {
		req := s.request(t, "CONNECT", tt.path, nil)
		req.Host = tt.host
		if tt.protocol != "" {
			req.Proto = tt.protocol // quic-go's client sends it as :protocol
		}
		s.wantStatus(t, s.cl, req, tt.want)
	}
	s.servesHello(t)
}

// A :path HTTP/1.1 and HTTP/2 refuse (h1.ValidTarget: a space, a
// fragment, a byte outside ASCII, a malformed escape in the path) is
// refused over HTTP/3 too, with a 400 before the handler: quic-go only
// asks that it begin with "/", and url.ParseRequestURI keeps a '#' and
// what follows in the path, so "/hello#/../x" was routed as "/x", where
// a proxy that drops the fragment saw "/hello". quic-go's client sends an
// Opaque URL as it is.
func TestRefusesBadTarget(t *testing.T) {
	s := startLimitServer(t, connector.Config{}, h3.Config{})
	for _, tt := range []struct {
		target string
		want   int
	}{
		{"/hello#/../x", http.StatusBadRequest},
		{"/hel lo", http.StatusBadRequest},
		{"/hello?a b", http.StatusBadRequest},
		{"/hell\xc3\xb6", http.StatusBadRequest},
		{"/hello?q=\xff", http.StatusBadRequest},
		{"/hello", http.StatusOK},
		{"/hello?a=%20&b=%zz", http.StatusOK}, // a query's escapes are the handler's
		{"/%68ello", http.StatusOK},
	} {
		t.Run(tt.target, func(t *testing.T) {
			req := s.request(t, "GET", "/", nil)
			req.URL.Opaque = tt.target
			s.wantStatus(t, s.cl, req, tt.want)
		})
	}
	s.servesHello(t)
}

// limitServer is a container served over HTTP/3 alone, with handlers
// that exercise the limits.
type limitServer struct {
	cl       *http.Client // the rows' client, on one connection
	addr     string
	pool     *x509.CertPool
	echoed   atomic.Int64
	echoErrs chan error // each /echo read's error, if any
	flooded  chan error // the error that ended /flood
}

// TestConfigConnector: h3.Config.Connector, when set, gives HTTP/3 limits
// of its own in place of the container's.
func TestConfigConnector(t *testing.T) {
	s := startLimitServer(t, connector.Config{}, h3.Config{Connector: &connector.Config{MaxBodyBytes: 10}})
	s.wantStatus(t, s.cl, s.request(t, "POST", "/echo", strings.NewReader("more than ten bytes")), http.StatusRequestEntityTooLarge)
	s.wantStatus(t, s.cl, s.request(t, "POST", "/echo", strings.NewReader("ten bytes")), http.StatusOK)
}

func startLimitServer(t *testing.T, cfg connector.Config, h3cfg h3.Config) *limitServer {
	t.Helper()
	cert, err := devcert.New()
	if err != nil {
		t.Fatal(err)
	}
	s := &limitServer{echoErrs: make(chan error, 10), flooded: make(chan error, 1)}
	s.pool, _ = devcert.Pool(cert)
	c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "hello")
		return err
	})
	c.HandleFunc("/echo", func(w api.Response, r *api.Request) error {
		s.echoed.Add(1)
		b, err := io.ReadAll(r.Body())
		if err != nil {
			s.echoErrs <- err
			return err
		}
		_, err = fmt.Fprintf(w, "%d bytes, %d trailer fields", len(b), len(r.Trailer().Values("X-T")))
		return err
	})
	c.HandleFunc("/flood", func(w api.Response, r *api.Request) error {
		chunk := make([]byte, 64<<10)
		for range 1 << 12 { // 256 MiB at most
			if _, err := w.Write(chunk); err != nil {
				s.flooded <- err
				return err
			}
		}
		s.flooded <- nil
		return nil
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = pc.LocalAddr().String()
	s.cl = s.client(t)
	serveOn(t, c, pc, cert, h3cfg)
	return s
}

func (s *limitServer) request(t *testing.T, method, path string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, "https://"+s.addr+path, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// client returns a client with a transport of its own, closed when the
// test ends.
func (s *limitServer) client(t *testing.T) *http.Client {
	tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: s.pool}}
	t.Cleanup(func() { tr.Close() })
	return &http.Client{Transport: tr, Timeout: wharftest.Patience}
}

func (s *limitServer) wantStatus(t *testing.T, client *http.Client, req *http.Request, want int) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %.40s: %v", req.Method, req.URL.Path, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("%s %.40s: status %d (%q), want %d", req.Method, req.URL.Path, resp.StatusCode, body, want)
	}
}

// echoErr returns the error /echo's read failed with.
func (s *limitServer) echoErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.echoErrs:
		return err
	default:
		t.Fatal("/echo's read did not fail")
		return nil
	}
}

// try asks for /hello on a new connection and returns why it failed.
func (s *limitServer) try() error {
	tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: s.pool}}
	defer tr.Close()
	resp, err := (&http.Client{Transport: tr, Timeout: wharftest.Patience}).Get("https://" + s.addr + "/hello")
	if err != nil {
		return err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil && (resp.StatusCode != http.StatusOK || string(b) != "hello") {
		err = fmt.Errorf("status %d, body %q", resp.StatusCode, b)
	}
	return err
}

// servesHello checks that a new connection is served, waiting while
// connections are refused for a slot (MaxConnections) that a closing
// connection is about to give back.
func (s *limitServer) servesHello(t *testing.T) {
	t.Helper()
	var err error
	wharftest.WaitFor(t, "a new connection to be served", func() bool {
		err = s.try()
		return !refused(err)
	})
	if err != nil {
		t.Fatalf("the server no longer serves: %v", err)
	}
}

func refused(err error) bool {
	var te *quic.TransportError
	return errors.As(err, &te) && te.ErrorCode == quic.ConnectionRefused
}

// stallHandshake starts a connection whose client falls silent once the
// server has answered its first flight, and returns when the server has
// (so the connection is the server's). The returned func abandons it.
func (s *limitServer) stallHandshake(t *testing.T) func() {
	t.Helper()
	// quic-go warns once that a wrapped socket's buffers cannot be sized.
	t.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mc := &muteConn{PacketConn: udp, heard: make(chan struct{})}
	raddr, _ := net.ResolveUDPAddr("udp", s.addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr := &quic.Transport{Conn: mc}
		defer tr.Close()
		conn, err := tr.Dial(ctx, raddr, &tls.Config{RootCAs: s.pool, NextProtos: []string{http3.NextProtoH3}}, nil)
		if err == nil {
			conn.CloseWithError(0, "")
		}
	}()
	select {
	case <-mc.heard:
	case <-time.After(wharftest.Patience):
		t.Fatal("the server did not answer a first flight")
	}
	return func() {
		cancel()
		<-done
		udp.Close()
	}
}

// muteConn sends until it hears from the server, and then nothing.
type muteConn struct {
	net.PacketConn
	once  sync.Once
	heard chan struct{}
	mute  atomic.Bool
}

func (m *muteConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if m.mute.Load() {
		return len(p), nil
	}
	return m.PacketConn.WriteTo(p, addr)
}

func (m *muteConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := m.PacketConn.ReadFrom(p)
	if n > 0 {
		m.once.Do(func() {
			m.mute.Store(true)
			close(m.heard)
		})
	}
	return n, addr, err
}
