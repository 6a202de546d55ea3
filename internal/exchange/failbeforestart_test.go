package exchange_test

import (
	"errors"
	"testing"
	"testing/synctest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// An IO failure reported before Start (an HTTP/2 stream reset between its
// mapping and its dispatch) queues behind the initial dispatch, as the
// connectors count on: the handler runs once, and so the filters that
// record a request (a request log) see it, and the request then ends with
// the failure, once.
func TestFailBeforeStart(t *testing.T) {
	gone := errors.New("client gone")
	for _, tc := range []struct {
		name    string
		suspend bool
	}{
		{"answers", false},
		{"suspends", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dispatches, completes := 0, 0
				var ended error
				x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					dispatches++
					if tc.suspend {
						return exchange.From(r).Suspend(exchange.ModeContinuation)
					}
					return nil
				}), &exchange.Config{Logger: wharftest.DiscardLogger()})
				x.AddListener(exchange.Listener{OnComplete: func(_ *api.Request, err error) { completes++; ended = err }})
				if err := x.Fail(gone); err != nil {
					t.Fatal(err)
				}
				go x.Begin()
				synctest.Wait()
				<-x.Done()
				if dispatches != 1 || completes != 1 {
					t.Fatalf("%d dispatches, %d completions; want 1, 1", dispatches, completes)
				}
				if tc.suspend && !errors.Is(ended, gone) {
					t.Fatalf("a suspended request ended with %v, want the failure", ended)
				}
			})
		})
	}
}
