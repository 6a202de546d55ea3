package exchange_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/timerwheel"
	"github.com/wharf-go/wharf/internal/wharftest"
)

var errGone = errors.New("client gone")

// selectorChannel is a Channel whose timeout fires in a wheel of its own
// and whose timeout work runs where it fired, as the epoll connector's
// selector runs a NonBlocking request's: inline says that work is running.
type selectorChannel struct {
	wheelChannel
	inline atomic.Bool
}

func (c *selectorChannel) RunInline(w interface{ Run() }) bool {
	c.inline.Store(true)
	defer c.inline.Store(false)
	w.Run()
	return true
}

// The timeout's work runs where the timeout fired (a selector, under its
// rule that nothing parks) only as far as the request's chain, which
// declared that it never blocks, goes: its listeners and its expired or
// resumed dispatches. An async task or an IO failure's listeners queued
// meanwhile by another goroutine may block: they go to the executor, as
// what follows a dispatch that suspended on such a goroutine does
// (async.Context.Dispatch: "never on an event loop").
func TestInlineTimeoutLeavesTasksToExecutor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mode  exchange.Mode
		queue func(ex *exchange.Exchange, ran func())
	}{
		{"task", exchange.ModeContinuation, func(ex *exchange.Exchange, ran func()) {
			ex.Submit(func(api.Response) { ran() }, nil)
		}},
		{"failure", exchange.ModeContinuation, func(ex *exchange.Exchange, ran func()) {
			ex.AddListener(exchange.Listener{OnError: func(api.Response, *api.Request, error) { ran() }})
			ex.Fail(errGone)
		}},
		// The timeout completes the request: the failure's listeners run
		// at the finish, which goes to the executor with them.
		{"failure, async timeout", exchange.ModeAsync, func(ex *exchange.Exchange, ran func()) {
			ex.AddListener(exchange.Listener{OnError: func(api.Response, *api.Request, error) { ran() }})
			ex.Fail(errGone)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wheel := timerwheel.New(func(time.Duration) {})
			var ch *selectorChannel
			var ranInline, ran atomic.Int32
			mark := func() {
				ran.Add(1)
				if ch.inline.Load() {
					ranInline.Add(1)
				}
			}
			queued := make(chan struct{})
			h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
				ex := exchange.From(r)
				if exchange.KindOf(r) != exchange.DispatchInitial {
					_, err := w.WriteString("expired")
					return err
				}
				ex.SetTimeout(20 * time.Millisecond)
				ex.AddListener(exchange.Listener{OnTimeout: func(api.Response, *api.Request) {
					// Another goroutine (an event source) queues work for
					// the request while its timeout runs.
					go func() { tc.queue(ex, mark); close(queued) }()
					<-queued
				}})
				return ex.Suspend(tc.mode)
			})
			ch = &selectorChannel{wheelChannel: wheelChannel{Channel: &wharftest.Channel{Handler: h}, w: wheel}}
			executed := make(chan func(), 8)
			cfg := &exchange.Config{Execute: func(f func()) { executed <- f }}
			ex := exchange.NewExchange(ch, wharftest.NewRecorder(), cfg)
			ex.Start(api.NewRequest(context.Background(), wharftest.Head("GET", "/"), ex))

			wheel.AdvanceTo(time.Now().Add(time.Second)) // fires, and runs inline
			wharftest.RunQueued(executed, ex.Done())
			if ran.Load() != 1 || ranInline.Load() != 0 {
				t.Fatalf("queued work ran %d times, %d of them where the timeout fired; want once, on the executor", ran.Load(), ranInline.Load())
			}
		})
	}
}
