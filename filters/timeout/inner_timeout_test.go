package timeout_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The chain runs on the filter's goroutine while the request waits in the
// filter's async mode: a continuation SetTimeout it makes (a long poll's,
// or a QoS filter's before the Suspend that fails below this filter) is
// for later suspensions and leaves the filter's wait as it is, so that the
// chain is answered at Timeout, neither later nor sooner. Taken as a
// restart of the running wait, a minute or 0 (never) let the chain run
// past Timeout, and a millisecond answered it early.
func TestChainSetTimeoutLeavesTimeout(t *testing.T) {
	for _, tt := range []struct {
		name string
		d    time.Duration
	}{
		{"longer", time.Minute},
		{"never", 0},
		{"negative", -1},
		{"shorter", time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					continuation.Of(r).SetTimeout(tt.d)
					select {
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
					_, err := w.WriteString("late")
					return err
				}), timeout.New(timeout.Config{Timeout: time.Second}))
				start := time.Now()
				x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/"), nil).Begin()
				<-x.Done()
				if d := time.Since(start); d != time.Second {
					t.Errorf("answered after %v, want the filter's 1s", d)
				}
				synctest.Wait()
				if _, _, err := x.Chan.Result(); x.Out.Status() != 503 || !errors.Is(err, timeout.ErrTimeout) {
					t.Errorf("got %d %q, err %v; want the timeout's 503", x.Out.Status(), x.Out.Body(), err)
				}
			})
		})
	}
}
