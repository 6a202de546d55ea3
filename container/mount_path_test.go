package container_test

import (
	"bufio"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// A router mounted with Mount routes on the path the container mapped,
// so a request the container cleaned out of a filter's pattern
// ("/admin/../public/x" is "/public/x") does not reach the router's
// "/admin/*" past that filter.
func TestMountSeesCleanedPath(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.NetHTTP} {
		t.Run(string(m), func(t *testing.T) {
			c := container.New(modes.Options(m)...)
			r := chi.NewRouter()
			r.Get("/admin/*", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "admin") })
			r.Get("/public/*", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "public "+r.URL.Path) })
			c.Mount("/*", r)
			c.FilterFunc("/admin/*", func(w api.Response, r *api.Request, next api.Chain) error {
				return api.Error(http.StatusForbidden, "")
			})
			s := modes.Start(t, m, c)
			nc := s.DialHTTP1(t)
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(nc, "GET /admin/../public/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != "public /public/x" {
				t.Errorf("GET /admin/../public/x: %d %q, want 200 \"public /public/x\"", resp.StatusCode, b)
			}
		})
	}
}
