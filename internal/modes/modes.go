// Package modes runs one semantics test on every way Wharf can be served,
// like net/http's h1/h2 test modes: run(t, testX) becomes one subtest per
// mode, each with a live server on 127.0.0.1 and a client for it.
package modes

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wharf-go/wharf/container"
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
)

// All lists the modes every semantics test runs in.
var All = []Mode{H1, H1Portable, NetHTTP}

// Options returns the container options mode m needs.
func Options(m Mode) []container.Option {
	if m == H1Portable {
		return []container.Option{container.WithPortableConnector()}
	}
	return nil
}

// Server is a running container and a client for it.
type Server struct {
	Mode      Mode
	Container *container.Container
	URL       string // "http://127.0.0.1:port"
	Client    *http.Client
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
	s.Client = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	switch m {
	case H1, H1Portable:
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Serve(l)
		}()
		s.URL = "http://" + l.Addr().String()
		t.Cleanup(func() {
			tr.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := c.Shutdown(ctx); err != nil {
				t.Errorf("shutdown: %v", err)
			}
			<-done
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
