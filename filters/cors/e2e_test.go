package cors_test

import (
	"io"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/cors"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestEndToEnd checks the policy over real sockets, on every protocol,
// where a browser meets it: origins matched exactly (a suffix, another
// scheme or port is another origin), the opaque origin "null" only when
// listed, preflights answered without the handler and echoing only what
// is allowed, "Vary: Origin" on every answer, allowed or not, CORS or not.
func TestEndToEnd(t *testing.T) {
	var runs atomic.Int32
	build := func(c *container.Container) {
		c.Filter("/*", cors.New(cors.Config{
			AllowedOrigins:   []string{"https://app.example", "http://localhost:8080"},
			AllowedMethods:   []string{"PUT"},
			AllowedHeaders:   []string{"X-Token"},
			ExposedHeaders:   []string{"X-Request-Id"},
			AllowCredentials: true,
			MaxAge:           time.Minute,
		}))
		c.Filter("/any/*", cors.New(cors.Config{AllowedOrigins: []string{"*"}, AllowCredentials: true}))
		c.HandleFunc("/*", func(w api.Response, r *api.Request) error {
			runs.Add(1)
			_, err := w.WriteString("ok")
			return err
		})
	}
	const (
		acao  = "Access-Control-Allow-Origin"
		acac  = "Access-Control-Allow-Credentials"
		acam  = "Access-Control-Allow-Methods"
		acah  = "Access-Control-Allow-Headers"
		acma  = "Access-Control-Max-Age"
		aceh  = "Access-Control-Expose-Headers"
		acrm  = "Access-Control-Request-Method"
		acrh  = "Access-Control-Request-Headers"
		app   = "https://app.example"
		local = "http://localhost:8080"
	)
	tests := []struct {
		name, method, path string
		kv                 []string
		wantStatus         int
		wantHandler        bool
		want               map[string]string // "" for a field that must be absent
	}{
		{"no origin", "GET", "/r", nil, 200, true, map[string]string{acao: "", acac: ""}},
		{"allowed", "GET", "/r", []string{"Origin", app}, 200, true, map[string]string{acao: app, acac: "true", aceh: "X-Request-Id", acma: ""}},
		{"allowed with port", "GET", "/r", []string{"Origin", local}, 200, true, map[string]string{acao: local}},
		{"suffix is another origin", "GET", "/r", []string{"Origin", "https://app.example.evil.com"}, 200, true, map[string]string{acao: "", acac: "", aceh: ""}},
		{"prefix is another origin", "GET", "/r", []string{"Origin", "https://evil-app.example"}, 200, true, map[string]string{acao: ""}},
		{"other scheme", "GET", "/r", []string{"Origin", "http://app.example"}, 200, true, map[string]string{acao: ""}},
		{"other port", "GET", "/r", []string{"Origin", "https://app.example:8443"}, 200, true, map[string]string{acao: ""}},
		{"default port written", "GET", "/r", []string{"Origin", "http://localhost"}, 200, true, map[string]string{acao: ""}},
		{"trailing slash", "GET", "/r", []string{"Origin", app + "/"}, 200, true, map[string]string{acao: ""}},
		{"null not listed", "GET", "/r", []string{"Origin", "null"}, 200, true, map[string]string{acao: ""}},
		{"preflight allowed", "OPTIONS", "/r", []string{"Origin", app, acrm, "PUT", acrh, "x-token"}, 204, false,
			map[string]string{acao: app, acac: "true", acam: "PUT", acah: "x-token", acma: "60"}},
		{"preflight method not allowed", "OPTIONS", "/r", []string{"Origin", app, acrm, "DELETE"}, 204, false,
			map[string]string{acao: "", acam: "", acah: "", acma: ""}},
		{"preflight header not allowed", "OPTIONS", "/r", []string{"Origin", app, acrm, "PUT", acrh, "x-token, x-admin"}, 204, false,
			map[string]string{acao: "", acam: "", acah: ""}},
		{"preflight origin not allowed", "OPTIONS", "/r", []string{"Origin", "https://app.example.evil.com", acrm, "PUT"}, 204, false,
			map[string]string{acao: "", acam: "", acac: ""}},
		{"any origin with credentials echoes, never *", "GET", "/any/r", []string{"Origin", "https://elsewhere.example"}, 200, true,
			map[string]string{acao: "https://elsewhere.example", acac: "true"}},
		{"any origin with credentials leaves out null", "GET", "/any/r", []string{"Origin", "null"}, 200, true, map[string]string{acao: "", acac: ""}},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req, err := http.NewRequestWithContext(t.Context(), tt.method, s.URL+tt.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i+1 < len(tt.kv); i += 2 {
					req.Header.Set(tt.kv[i], tt.kv[i+1])
				}
				before := runs.Load()
				resp, err := s.Client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantStatus {
					t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
				}
				if ran := runs.Load() != before; ran != tt.wantHandler {
					t.Errorf("handler ran %v, want %v", ran, tt.wantHandler)
				}
				if !slices.Contains(resp.Header.Values("Vary"), "Origin") {
					t.Errorf("Vary %q lacks Origin", resp.Header.Values("Vary"))
				}
				if got := resp.Header.Get(acao); got == "*" {
					t.Errorf("%s: * with credentials", acao)
				}
				for k, v := range tt.want {
					if got := resp.Header.Get(k); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
			})
		}
	})
}
