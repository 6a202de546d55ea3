package continuation_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// An Await ended by Complete or by a client failure returns Completed with
// api.ErrCompleted, which the handler may return as it is: that is no
// failure of its own. Complete finishes the response as it stands; a
// failure ends the request with the failure's error, not ErrCompleted.
// The same holds when the Complete or the failure came first, while the
// handler ran (an HTTP/2 stream reset fails a running request): Await
// returns Completed at once, rather than wait out its timeout or refuse
// with api.ErrWrongState.
func TestAwaitCompletedReturnedAsIs(t *testing.T) {
	gone := errors.New("client gone")
	for _, tc := range []struct {
		name       string
		end        func(*wharftest.Exchange, continuation.Continuation)
		before     bool  // end the request before the handler calls Await
		wantErr    error // the error the request ends with; nil: none
		wantStatus int   // checked when wantErr is nil
		wantBody   string
	}{
		{"Complete", complete, false, nil, http.StatusAccepted, "as it stands"},
		{"Fail", fail(gone), false, gone, 0, ""},
		{"Complete before Await", complete, true, nil, http.StatusAccepted, "as it stands"},
		{"Fail before Await", fail(gone), true, gone, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var c continuation.Continuation
				var ev continuation.Event
				var x *wharftest.Exchange
				h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
					c = continuation.Of(r)
					c.SetTimeout(time.Hour)
					w.SetStatus(http.StatusAccepted)
					w.WriteString("as it stands")
					if tc.before {
						tc.end(x, c)
					}
					var err error
					ev, _, err = c.Await(context.Background())
					return err // Completed comes with api.ErrCompleted: returned as it is
				})
				x = wharftest.NewExchange(h, nil)
				var heard error
				async.OnComplete(x.Req, func(err error) { heard = err })
				start := time.Now()
				go x.Begin()
				synctest.Wait() // the handler is parked in Await, or done
				if !tc.before {
					tc.end(x, c)
				}
				<-x.Done()
				if d := time.Since(start); d != 0 {
					t.Fatalf("Await waited %v", d)
				}
				if ev != continuation.Completed {
					t.Fatalf("Await returned %v, want completed", ev)
				}
				_, _, err := x.Chan.Result()
				if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("request ended with %v, want %v", err, tc.wantErr)
				}
				if heard != err {
					t.Fatalf("OnComplete heard %v, the request ended with %v", heard, err)
				}
				if tc.wantErr == nil && (x.Out.Status() != tc.wantStatus || x.Out.Body() != tc.wantBody) {
					t.Fatalf("response %d %q, want %d %q as it stood", x.Out.Status(), x.Out.Body(), tc.wantStatus, tc.wantBody)
				}
			})
		})
	}
}

func complete(_ *wharftest.Exchange, c continuation.Continuation) { c.Complete() }

func fail(err error) func(*wharftest.Exchange, continuation.Continuation) {
	return func(x *wharftest.Exchange, _ continuation.Continuation) { x.Fail(err) }
}
