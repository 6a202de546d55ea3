package exchange_test

import (
	"errors"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The OnError listeners run once per request, for its first IO failure,
// as the Servlet API's onError does: a second failure (the connector's
// ClientGone after a Fail, a Fail from an OnError listener) finds the
// request ending already and changes nothing, whether it runs as a task
// or at the finish.
func TestOnErrorOncePerRequest(t *testing.T) {
	e1, e2 := errors.New("e1"), errors.New("e2")
	for _, tc := range []struct {
		name string
		// handler runs as the request's only dispatch; fail reports the
		// failures after it returned, and onError is what the listener
		// does besides counting.
		handler func(ex *exchange.Exchange) error
		fail    func(ex *exchange.Exchange)
		onError func(ex *exchange.Exchange)
	}{
		{"two queued while suspended",
			func(ex *exchange.Exchange) error { return ex.Suspend(exchange.ModeAsync) },
			func(ex *exchange.Exchange) { ex.Fail(e1); ex.Fail(e2) },
			nil},
		{"one queued by an OnError listener",
			func(ex *exchange.Exchange) error { return ex.Suspend(exchange.ModeContinuation) },
			func(ex *exchange.Exchange) { ex.Fail(e1) },
			func(ex *exchange.Exchange) { ex.Fail(e2) }},
		{"two queued while the dispatch ran",
			func(ex *exchange.Exchange) error { ex.Fail(e1); ex.Fail(e2); return nil },
			nil,
			nil},
		{"two queued behind a suspending dispatch",
			func(ex *exchange.Exchange) error { ex.Fail(e1); ex.Fail(e2); return ex.Suspend(exchange.ModeAsync) },
			nil,
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pending := make(chan func(), 4)
			x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				return tc.handler(exchange.From(r))
			}), &exchange.Config{Execute: func(f func()) { pending <- f }, Logger: wharftest.DiscardLogger()})
			var heard, ended []error
			x.AddListener(exchange.Listener{
				OnError: func(_ api.Response, _ *api.Request, err error) {
					heard = append(heard, err)
					if tc.onError != nil {
						tc.onError(x.Exchange)
					}
				},
				OnComplete: func(_ *api.Request, err error) { ended = append(ended, err) },
			})
			x.Begin()
			if tc.fail != nil {
				tc.fail(x.Exchange) // both queued before the loop runs
			}
			wharftest.RunQueued(pending, x.Done())
			if len(heard) != 1 || heard[0] != e1 {
				t.Errorf("OnError heard %v, want [e1] only", heard)
			}
			if len(ended) != 1 || ended[0] != e1 {
				t.Errorf("OnComplete heard %v, want [e1]", ended)
			}
		})
	}
}
