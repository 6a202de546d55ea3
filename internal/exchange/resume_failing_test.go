package exchange_test

import (
	"errors"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A queued IO failure decides how the request ends (its OnError
// listeners, then the finish with its error): a Resume after it is
// refused with api.ErrCompleted, as after completion, rather than
// accepted and then dropped with the rest of the queue.
func TestResumeAfterFailureRefused(t *testing.T) {
	gone := errors.New("client gone")
	for _, tc := range []struct {
		name string
		// initial runs as the initial dispatch, after is called once it
		// returned; both get resume, which calls Resume and keeps its
		// result.
		initial func(ex *exchange.Exchange, resume func()) error
		after   func(ex *exchange.Exchange, resume func())
	}{
		{"failure queued while waiting",
			func(ex *exchange.Exchange, _ func()) error { return ex.Suspend(exchange.ModeContinuation) },
			func(ex *exchange.Exchange, resume func()) { ex.Fail(gone); resume() }},
		{"failure queued while the suspending dispatch runs",
			func(ex *exchange.Exchange, resume func()) error {
				if err := ex.Suspend(exchange.ModeContinuation); err != nil {
					return err
				}
				ex.Fail(gone)
				resume()
				return nil
			},
			nil},
		{"from an OnError listener",
			func(ex *exchange.Exchange, resume func()) error {
				ex.AddListener(exchange.Listener{OnError: func(api.Response, *api.Request, error) { resume() }})
				return ex.Suspend(exchange.ModeContinuation)
			},
			func(ex *exchange.Exchange, _ func()) { ex.Fail(gone) }},
		{"failure queued while the OnTimeout listeners run",
			func(ex *exchange.Exchange, resume func()) error {
				ex.AddListener(exchange.Listener{OnTimeout: func(api.Response, *api.Request) { ex.Fail(gone); resume() }})
				return ex.Suspend(exchange.ModeContinuation)
			},
			func(ex *exchange.Exchange, _ func()) { ex.Expire() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pending := make(chan func(), 4)
			var resumeErr error
			resumed := false
			dispatches := 0
			x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				dispatches++
				ex := exchange.From(r)
				if exchange.KindOf(r) == exchange.DispatchInitial {
					return tc.initial(ex, func() { resumeErr, resumed = ex.Resume(), true })
				}
				return nil
			}), &exchange.Config{Execute: func(f func()) { pending <- f }, Logger: wharftest.DiscardLogger()})
			x.Begin()
			if tc.after != nil {
				tc.after(x.Exchange, func() { resumeErr, resumed = x.Resume(), true })
			}
			wharftest.RunQueued(pending, x.Done())
			if !resumed {
				t.Fatal("Resume was not called")
			}
			_, _, ended := x.Chan.Result()
			if !errors.Is(resumeErr, api.ErrCompleted) || dispatches != 1 || ended != gone {
				t.Fatalf("Resume returned %v, %d dispatches, ended with %v; want api.ErrCompleted, 1, the failure", resumeErr, dispatches, ended)
			}
		})
	}
}
