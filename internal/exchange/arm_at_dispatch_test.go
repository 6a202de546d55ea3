package exchange_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/timerwheel"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The suspend timeout counts from the return of the dispatch that
// suspended, as Jetty schedules it when that dispatch returns: a task the
// dispatch queued, running on after it, does not hold the clock back. The
// deadline passing while the task runs expires the request once the task
// returns.
func TestTimeoutArmedWhenDispatchReturns(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode exchange.Mode
		want error // what the request ends with
	}{
		{"async", exchange.ModeAsync, api.ErrAsyncTimeout},
		{"continuation", exchange.ModeContinuation, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wheel := timerwheel.New(func(time.Duration) {})
			running, release := make(chan struct{}), make(chan struct{})
			defer func() {
				select {
				case <-release:
				default:
					close(release)
				}
			}()
			var kinds []exchange.DispatchKind
			x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				kinds = append(kinds, exchange.KindOf(r))
				if exchange.KindOf(r) != exchange.DispatchInitial {
					return nil // the expired re-dispatch answers
				}
				ex := exchange.From(r)
				ex.SetTimeout(20 * time.Millisecond)
				if err := ex.Suspend(tc.mode); err != nil {
					return err
				}
				return ex.Submit(func(api.Response) { close(running); <-release }, nil)
			}), &exchange.Config{Wheel: wheel, Logger: wharftest.DiscardLogger()})
			go x.Begin()
			<-running
			if n := wheel.Len(); n != 1 {
				t.Fatalf("%d timers filed while the dispatch's task runs, want 1: the timeout waits for the task", n)
			}
			wheel.AdvanceTo(time.Now().Add(time.Second))
			close(release)
			<-x.Done()
			res, _ := x.Result()
			if res.End != exchange.EndExpired || !errors.Is(res.Err, tc.want) || res.Err != nil && tc.want == nil {
				t.Fatalf("ended %v with %v, want expired with %v", res.End, res.Err, tc.want)
			}
			if tc.mode == exchange.ModeContinuation && (len(kinds) != 2 || kinds[1] != exchange.DispatchExpired) {
				t.Fatalf("dispatches %v, want initial then expired", kinds)
			}
		})
	}
}
