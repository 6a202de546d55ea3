package telemetry_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Below the timeout filter the chain runs on a goroutine of its own, and
// a request seen as suspended when its pass returns may be completed by
// the timeout at that very instant, which ends its span on another
// goroutine: whichever comes first, the request leaves the suspended and
// active counts once, and the two do not race (go test -race).
func TestChainReturnsAsTimeoutAnswers(t *testing.T) {
	for i := range 200 {
		synctest.Test(t, func(t *testing.T) {
			s := newSDK(t, nil)
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				time.Sleep(time.Second) // returns as the timeout expires
				_, err := w.WriteString("in time")
				return err
			}), timeout.New(timeout.Config{Timeout: time.Second}), s.f)
			x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/"), nil).Begin()
			<-x.Done()
			synctest.Wait()
			m := s.metrics(t)
			if got := sum(m["wharf.server.suspended_requests"]); got != 0 {
				t.Errorf("iteration %d: %d suspended after completion (answered %d)", i, got, x.Out.Status())
			}
			if got := sum(m["http.server.active_requests"]); got != 0 {
				t.Errorf("iteration %d: %d active after completion", i, got)
			}
			if n := len(s.spans.Ended()); n != 1 {
				t.Errorf("iteration %d: %d spans ended, want 1", i, n)
			}
		})
	}
}
