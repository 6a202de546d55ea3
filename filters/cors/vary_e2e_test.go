package cors_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/cors"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestVaryOriginKept checks, on every protocol, that a response whose
// handler replaced the Vary field (Header().Set, as many handlers write it
// for their own negotiation), reset the response, or failed after doing
// so still says "Vary: Origin": its Access-Control-Allow-Origin depends on
// the request's Origin, and without it a shared cache hands the answer
// made for one origin (or for none) to the requests of another, whose
// scripts then cannot read it.
func TestVaryOriginKept(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", cors.New(cors.Config{AllowedOrigins: []string{"https://app.example"}}))
		c.HandleFunc("/set", func(w api.Response, r *api.Request) error {
			w.Header().Set("Vary", "Accept-Language")
			_, err := w.WriteString("hello")
			return err
		})
		c.HandleFunc("/reset", func(w api.Response, r *api.Request) error {
			w.Header().Set("Vary", "Accept-Language")
			if err := w.Reset(); err != nil {
				return err
			}
			_, err := w.WriteString("hello")
			return err
		})
		c.HandleFunc("/fail", func(w api.Response, r *api.Request) error {
			w.Header().Set("Vary", "Accept-Language")
			return &api.StatusError{Code: http.StatusConflict, Err: errors.New("conflict")}
		})
	}
	tests := []struct {
		path, origin string
		wantVary     []string // tokens that must be listed
	}{
		{"/set", "https://app.example", []string{"Accept-Language", "Origin"}},
		{"/set", "https://evil.example", []string{"Accept-Language", "Origin"}},
		{"/set", "", []string{"Accept-Language", "Origin"}},
		{"/reset", "https://app.example", []string{"Origin"}},
		{"/reset", "", []string{"Origin"}},
		{"/fail", "https://app.example", []string{"Accept-Language", "Origin"}},
		{"/fail", "", []string{"Accept-Language", "Origin"}},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			var tokens []string
			for _, v := range resp.Header.Values("Vary") {
				for tok := range strings.SplitSeq(v, ",") {
					tokens = append(tokens, http.CanonicalHeaderKey(strings.TrimSpace(tok)))
				}
			}
			for _, want := range tt.wantVary {
				found := false
				for _, tok := range tokens {
					found = found || tok == want
				}
				if !found {
					t.Errorf("%s from %q: %d with Vary %q, which lacks %s", tt.path, tt.origin, resp.StatusCode, resp.Header.Values("Vary"), want)
				}
			}
		}
	})
}
