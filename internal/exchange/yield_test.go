package exchange_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// yieldChannel is a Channel whose Yield works as the epoll connector's
// stream does: the first dispatch runs under a no-park rule (rules), which
// Yield lifts, reporting whether it was in force. It counts the calls.
type yieldChannel struct {
	*wharftest.Channel
	rules  atomic.Bool
	yields atomic.Int32
}

func (c *yieldChannel) Yield() bool {
	c.yields.Add(1)
	return c.rules.Swap(false)
}

// newYieldExchange builds an exchange for "GET /" on a yieldChannel that
// dispatches through h. It is not started.
func newYieldExchange(h api.HandlerFunc, rules bool, cfg *exchange.Config) (*exchange.Exchange, *yieldChannel, *api.Request) {
	ch := &yieldChannel{Channel: &wharftest.Channel{Handler: h}}
	ch.rules.Store(rules)
	ex := exchange.NewExchange(ch, wharftest.NewRecorder(), cfg)
	return ex, ch, api.NewRequest(context.Background(), wharftest.Head("GET", "/"), ex)
}

// TestYieldOncePerSuspend counts the Yield calls over whole lifecycles:
// one for each suspend, none for anything else (a dispatch that does not
// suspend, a task that runs while the request is suspended, a resumed or
// expired re-dispatch that answers).
func TestYieldOncePerSuspend(t *testing.T) {
	suspend := func(r *api.Request) error { return exchange.From(r).Suspend(exchange.ModeContinuation) }
	tests := []struct {
		name  string
		h     func(r *api.Request) error // the dispatch's handler
		drive func(ex *exchange.Exchange)
		want  int32
	}{
		{"no suspend", func(*api.Request) error { return nil }, func(*exchange.Exchange) {}, 0},
		{"suspend, resume, answer", func(r *api.Request) error {
			if exchange.KindOf(r) == exchange.DispatchInitial {
				return suspend(r)
			}
			return nil
		}, func(ex *exchange.Exchange) { ex.Resume() }, 1},
		{"suspend, complete", suspend, func(ex *exchange.Exchange) { ex.Complete() }, 1},
		{"suspend called twice in one dispatch", func(r *api.Request) error {
			if err := suspend(r); err != nil {
				return err
			}
			return suspend(r)
		}, func(ex *exchange.Exchange) { ex.Complete() }, 1},
		{"suspend twice", func(r *api.Request) error {
			if exchange.KindOf(r) != exchange.DispatchExpired {
				return suspend(r)
			}
			return nil
		}, func(ex *exchange.Exchange) {
			ex.Resume()
			waitSuspended(t, ex)
			ex.Expire()
		}, 2},
		{"tasks while suspended", suspend, func(ex *exchange.Exchange) {
			for range 3 {
				done := make(chan struct{})
				ex.Submit(func(api.Response) { close(done) }, nil)
				<-done
				waitSuspended(t, ex)
			}
			ex.Submit(func(api.Response) { ex.Complete() }, nil)
		}, 1},
	}
	for _, tt := range tests {
		for _, rules := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/rules=%v", tt.name, rules), func(t *testing.T) {
				ex, ch, r := newYieldExchange(func(w api.Response, r *api.Request) error { return tt.h(r) }, rules, nil)
				ex.Start(r)
				waitSuspendedOrDone(t, ex)
				tt.drive(ex)
				<-ex.Done()
				if got := ch.yields.Load(); got != tt.want {
					t.Fatalf("Yield called %d times, want %d", got, tt.want)
				}
			})
		}
	}
}

// TestYieldHandsOff keeps what a Yield that lifted rules means: the
// goroutine that suspended (the one with rules) runs nothing more of the
// exchange, and what is queued behind its dispatch goes to the executor.
// Without rules to lift, that goroutine goes on running it.
func TestYieldHandsOff(t *testing.T) {
	for _, rules := range []bool{false, true} {
		var mu sync.Mutex
		var executed []func()
		cfg := &exchange.Config{Execute: func(f func()) { mu.Lock(); executed = append(executed, f); mu.Unlock() }}
		var redispatched atomic.Bool
		ex, _, r := newYieldExchange(func(w api.Response, r *api.Request) error {
			if exchange.KindOf(r) != exchange.DispatchInitial {
				redispatched.Store(true)
				return nil
			}
			ex := exchange.From(r)
			if err := ex.Suspend(exchange.ModeAsync); err != nil {
				return err
			}
			return ex.Resume() // queued behind this dispatch
		}, rules, cfg)
		ex.Start(r)
		mu.Lock()
		handed := len(executed)
		mu.Unlock()
		if rules {
			if redispatched.Load() || handed != 1 {
				t.Fatalf("rules lifted: the re-dispatch ran on the suspending goroutine (%v) or was not handed to the executor (%d)", redispatched.Load(), handed)
			}
			executed[0]()
		} else if !redispatched.Load() || handed != 0 {
			t.Fatalf("no rules: the re-dispatch did not run on the suspending goroutine (%v), %d handed to the executor", redispatched.Load(), handed)
		}
		<-ex.Done()
		if !redispatched.Load() {
			t.Fatal("no re-dispatch")
		}
	}
}

func waitSuspended(t *testing.T, ex *exchange.Exchange) {
	t.Helper()
	wharftest.WaitFor(t, "suspended", func() bool { return ex.State() == "Waiting" })
}

func waitSuspendedOrDone(t *testing.T, ex *exchange.Exchange) {
	t.Helper()
	wharftest.WaitFor(t, "suspended or done", func() bool {
		s := ex.State()
		return s == "Waiting" || s == "Completed"
	})
}
