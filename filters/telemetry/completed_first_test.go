package telemetry_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request that completed before the filter's first pass (below the
// timeout filter, behind a filter that outlasts the timeout) still has its
// span ended and is no longer counted active.
func TestCompletedBeforeFirstPass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSDK(t, nil)
		completed := make(chan struct{})
		slow := api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			<-completed // the timeout answered, and the request completed, meanwhile
			return next.Next(w, r)
		})
		passed := make(chan struct{})
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			close(passed)
			return context.Cause(r.Context())
		}), timeout.New(timeout.Config{Timeout: time.Second}), slow, s.f)
		x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/slow"), nil).Begin()
		<-x.Done()
		close(completed)
		<-passed
		synctest.Wait()
		if x.Out.Status() != 503 {
			t.Fatalf("status %d, want the timeout's 503", x.Out.Status())
		}
		spans := s.spans.Ended()
		if len(spans) != 1 {
			t.Fatalf("%d spans ended, want 1", len(spans))
		}
		if got := attr(spans[0].Attributes(), "http.response.status_code").AsInt64(); got != 503 {
			t.Errorf("span's status %d, want 503", got)
		}
		if got := sum(s.metrics(t)["http.server.active_requests"]); got != 0 {
			t.Errorf("active requests %d after completion", got)
		}
	})
}
