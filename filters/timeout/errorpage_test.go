package timeout_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The timeout's answer is a failure like any other: the container's error
// page for its status answers it, once, on every protocol, and without one
// the default rendering does. It is load shedding (api.ErrShed), logged at
// Debug, never at Warn. A Config.Body is the filter's own answer still.
func TestTimeoutThroughErrorPage(t *testing.T) {
	tests := []struct {
		name      string
		cfg       timeout.Config
		page      bool
		wantCode  int
		wantType  string
		wantBody  string
		wantPages int
		wantLog   bool // a "request failed" record, at Debug
	}{
		{name: "error page", page: true, wantCode: 503, wantType: "application/json",
			wantBody: `{"error":"timeout: request timed out"}`, wantPages: 1, wantLog: true},
		{name: "default", wantCode: 503, wantType: "text/plain; charset=utf-8",
			wantBody: "503 Service Unavailable\n", wantLog: true},
		{name: "status", cfg: timeout.Config{Status: http.StatusGatewayTimeout}, wantCode: 504,
			wantType: "text/plain; charset=utf-8", wantBody: "504 Gateway Timeout\n", wantLog: true},
		{name: "body", cfg: timeout.Config{Body: "too slow"}, page: true, wantCode: 503,
			wantType: "text/plain; charset=utf-8", wantBody: "too slow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var page *wharftest.JSONErrorPage
			logs, logger := wharftest.NewLogRecorder()
			build := func(c *container.Container) {
				page = wharftest.NewJSONErrorPage(container.ErrorOf)
				cfg := tt.cfg
				cfg.Timeout = 20 * time.Millisecond
				c.Filter("/*", timeout.New(cfg))
				c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
					<-r.Context().Done() // cancelled when the filter gives up
					return r.Context().Err()
				})
				if tt.page {
					c.ErrorPage(tt.wantCode, page)
				}
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				before := len(logs.RecordsOf("wharf: request failed"))
				resp, err := s.Client.Get(s.URL + "/slow")
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tt.wantCode || resp.Header.Get("Content-Type") != tt.wantType || string(body) != tt.wantBody {
					t.Errorf("got %d %q %q, want %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.wantCode, tt.wantType, tt.wantBody)
				}
				if n := page.Runs(); n != tt.wantPages {
					t.Errorf("the error page ran %d times, want %d", n, tt.wantPages)
				}
				if err := page.Err(); tt.wantPages > 0 && (!errors.Is(err, timeout.ErrTimeout) || !errors.Is(err, api.ErrShed)) {
					t.Errorf("the page's error is %v, want timeout.ErrTimeout, which is api.ErrShed", err)
				}
				// The container logs a failure before it sends the answer.
				want := before
				if tt.wantLog {
					want++
				}
				recs := logs.RecordsOf("wharf: request failed")
				for _, rec := range recs[before:] {
					if rec.Level != slog.LevelDebug {
						t.Errorf("logged %+v, want it at Debug", rec)
					}
				}
				if len(recs) != want {
					t.Errorf("%d failures logged, want %d", len(recs)-before, want-before)
				}
			}, container.WithLogger(logger))
		})
	}
}
