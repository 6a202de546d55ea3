package requestlog_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/requestlog"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request that completed before the filter's first pass (below the
// timeout filter, behind a filter slower than the timeout) is still logged:
// the listener it would register is refused, so it logs at once.
func TestCompletedBeforeFirstPass(t *testing.T) {
	for name, format := range map[string]requestlog.Format{"slog": requestlog.FormatSlog, "combined": requestlog.FormatCombined} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				logs, logger := wharftest.NewLogRecorder()
				lines := &lines{t: t}
				// slow stands for an authentication lookup that outlasts the
				// timeout: it lets the chain go on once the timeout answered
				// and the request completed.
				completed := make(chan struct{})
				slow := api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
					<-completed
					return next.Next(w, r)
				})
				passed := make(chan struct{})
				h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					close(passed)
					return context.Cause(r.Context())
				}), timeout.New(timeout.Config{Timeout: time.Second}), slow,
					requestlog.New(requestlog.Config{Logger: logger, Format: format, Writer: lines}))
				x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/slow"), nil).Begin()
				<-x.Done()
				close(completed)
				<-passed
				synctest.Wait()
				if x.Out.Status() != 503 {
					t.Fatalf("status %d", x.Out.Status())
				}
				switch format {
				case requestlog.FormatSlog:
					recs := logs.Records()
					if len(recs) != 1 {
						t.Fatalf("%d records, want 1", len(recs))
					}
					// The timeout fails the request for the error pages: its
					// error is the record's.
					checkAttrs(t, recs[0], map[string]any{"status": int64(503), "end": "expired",
						"error": "503 Service Unavailable: timeout: request timed out"})
				case requestlog.FormatCombined:
					got := lines.snapshot()
					if len(got) != 1 {
						t.Fatalf("%d lines, want 1: %q", len(got), got)
					}
					if want := `"GET /slow HTTP/1.1" 503 `; !strings.Contains(got[0], want) {
						t.Errorf("line %q lacks %q", got[0], want)
					}
				}
			})
		})
	}
}
