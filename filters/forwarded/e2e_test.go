package forwarded_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/filters/forwarded"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestEndToEnd serves the filter, with filters/dos behind it, on every
// protocol: the test's client is the trusted proxy (loopback), and the
// clients it names in X-Forwarded-For are those the handler sees and dos
// limits, one bucket each; X-Forwarded-Port replaces the port of the
// request's Host. A malformed field from the proxy is answered 400. A request without forwarding fields is the proxy's own, on the
// connection's address and scheme.
func TestEndToEnd(t *testing.T) {
	build := func(c *container.Container) {
		f, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"127.0.0.0/8", "::1"}})
		if err != nil {
			t.Fatal(err)
		}
		d, err := dos.New(dos.Config{Rate: 0.001, Burst: 1, Delay: -1})
		if err != nil {
			t.Fatal(err)
		}
		c.Filter("/*", f)
		c.Filter("/*", d)
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString(r.RemoteAddr() + " " + r.Scheme() + " " + r.Host())
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		get := func(fields ...string) (int, string) {
			t.Helper()
			req, err := http.NewRequest("GET", s.URL+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(fields); i += 2 {
				req.Header.Add(fields[i], fields[i+1])
			}
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		client1 := []string{"X-Forwarded-For", "6.6.6.6, 192.0.2.1", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "shop.example"}
		if code, body := get(client1...); code != http.StatusOK || body != "192.0.2.1:0 https shop.example" {
			t.Errorf("first request of 192.0.2.1: %d %q", code, body)
		}
		if code, _ := get(client1...); code != http.StatusTooManyRequests {
			t.Errorf("second request of 192.0.2.1: %d, want 429", code)
		}
		if code, body := get("Forwarded", `for="[2001:db8::2]:4711";proto=http;host=shop.example`); code != http.StatusOK || body != "[2001:db8::2]:4711 http shop.example" {
			t.Errorf("first request of 2001:db8::2: %d %q", code, body)
		}
		u, err := url.Parse(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		wantHost := net.JoinHostPort(u.Hostname(), "8443") // the request's Host has a port: replaced
		if code, body := get("X-Forwarded-For", "192.0.2.4", "X-Forwarded-Proto", "https", "X-Forwarded-Port", "8443"); code != http.StatusOK || body != "192.0.2.4:0 https "+wantHost {
			t.Errorf("X-Forwarded-Port: %d %q, want 200 %q", code, body, "192.0.2.4:0 https "+wantHost)
		}
		for _, fields := range [][]string{
			{"X-Forwarded-For", "192.0.2.3, garbage"},
			{"X-Forwarded-For", "192.0.2.3", "X-Forwarded-Port", "99999"},
			{"Forwarded", `for="192.0.2.3`},
		} {
			if code, body := get(fields...); code != http.StatusBadRequest {
				t.Errorf("malformed fields %q from the proxy: %d %q, want 400", fields, code, body)
			}
		}
		code, body := get()
		remote, scheme, _ := strings.Cut(body, " ")
		wantScheme := "http"
		if s.Mode.TLS() {
			wantScheme = "https"
		}
		if host, _, err := net.SplitHostPort(remote); code != http.StatusOK || err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() || !strings.HasPrefix(scheme, wantScheme+" ") {
			t.Errorf("the proxy's own request: %d %q, want 200 from loopback over %s", code, body, wantScheme)
		}
	})
}

// TestEndToEndMalformedXForwarded: a malformed X-Forwarded-Proto or
// X-Forwarded-Host from the trusted proxy is refused as a malformed
// Forwarded field is, on every protocol: 400 through the container's
// error pages, whose page for ErrMalformed answers it, and the handler
// does not run. A well-formed value the request cannot take ("wss", a
// host with a sub-delimiter) is ignored.
func TestEndToEndMalformedXForwarded(t *testing.T) {
	build := func(c *container.Container) {
		f, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"127.0.0.0/8", "::1"}})
		if err != nil {
			t.Fatal(err)
		}
		c.Filter("/*", f)
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("handler " + r.Scheme() + " " + r.Host())
			return err
		})
		c.ErrorPageFor(forwarded.ErrMalformed, api.HandlerFunc(func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("page " + strconv.Itoa(w.Status()))
			return err
		}))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		u, err := url.Parse(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			fields []string
			code   int
			body   string
		}{
			{[]string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https:"}, http.StatusBadRequest, "page 400"},
			{[]string{"X-Forwarded-Proto", "ht tp"}, http.StatusBadRequest, "page 400"},
			{[]string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Host", "evil.example/path"}, http.StatusBadRequest, "page 400"},
			{[]string{"X-Forwarded-Host", "u@evil.example"}, http.StatusBadRequest, "page 400"},
			{[]string{"X-Forwarded-Host", "shop.example:65536"}, http.StatusBadRequest, "page 400"},
			{[]string{"Forwarded", "for=192.0.2.1, for="}, http.StatusBadRequest, "page 400"},
			{[]string{"X-Forwarded-Proto", "wss", "X-Forwarded-Host", "a!b.example"}, http.StatusOK, "handler " + u.Scheme + " " + u.Host},
			{[]string{"X-Forwarded-Proto", "HTTPS", "X-Forwarded-Host", "[2001:db8::2]:8443"}, http.StatusOK, "handler https [2001:db8::2]:8443"},
		} {
			req, err := http.NewRequest("GET", s.URL+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(tc.fields); i += 2 {
				req.Header.Add(tc.fields[i], tc.fields[i+1])
			}
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code || string(b) != tc.body {
				t.Errorf("fields %q from the proxy: %d %q, want %d %q", tc.fields, resp.StatusCode, b, tc.code, tc.body)
			}
		}
	})
}

