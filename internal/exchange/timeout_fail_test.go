package exchange_test

import (
	"errors"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A timeout listener that fails the request answers the timeout as one
// that completes or resumes it does: the request ends with the
// listener's error, not with api.ErrAsyncTimeout, which replaced it.
func TestTimeoutListenerFails(t *testing.T) {
	busy := errors.New("busy")
	for _, tc := range []struct {
		name string
		mode exchange.Mode
	}{{"async", exchange.ModeAsync}, {"continuation", exchange.ModeContinuation}} {
		mode := tc.mode
		t.Run(tc.name, func(t *testing.T) {
			pending := make(chan func(), 4)
			redispatched := false
			x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				ex := exchange.From(r)
				if exchange.KindOf(r) != exchange.DispatchInitial {
					redispatched = true
					return nil
				}
				ex.AddListener(exchange.Listener{OnTimeout: func(api.Response, *api.Request) { ex.Fail(busy) }})
				return ex.Suspend(mode)
			}), &exchange.Config{Execute: func(f func()) { pending <- f }, Logger: wharftest.DiscardLogger()})
			x.Begin()
			if err := x.Expire(); err != nil {
				t.Fatal(err)
			}
			wharftest.RunQueued(pending, x.Done())
			if _, _, ended := x.Chan.Result(); ended != busy || redispatched {
				t.Errorf("ended with %v, re-dispatched %v; want the listener's error and no re-dispatch", ended, redispatched)
			}
		})
	}
}
