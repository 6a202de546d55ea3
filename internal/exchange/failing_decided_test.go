package exchange_test

import (
	"errors"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A queued IO failure decides how the request ends, as a Resume does: the
// request is no longer reported suspended, and an expiry (Expire, a
// Shutdown's) is refused with api.ErrNotSuspended. Both said otherwise,
// and the expiry accepted was then dropped behind the failure: no
// OnTimeout ran, and a Shutdown waited for an answer that its expiry
// would not give.
func TestFailureQueuedNotSuspended(t *testing.T) {
	gone := errors.New("client gone")
	for _, tc := range []struct {
		name string
		// inDispatch: the failure comes while the suspending dispatch
		// runs, else once it returned.
		inDispatch bool
	}{
		{"failure queued while waiting", false},
		{"failure queued while the suspending dispatch runs", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pending := make(chan func(), 4)
			timeouts := 0
			var checks []string
			check := func(ex *exchange.Exchange) {
				if ex.Suspended() {
					checks = append(checks, "Suspended() = true")
				}
				if ex.ExpiresOnShutdown() {
					checks = append(checks, "ExpiresOnShutdown() = true")
				}
				if err := ex.Expire(); !errors.Is(err, api.ErrNotSuspended) {
					checks = append(checks, "Expire() = "+errString(err))
				}
				if err := ex.ExpireForShutdown(true); !errors.Is(err, api.ErrNotSuspended) {
					checks = append(checks, "ExpireForShutdown(true) = "+errString(err))
				}
				if err := ex.FailSuspended(errors.New("another")); !errors.Is(err, api.ErrNotSuspended) {
					checks = append(checks, "FailSuspended() = "+errString(err))
				}
			}
			x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				ex := exchange.From(r)
				if exchange.KindOf(r) != exchange.DispatchInitial {
					t.Error("re-dispatched after the failure")
					return nil
				}
				ex.AddListener(exchange.Listener{OnTimeout: func(api.Response, *api.Request) { timeouts++ }})
				if err := ex.Suspend(exchange.ModeContinuation); err != nil {
					return err
				}
				if tc.inDispatch {
					ex.Fail(gone)
					check(ex)
				}
				return nil
			}), &exchange.Config{Execute: func(f func()) { pending <- f }, Logger: wharftest.DiscardLogger()})
			x.Begin()
			if !tc.inDispatch {
				x.Fail(gone)
				check(x.Exchange)
			}
			wharftest.RunQueued(pending, x.Done())
			for _, c := range checks {
				t.Errorf("with the failure queued: %s", c)
			}
			if _, _, ended := x.Chan.Result(); ended != gone || timeouts != 0 {
				t.Errorf("ended with %v after %d OnTimeout calls; want the failure, none", ended, timeouts)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}
