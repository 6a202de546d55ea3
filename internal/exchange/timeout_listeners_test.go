package exchange_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The timeout takes the request's listeners as they stand when it expires
// it, and calls the OnTimeout ones alone: a request with none (a
// continuation that only waits) or with listeners of other events only
// goes on to the mode's default all the same (the expired re-dispatch, or
// api.ErrAsyncTimeout), with its OnComplete listeners told, in both
// modes; an OnTimeout is given the Request as one of DispatchExpired in
// continuation mode, the initial one in async mode.
func TestTimeoutListeners(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mode      exchange.Mode
		onTimeout bool // one listener with OnTimeout
		others    int  // listeners with OnComplete alone
		want      string
	}{
		{"continuation, no listener", exchange.ModeContinuation, false, 0, "dispatches initial,expired; ended <nil>"},
		{"continuation, OnComplete alone", exchange.ModeContinuation, false, 2, "dispatches initial,expired; completes 2; ended <nil>"},
		{"continuation, OnTimeout", exchange.ModeContinuation, true, 1, "dispatches initial,expired; timeouts expired; completes 2; ended <nil>"},
		{"async, no listener", exchange.ModeAsync, false, 0, "dispatches initial; ended async timeout"},
		{"async, OnComplete alone", exchange.ModeAsync, false, 2, "dispatches initial; completes 2; ended async timeout"},
		{"async, OnTimeout", exchange.ModeAsync, true, 1, "dispatches initial; timeouts initial; completes 2; ended async timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var dispatches, timeouts []string
				completes := 0
				x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					dispatches = append(dispatches, exchange.KindOf(r).String())
					if exchange.KindOf(r) != exchange.DispatchInitial {
						return nil
					}
					ex := exchange.From(r)
					for range tc.others {
						ex.AddListener(exchange.Listener{OnComplete: func(*api.Request, error) { completes++ }})
					}
					if tc.onTimeout {
						ex.AddListener(exchange.Listener{
							OnTimeout:  func(_ api.Response, r *api.Request) { timeouts = append(timeouts, exchange.KindOf(r).String()) },
							OnComplete: func(*api.Request, error) { completes++ },
						})
					}
					ex.SetTimeout(20 * time.Millisecond)
					return ex.Suspend(tc.mode)
				}), nil).Begin()
				<-x.Done()
				res, _ := x.Result()
				got := "dispatches " + strings.Join(dispatches, ",")
				if len(timeouts) > 0 {
					got += "; timeouts " + strings.Join(timeouts, ",")
				}
				if completes > 0 {
					got += "; completes " + strconv.Itoa(completes)
				}
				ended := "<nil>"
				if errors.Is(res.Err, api.ErrAsyncTimeout) {
					ended = "async timeout"
				} else if res.Err != nil {
					ended = res.Err.Error()
				}
				got += "; ended " + ended
				if got != tc.want {
					t.Errorf("%s, want %s", got, tc.want)
				}
			})
		})
	}
}
