package async_test

import (
	"errors"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A Complete from outside a task that comes after an event woke a
// suspended request, but before the loop that event started took its
// work (the loop is on its way to the executor), finishes the response
// as it stands: the queued work is dropped, as behind a running task, and
// does not run after Complete returned.
func TestCompleteFromOutsideBeforeLoopRuns(t *testing.T) {
	tests := []struct {
		name string
		// wake queues work on the suspended request; the loop it starts
		// is held until Complete has returned.
		wake func(x *wharftest.Exchange, a *async.Context, ran chan<- string, dropped chan<- error) error
		// wantDropped: the submitter is told of the drop.
		wantDropped bool
	}{
		{
			name: "a task",
			wake: func(x *wharftest.Exchange, a *async.Context, ran chan<- string, dropped chan<- error) error {
				return a.DispatchOr(func(w api.Response) {
					ran <- "task"
					w.WriteString("late")
				}, func(err error) { dropped <- err })
			},
			wantDropped: true,
		},
		{
			name: "a timeout",
			wake: func(x *wharftest.Exchange, a *async.Context, ran chan<- string, dropped chan<- error) error {
				a.AddListener(async.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
					ran <- "OnTimeout"
					w.WriteString("late")
				}})
				return x.Expire()
			},
		},
		{
			name: "a re-dispatch",
			wake: func(x *wharftest.Exchange, a *async.Context, ran chan<- string, dropped chan<- error) error {
				return a.Redispatch()
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loops := make(chan func(), 4)
			ran := make(chan string, 4)
			dropped := make(chan error, 1)
			var a *async.Context
			x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				if async.KindOf(r) != async.DispatchInitial {
					ran <- "re-dispatch"
					_, err := w.WriteString("late")
					return err
				}
				w.WriteString("as it stands")
				var err error
				a, err = async.Start(r)
				return err
			}), &exchange.Config{Execute: func(f func()) { loops <- f }})
			if err := tt.wake(x, a, ran, dropped); err != nil {
				t.Fatal(err)
			}
			if err := a.Complete(); err != nil {
				t.Fatalf("Complete: %v", err)
			}
			wharftest.RunQueued(loops, x.Done())
			close(ran)
			for what := range ran {
				t.Errorf("%s ran after Complete returned", what)
			}
			if got := x.Out.Body(); got != "as it stands" {
				t.Errorf("body %q, want the response as it stood at Complete", got)
			}
			if tt.wantDropped {
				// Done is closed after the drops were told.
				select {
				case err := <-dropped:
					if !errors.Is(err, api.ErrCompleted) {
						t.Errorf("the task was dropped with %v, want api.ErrCompleted", err)
					}
				default:
					t.Error("the task's submitter was not told of a drop")
				}
			}
		})
	}
}
