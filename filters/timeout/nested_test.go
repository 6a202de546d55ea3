package timeout_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request already in a timeout filter's chain, on its goroutine, passes
// another one (two stacked: one for every path, a shorter one for some) or
// the same one again (a forward or include with filters): the inner one
// bounds the rest of the chain there, and whichever timeout comes first
// answers, on every protocol, where the inner one's async.Start, made
// outside the request's serialized task, failed every such request 500.
func TestNestedTimeouts(t *testing.T) {
	const short, long = 50 * time.Millisecond, time.Minute
	tests := []struct {
		name         string
		outer, inner time.Duration // the inner filter is on /slow and /fast
		path         string
		wantCode     int
		wantBody     string
	}{
		{"stacked, in time", long, long, "/fast", 200, "fast"},
		{"stacked, inner first", long, short, "/slow", 504, "504 Gateway Timeout\n"},
		{"stacked, outer first", short, long, "/slow", 503, "503 Service Unavailable\n"},
		{"forward with filters", long, 0, "/forward", 200, "fast"},
		{"include with filters", long, 0, "/include", 200, "fast"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build := func(c *container.Container) {
				c.Filter("/*", timeout.New(timeout.Config{Timeout: tt.outer}))
				if tt.inner != 0 {
					inner := timeout.New(timeout.Config{Timeout: tt.inner, Status: http.StatusGatewayTimeout})
					c.Filter("/slow", inner)
					c.Filter("/fast", inner)
				}
				c.HandleFunc("/fast", func(w api.Response, r *api.Request) error {
					_, err := w.WriteString("fast")
					return err
				})
				c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
					<-r.Context().Done()
					return r.Context().Err()
				})
				c.HandleFunc("/forward", func(w api.Response, r *api.Request) error {
					return dispatcher.Forward(w, r, "/fast", dispatcher.WithFilters())
				})
				c.HandleFunc("/include", func(w api.Response, r *api.Request) error {
					return dispatcher.Include(w, r, "/fast", dispatcher.WithFilters())
				})
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				resp, err := s.Client.Get(s.URL + tt.path)
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != tt.wantCode || string(body) != tt.wantBody {
					t.Errorf("got %d %q %v, want %d %q", resp.StatusCode, body, err, tt.wantCode, tt.wantBody)
				}
			}, container.WithLogger(wharftest.DiscardLogger()))
		})
	}
}
