package connector_test

import (
	"fmt"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The Host field a handler reads names the authority the request is
// served for, r.Host(), as over HTTP/2, where a host field that differs
// from :authority is refused: an absolute-form target's authority wins
// over the Host field (RFC 9112 §3.2.2 has a server ignore the field), so
// a filter that checks r.Header().Get("Host") against the hosts it serves
// (a virtual-host check) must not see the field's other host while
// everything else (r.Host(), redirects, CSRF's origin check) uses the
// target's.
func TestHostFieldIsTheAuthority(t *testing.T) {
	tests := []struct {
		name, raw string
		want      string // r.Host() and the Host fields, as the handler reports them
	}{
		{"origin-form", "GET /h HTTP/1.1\r\nHost: a.example\r\n\r\n", `"a.example" ["a.example"]`},
		{"absolute-form, Host agrees", "GET http://a.example/h HTTP/1.1\r\nHost: a.example\r\n\r\n", `"a.example" ["a.example"]`},
		{"absolute-form, Host differs", "GET http://a.example/h HTTP/1.1\r\nHost: b.example\r\n\r\n", `"a.example" ["a.example"]`},
		{"absolute-form with a port, Host without", "GET http://a.example:8080/h?q HTTP/1.1\r\nHost: a.example\r\n\r\n", `"a.example:8080" ["a.example:8080"]`},
		{"absolute-form, empty Host", "GET https://a.example/h HTTP/1.1\r\nHost:\r\n\r\n", `"a.example" ["a.example"]`},
		{"absolute-form, Host in another case", "GET http://a.example/h HTTP/1.1\r\nhOST: b.example\r\n\r\n", `"a.example" ["a.example"]`},
		{"absolute-form, HTTP/1.0 with a Host", "GET http://a.example/h HTTP/1.0\r\nHost: b.example\r\n\r\n", `"a.example" ["a.example"]`},
		{"HTTP/1.0 without a Host", "GET /h HTTP/1.0\r\n\r\n", `"" []`},
	}
	eachConnector(t, connector.Config{}, func(t *testing.T, cfg connector.Config) {
		c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
		c.HandleFunc("/h", func(w api.Response, r *api.Request) error {
			_, err := fmt.Fprintf(w, "%q %q", r.Host(), r.Header().Values("Host"))
			return err
		})
		addr := listen(t, c)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resps, bodies, _ := roundTrip(t, addr, tt.raw, 1)
				if resps[0].StatusCode != 200 || bodies[0] != tt.want {
					t.Errorf("%d %s, want 200 %s", resps[0].StatusCode, bodies[0], tt.want)
				}
			})
		}
	})
}
