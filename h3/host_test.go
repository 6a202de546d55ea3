package h3_test

import (
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// The Host is among a request's header fields on every protocol Wharf
// serves itself, as HTTP/1.1 sends it and Wharf's HTTP/2 adds it from
// :authority: over HTTP/3 a filter that read r.Header().Get("Host") (a
// virtual-host check, a log line) found it empty, quic-go leaving the
// :authority out of the fields. (The container behind net/http's own
// server has the fields net/http gives, which hold no Host.)
func TestHostAmongFields(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/host", func(w api.Response, r *api.Request) error {
			w.Header().Set("X-Host-Field", r.Header().Get("Host"))
			w.Header().Set("X-Host-Fields", string(rune('0'+len(r.Header().Values("Host")))))
			w.Header().Set("X-Host", r.Host())
			return nil
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		if s.Mode == modes.NetHTTP {
			t.Skip("net/http's server moves Host out of the fields")
		}
		for _, method := range []string{"GET", "HEAD", "POST", "OPTIONS", "DELETE"} {
			req, err := http.NewRequest(method, s.URL+"/host", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			host := resp.Header.Get("X-Host")
			if resp.StatusCode != http.StatusOK || host == "" || resp.Header.Get("X-Host-Field") != host || resp.Header.Get("X-Host-Fields") != "1" {
				t.Errorf("%s: status %d, Host field %q (%s of them), Host() %q; want 200 and one field of Host()'s value",
					method, resp.StatusCode, resp.Header.Get("X-Host-Field"), resp.Header.Get("X-Host-Fields"), host)
			}
		}
	})
}
