package exchange_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/timerwheel"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// rulingChannel models the epoll connector's stream under RunInline: the
// no-park rule is the connection's (not a goroutine's), set around the
// inline work and lifted by Yield. After the work returns, the goroutine
// that ran it may be slow to lift the rule itself (a loaded selector):
// the channel waits for released before it does.
type rulingChannel struct {
	wheelChannel
	rule     atomic.Bool
	released chan struct{} // closed by the test once the handed-off work ran
}

func (c *rulingChannel) RunInline(w interface{ Run() }) bool {
	c.rule.Store(true)
	w.Run()
	<-c.released
	c.rule.Store(false)
	return true
}

func (c *rulingChannel) Yield() bool { return c.rule.Swap(false) }

// Work the inline timeout leaves to the executor (an async task, an IO
// failure's listeners) runs without the no-park rule of the goroutine the
// timeout fired on: that goroutine lifts it (dispatcher.Yielder) before
// the work leaves it, as a dispatch that suspends does, for the executor
// may run the work before RunInline returns and lifts it itself. Under
// the rule a write that must wait for a slow client fails instead.
func TestInlineTimeoutHandOffLiftsRule(t *testing.T) {
	for _, tc := range []struct {
		name  string
		queue func(ex *exchange.Exchange, ran func())
	}{
		{"task", func(ex *exchange.Exchange, ran func()) {
			ex.Submit(func(api.Response) { ran() }, nil)
		}},
		{"failure", func(ex *exchange.Exchange, ran func()) {
			ex.AddListener(exchange.Listener{OnError: func(api.Response, *api.Request, error) { ran() }})
			ex.Fail(errGone)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wheel := timerwheel.New(func(time.Duration) {})
			ch := &rulingChannel{released: make(chan struct{})}
			var underRule, ran atomic.Int32
			mark := func() {
				if ran.Add(1) == 1 {
					if ch.rule.Load() {
						underRule.Add(1)
					}
					close(ch.released)
				}
			}
			h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
				ex := exchange.From(r)
				if exchange.KindOf(r) != exchange.DispatchInitial {
					_, err := w.WriteString("expired")
					return err
				}
				ex.SetTimeout(time.Minute)
				ex.AddListener(exchange.Listener{OnTimeout: func(api.Response, *api.Request) {
					queued := make(chan struct{})
					go func() { tc.queue(ex, mark); close(queued) }()
					<-queued
				}})
				return ex.Suspend(exchange.ModeContinuation)
			})
			ch.wheelChannel = wheelChannel{Channel: &wharftest.Channel{Handler: h}, w: wheel}
			ex := exchange.NewExchange(ch, wharftest.NewRecorder(), &exchange.Config{})
			ex.Start(api.NewRequest(context.Background(), wharftest.Head("GET", "/"), ex))
			ch.rule.Store(false) // the initial dispatch ran on no selector here

			wheel.AdvanceTo(time.Now().Add(time.Hour)) // fires; RunInline returns once the work ran
			<-ex.Done()
			if ran.Load() != 1 || underRule.Load() != 0 {
				t.Fatalf("queued work ran %d times, %d of them under the no-park rule of the goroutine the timeout fired on; want once, with the rule lifted", ran.Load(), underRule.Load())
			}
		})
	}
}
