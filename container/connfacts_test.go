package container_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

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