// TestEndToEndUnixSocket serves the filter on a Unix socket, whose peer
// has no IP address, through the container's connector and through
// net/http's server: the proxy there is believed only with
// TrustUnixPeers, which knows the connection for a Unix socket's by the
// addresses either writes for it.
func TestEndToEndUnixSocket(t *testing.T) {
	for _, via := range []string{"connector", "net/http"} {
		for _, trust := range []bool{false, true} {
			f, err := forwarded.New(forwarded.Config{TrustUnixPeers: trust})
			if err != nil {
				t.Fatal(err)
			}
			c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
			c.Filter("/*", f)
			c.HandleFunc("/", func(w api.Response, r *api.Request) error {
				_, err := w.WriteString(r.RemoteAddr() + " " + r.Scheme() + " " + r.Host())
				return err
			})
			l, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
			if err != nil {
				t.Skipf("no Unix socket: %v", err)
			}
			served := make(chan error, 1)
			stop := func() error {
				if err := c.Shutdown(t.Context()); err != nil {
					return err
				}
				if err := <-served; err != nil && !errors.Is(err, container.ErrServerClosed) {
					return fmt.Errorf("Serve: %w", err)
				}
				return nil
			}
			if via == "connector" {
				go func() { served <- c.Serve(l) }()
			} else {
				hs := &http.Server{Handler: c}
				go func() { served <- hs.Serve(l) }()
				stop = func() error {
					if err := hs.Close(); err != nil {
						return err
					}
					if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
						return fmt.Errorf("Serve: %w", err)
					}
					return c.Close()
				}
			}
			tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", l.Addr().String())
			}}
			client := &http.Client{Transport: tr}
			get := func(fields ...string) (int, string) {
				t.Helper()
				req, err := http.NewRequest("GET", "http://proxied.example/", nil)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < len(fields); i += 2 {
					req.Header.Add(fields[i], fields[i+1])
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			code, body := get("X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "shop.example")
			if want := "192.0.2.1:0 https shop.example"; trust && (code != http.StatusOK || body != want) {
				t.Errorf("%s: trusted Unix peer: %d %q, want 200 %q", via, code, body, want)
			}
			if !trust && (code != http.StatusOK || strings.Contains(body, "192.0.2.1") || !strings.HasSuffix(body, " http proxied.example")) {
				t.Errorf("%s: Unix peer not trusted: %d %q, want 200 with the connection's address", via, code, body)
			}
			if code, body := get("X-Forwarded-For", "garbage"); trust && code != http.StatusBadRequest {
				t.Errorf("%s: trusted Unix peer's malformed field: %d %q, want 400", via, code, body)
			}
			tr.CloseIdleConnections()
			if err := stop(); err != nil {
				t.Errorf("%s: %v", via, err)
			}
		}
	}
}

// TestEndToEndUnixPeerNamedAsProxy: a process that reaches the server's
// Unix socket and binds its own end to a relative path shaped as a
// trusted proxy's address ("10.0.0.1:5000", a file in its working
// directory) is that path to the server, not that proxy: its forwarding
// fields are not believed, whether or not TrustUnixPeers is set (a peer
// bound to a relative path is not believed as a Unix peer either), through
// the container's connector and through net/http's server.
func TestEndToEndUnixPeerNamedAsProxy(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	t.Chdir(t.TempDir()) // where the client's socket file is made
	for _, via := range []string{"connector", "net/http"} {
		for _, trust := range []bool{false, true} {
			f, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"10.0.0.0/8"}, TrustUnixPeers: trust})
			if err != nil {
				t.Fatal(err)
			}
			c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
			c.Filter("/*", f)
			c.HandleFunc("/", func(w api.Response, r *api.Request) error {
				_, err := w.WriteString(r.RemoteAddr() + " " + r.Scheme())
				return err
			})
			l, err := net.Listen("unix", sock)
			if err != nil {
				t.Skipf("no Unix socket: %v", err)
			}
			served := make(chan error, 1)
			var hs *http.Server
			if via == "connector" {
				go func() { served <- c.Serve(l) }()
			} else {
				hs = &http.Server{Handler: c}
				go func() { served <- hs.Serve(l) }()
			}
			tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				d := net.Dialer{LocalAddr: &net.UnixAddr{Name: "10.0.0.1:5000", Net: "unix"}}
				return d.DialContext(ctx, "unix", sock)
			}}
			req, err := http.NewRequest("GET", "http://proxied.example/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Forwarded-For", "192.0.2.1")
			req.Header.Set("X-Forwarded-Proto", "https")
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want := "10.0.0.1:5000 http"; resp.StatusCode != http.StatusOK || string(b) != want {
				t.Errorf("%s, TrustUnixPeers %v: %d %q, want 200 %q", via, trust, resp.StatusCode, b, want)
			}
			tr.CloseIdleConnections()
			if hs != nil {
				hs.Close()
				<-served
				c.Close()
			} else {
				if err := c.Shutdown(t.Context()); err != nil {
					t.Error(err)
				}
				<-served
			}
			os.Remove("10.0.0.1:5000") // the client's socket file, for the next client
		}
	}
}
