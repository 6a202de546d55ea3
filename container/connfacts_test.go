package container_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestConnectionFacts proves, on every protocol, that a request says which
// connection it came on: the client's address, the address it reached, and
// TLS exactly when the connection has it; two requests on one connection
// say the same (the connector shares one api.ConnInfo between them).
func TestConnectionFacts(t *testing.T) {
	build := func(c *container.Container) {
		c.Handle("/facts", api.HandlerFunc(func(w api.Response, r *api.Request) error {
			version := uint16(0)
			if st := r.TLS(); st != nil {
				version = st.Version
			}
			_, err := fmt.Fprintf(w, "%s %s %d", r.RemoteAddr(), r.LocalAddr(), version)
			return err
		}))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		server := strings.TrimPrefix(strings.TrimPrefix(s.URL, "http://"), "https://")
		var first string
		for i := range 2 {
			code, body, _ := get(t, s, "/facts")
			if code != 200 {
				t.Fatalf("GET /facts = %d %q", code, body)
			}
			var remote, local string
			var version uint16
			if _, err := fmt.Sscanf(body, "%s %s %d", &remote, &local, &version); err != nil {
				t.Fatalf("answer %q: %v", body, err)
			}
			host, port, err := net.SplitHostPort(remote)
			if err != nil || host != "127.0.0.1" || port == "0" {
				t.Errorf("RemoteAddr %q, want the client's 127.0.0.1:port", remote)
			}
			if local != server {
				t.Errorf("LocalAddr %q, want the server's %q", local, server)
			}
			if tlsOn := version != 0; tlsOn != s.Mode.TLS() {
				t.Errorf("TLS version %#x in mode %s", version, s.Mode)
			}
			if i == 0 {
				first = remote
			} else if remote != first {
				t.Errorf("second request on the connection from %q, the first from %q", remote, first)
			}
		}
	})
}

type detachKey struct{}

// TestDetachKeepsNoExchange proves, on every protocol, that a request
// kept past its exchange (Request.Detach, as a WebSocket keeps one) holds
// the connection's facts but nothing of the exchange: once the client has
// gone, the original request, which lives inside the exchange, is
// collected while the detached one is still held, with its attributes.
func TestDetachKeepsNoExchange(t *testing.T) {
	var (
		mu   sync.Mutex
		held *api.Request
		orig weak.Pointer[api.Request]
	)
	build := func(c *container.Container) {
		c.Handle("/detach", api.HandlerFunc(func(w api.Response, r *api.Request) error {
			mu.Lock()
			// Derived with an attribute first, as a session or login
			// filter's request is: its node lives in the derived request.
			held, orig = r.WithAttribute(detachKey{}, "kept").Detach(context.Background()), weak.Make(r)
			mu.Unlock()
			_, err := w.WriteString("ok")
			return err
		}))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		if code, body, _ := get(t, s, "/detach"); code != 200 || body != "ok" {
			t.Fatalf("GET /detach = %d %q", code, body)
		}
		s.Client.CloseIdleConnections()
		deadline := time.Now().Add(10 * time.Second)
		for {
			st := s.Container.Stats()
			runtime.GC()
			mu.Lock()
			gone := orig.Value() == nil
			mu.Unlock()
			if gone && st.Active == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the exchange's request is still reachable (active %d, connections open %d)", st.Active, st.Connections.Open)
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		if host, _, err := net.SplitHostPort(held.RemoteAddr()); err != nil || host != "127.0.0.1" {
			t.Errorf("the detached request's RemoteAddr is %q", held.RemoteAddr())
		}
		if v := held.Attribute(detachKey{}); v != "kept" {
			t.Errorf("the detached request's attribute is %v, want kept", v)
		}
	})
}
