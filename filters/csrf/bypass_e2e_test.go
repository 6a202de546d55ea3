package csrf_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/csrf"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestEndToEndExemptions: bypass patterns and trusted origins over every
// protocol, against cross-site requests whose paths a client did not
// clean. A bypass pattern is matched against the path the container maps
// (decoded and cleaned), so a dot segment or a doubled slash reaches the
// bypassed handler exactly when the pattern names it, and a path that
// climbs out of the pattern's subtree, or changes its case or adds a
// trailing slash, is checked as any other. A trusted origin is an exact
// match.
func TestEndToEndExemptions(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", csrf.New(csrf.Config{
			InsecureBypassPatterns: []string{"POST /hooks/{id}", "/open/"},
			TrustedOrigins:         []string{"https://app.example"},
		}))
		c.HandleFunc("/*", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("ran " + r.Path())
			return err
		})
	}
	const evil = "https://evil.example"
	tests := []struct {
		method, path, origin string
		ran                  string // the path the handler ran for; "" for a 403
	}{
		{"POST", "/hooks/7", evil, "/hooks/7"},
		{"POST", "/hooks/7?x=1", evil, "/hooks/7"},
		{"POST", "/hooks/x/../7", evil, "/hooks/7"},
		{"POST", "/hooks//7", evil, "/hooks/7"},
		{"POST", "/hooks/7/", evil, ""},
		{"POST", "/hooks/7/more", evil, ""},
		{"POST", "/hooks/../admin", evil, ""},
		{"POST", "/HOOKS/7", evil, ""},
		{"PUT", "/hooks/7", evil, ""},
		{"PUT", "/open/x/y", evil, "/open/x/y"},
		{"POST", "/open", evil, ""},
		{"POST", "/open/../admin", evil, ""},
		{"POST", "/admin", "https://app.example", "/admin"},
		{"POST", "/admin", "https://app.example:443", ""},
		{"POST", "/admin", "http://app.example", ""},
		{"POST", "/admin", "null", ""},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			req, err := http.NewRequest(tt.method, s.URL+tt.path, strings.NewReader("x=1"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.Header.Set("Origin", tt.origin)
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", tt.method, tt.path, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case tt.ran != "" && (resp.StatusCode != 200 || string(body) != "ran "+tt.ran):
				t.Errorf("%s %s from %s: %d %q, want the handler to run for %s", tt.method, tt.path, tt.origin, resp.StatusCode, body, tt.ran)
			case tt.ran == "" && resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s %s from %s: %d %q, want 403", tt.method, tt.path, tt.origin, resp.StatusCode, body)
			}
		}
	})
}
