package dos_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/internal/modes"
)

// A refusal is the error the filter returns, so the context's error pages
// answer it: an API's page for every error gives the 429 its format, with
// the error (ErrRateLimited), and Retry-After stays on it. Delayed or not,
// the answer is the same.
func TestRefusalThroughErrorPages(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration // negative: refused at once
	}{
		{"at once", -1},
		{"after the delay", 10 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			build := func(c *container.Container) {
				f, err := dos.New(dos.Config{Rate: 0.001, Burst: 1, Delay: tc.delay})
				if err != nil {
					t.Fatal(err)
				}
				c.Filter("/*", f)
				c.HandleFunc("/api", func(w api.Response, r *api.Request) error {
					_, err := w.WriteString("ok")
					return err
				})
				container.ErrorPageAs[error](c.Root(), api.HandlerFunc(func(w api.Response, r *api.Request) error {
					api.SetContentType(w, "application/json")
					return json.NewEncoder(w).Encode(map[string]any{
						"status": w.Status(), "limited": errors.Is(container.ErrorOf(r), dos.ErrRateLimited),
					})
				}))
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				for i := range 2 {
					resp, err := s.Client.Get(s.URL + "/api")
					if err != nil {
						t.Fatal(err)
					}
					var body struct {
						Status  int
						Limited bool
					}
					derr := json.NewDecoder(resp.Body).Decode(&body)
					resp.Body.Close()
					if i == 0 {
						if resp.StatusCode != 200 {
							t.Fatalf("first request: %d", resp.StatusCode)
						}
						continue
					}
					if resp.StatusCode != http.StatusTooManyRequests || derr != nil || body.Status != 429 || !body.Limited ||
						resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Retry-After") == "" {
						t.Fatalf("refused: %d %s Retry-After %q, body %+v (%v); want 429 from the JSON page with Retry-After",
							resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Retry-After"), body, derr)
					}
				}
			})
		})
	}
}
