package container_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestConnectHasNoPath: a CONNECT names an authority, not a path, and is
// mapped nowhere, whichever drives the container: behind net/http
// (ServeHTTP, and HTTP/3) as on Wharf's connectors, it does not reach the
// handler or the filters of "/" as if it asked for the root.
func TestConnectHasNoPath(t *testing.T) {
	build := func(m modes.Mode, served *atomic.Bool) *container.Container {
		c := container.New(modes.Options(m)...)
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			served.Store(true)
			return nil
		})
		c.FilterFunc("/*", func(w api.Response, r *api.Request, next api.Chain) error {
			served.Store(true)
			return next.Next(w, r)
		})
		return c
	}
	for _, m := range []modes.Mode{modes.H1, modes.NetHTTP} {
		t.Run(string(m), func(t *testing.T) {
			var served atomic.Bool
			c := build(m, &served)
			var status int
			if m == modes.NetHTTP {
				// As net/http's server makes it: a URL with the authority
				// as its Host, and no path.
				rec := httptest.NewRecorder()
				c.ServeHTTP(rec, httptest.NewRequest("CONNECT", "example.com:443", nil))
				status = rec.Code
			} else {
				s := modes.Start(t, m, c)
				nc := s.DialHTTP1(t)
				defer nc.Close()
				nc.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(nc, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
				resp, err := http.ReadResponse(bufio.NewReader(nc), &http.Request{Method: "CONNECT"})
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				status = resp.StatusCode
			}
			if status != http.StatusNotFound || served.Load() {
				t.Errorf("CONNECT example.com:443 = %d, served by \"/\" %v; want 404, not served", status, served.Load())
			}
		})
	}
}
