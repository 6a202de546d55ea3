package qos_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/qos"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request that waited for its permit reaches the chain as the pass the
// wait interrupted: the first pass of a long poll is its initial dispatch,
// which suspends, not a resumed one that answers at once (the filter's own
// Resume is its business, not the handler's); the resumed pass of a poll
// that waited in the filter is still a resumed one, with the event its
// Resume carried.
func TestWaitedRequestKeepsItsDispatchKind(t *testing.T) {
	for _, tc := range []struct {
		name   string
		resume bool // the poll is resumed by its event, and its re-dispatch waits for a permit
		want   string
		after  time.Duration
	}{
		{"initial pass waited", false, "expired", time.Minute},
		{"resumed pass waited", true, "resumed event", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newGate()
				f := qos.New(qos.Config{MaxRequests: 1, MaxWait: time.Hour})
				h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					if r.QueryValue("id") == "holder" {
						return g.Serve(w, r)
					}
					return wharftest.LongPoll.Serve(w, r)
				}), f)
				var poll *wharftest.Exchange
				if tc.resume {
					poll = start(h, "/?id=poll")
					synctest.Wait() // the poll is suspended by its handler, its permit back
				}
				holder := start(h, "/?id=holder")
				synctest.Wait()
				if tc.resume {
					// Its re-dispatch waits for the holder's permit.
					continuation.Of(poll.Req).Resume(api.Attr{Key: wharftest.EventKey{}, Value: "event"})
					synctest.Wait()
				} else {
					poll = start(h, "/?id=poll")
					synctest.Wait()
				}
				wantStats(t, f, 1, 1)
				close(g.release)
				<-holder.Done()
				begin := time.Now()
				<-poll.Done()
				if got := poll.Out.Body(); got != tc.want || time.Since(begin) != tc.after {
					t.Errorf("the poll answered %q after %v, want %q after %v", got, time.Since(begin), tc.want, tc.after)
				}
			})
		})
	}
}
