package continuation_test

import (
	"errors"
	"testing"
	"testing/synctest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A second Suspend in one dispatch after a Resume (or the timeout)
// decided its cycle is refused with api.ErrWrongState, as Await is, and as
// Jetty and the Servlet API refuse it: it returned nil, and the handler,
// believing the request waited for a new event, registered it, while the
// queued re-dispatch ran at once. A second Suspend of an undecided cycle
// is still taken.
func TestSuspendAfterDecided(t *testing.T) {
	suspend := func(r *api.Request) error { return continuation.Of(r).Suspend() }
	start := func(r *api.Request) error { _, err := async.Start(r); return err }
	resume := func(r *api.Request) error { return continuation.Of(r).Resume() }
	tests := []struct {
		name   string
		first  func(r *api.Request) error
		decide func(r *api.Request) error // between the two suspensions; nil for nothing
		again  func(r *api.Request) error
		want   error
	}{
		{"suspend twice", suspend, nil, suspend, nil},
		{"suspend, resume, suspend", suspend, resume, suspend, api.ErrWrongState},
		{"suspend, resume, async.Start", suspend, resume, start, api.ErrWrongState},
		{"async.Start, resume, async.Start", start, resume, start, api.ErrWrongState},
		{"async.Start twice", start, nil, start, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var got error
				passes := 0
				h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
					passes++
					if !continuation.Of(r).IsInitial() {
						return nil
					}
					if err := tt.first(r); err != nil {
						return err
					}
					if tt.decide != nil {
						if err := tt.decide(r); err != nil {
							return err
						}
					}
					got = tt.again(r)
					if tt.decide != nil {
						return nil // the re-dispatch answers
					}
					return continuation.Of(r).Complete()
				})
				x := wharftest.Start(h, nil)
				synctest.Wait()
				<-x.Done()
				if !errors.Is(got, tt.want) || (got == nil) != (tt.want == nil) {
					t.Errorf("the second suspension = %v, want %v", got, tt.want)
				}
				if want := 1 + btoi(tt.want != nil); passes != want {
					t.Errorf("%d passes, want %d", passes, want)
				}
			})
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
