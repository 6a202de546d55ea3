package cors_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/cors"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestMethodCaseNormalized checks, on every protocol, that an
// AllowedMethods entry naming one of the methods Fetch normalizes
// (DELETE, GET, HEAD, OPTIONS, POST, PUT, in any case) allows the method
// browsers send for it, which is always upper case: fetch(u, {method:
// "delete"}) sends DELETE, and asks for DELETE in its preflight. Kept as
// written, "delete" matched no browser's request, and the policy allowed
// less than it said. Other methods are not normalized by Fetch and stay
// compared as written.
func TestMethodCaseNormalized(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", cors.New(cors.Config{
			AllowedOrigins: []string{"https://app.example"},
			AllowedMethods: []string{"delete", "Put", "patch"},
		}))
		c.HandleFunc("/*", func(w api.Response, r *api.Request) error { return nil })
	}
	tests := []struct {
		method     string // Access-Control-Request-Method
		wantOrigin string
		wantList   string
	}{
		{"DELETE", "https://app.example", "DELETE, PUT, patch"},
		{"PUT", "https://app.example", "DELETE, PUT, patch"},
		{"patch", "https://app.example", "DELETE, PUT, patch"},
		{"PATCH", "", ""},
		{"delete", "", ""}, // no browser sends it: Fetch upper-cases it
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			req, err := http.NewRequestWithContext(t.Context(), "OPTIONS", s.URL+"/r", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Origin", "https://app.example")
			req.Header.Set("Access-Control-Request-Method", tt.method)
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("preflight for %s: Access-Control-Allow-Origin %q, want %q", tt.method, got, tt.wantOrigin)
			}
			if got := resp.Header.Get("Access-Control-Allow-Methods"); got != tt.wantList {
				t.Errorf("preflight for %s: Access-Control-Allow-Methods %q, want %q", tt.method, got, tt.wantList)
			}
		}
	})
}
