package exchange_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/timerwheel"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// An expiry the container makes (Expire, a shutdown) takes the timer out:
// the old deadline, passing while the expired re-dispatch suspends again,
// does not expire the new cycle.
func TestExpireDisarmsTheTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var dispatches atomic.Int32
		x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			ex := exchange.From(r)
			switch dispatches.Add(1) {
			case 1:
				ex.SetTimeout(50 * time.Millisecond)
				return ex.Suspend(exchange.ModeContinuation)
			case 2: // expired by Expire: wait again, past the first deadline
				if err := ex.Suspend(exchange.ModeContinuation); err != nil {
					return err
				}
				ex.SetTimeout(time.Hour)
				time.Sleep(100 * time.Millisecond)
				return nil
			}
			return nil
		}), nil).Begin()
		time.Sleep(10 * time.Millisecond)
		if err := x.Expire(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := dispatches.Load(); n != 2 || x.State() != "Waiting" {
			t.Fatalf("%d dispatches, state %s; want 2, Waiting (the first deadline expired the second cycle)", n, x.State())
		}
		x.Complete()
		<-x.Done()
	})
}

// expireIn20ms suspends its request for 20 ms and answers "expired" when
// the timeout re-dispatches it.
var expireIn20ms = api.HandlerFunc(func(w api.Response, r *api.Request) error {
	ex := exchange.From(r)
	if exchange.KindOf(r) == exchange.DispatchInitial {
		ex.SetTimeout(20 * time.Millisecond)
		return ex.Suspend(exchange.ModeContinuation)
	}
	_, err := w.WriteString("expired")
	return err
})

// inlineChannel is a Channel that may run a timeout's work where it fired,
// as the epoll connector's producer does, or decline.
type inlineChannel struct {
	*wharftest.Channel
	accept bool
	asked  atomic.Int32
}

func (c *inlineChannel) RunInline(w interface{ Run() }) bool {
	c.asked.Add(1)
	if !c.accept {
		return false
	}
	w.Run()
	return true
}

// A timeout that fires asks the Channel to run its work there; if the
// Channel declines, the work goes to Config.Execute, and it runs either way.
func TestInlineRunnerOrExecute(t *testing.T) {
	for _, accept := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			var executed atomic.Int32
			cfg := &exchange.Config{Execute: func(f func()) { executed.Add(1); go f() }}
			ch := &inlineChannel{Channel: &wharftest.Channel{Handler: expireIn20ms}, accept: accept}
			out := wharftest.NewRecorder()
			ex := exchange.NewExchange(ch, out, cfg)
			ex.Start(api.NewRequest(context.Background(), wharftest.Head("GET", "/"), ex))
			<-ex.Done()
			if ch.asked.Load() != 1 || out.Body() != "expired" {
				t.Fatalf("accept=%v: asked %d times, body %q", accept, ch.asked.Load(), out.Body())
			}
			if want := map[bool]int32{true: 0, false: 1}[accept]; executed.Load() != want {
				t.Fatalf("accept=%v: Execute ran %d times, want %d", accept, executed.Load(), want)
			}
		})
	}
}

// wheelChannel is a Channel with a timer wheel of its own (a selector's,
// in the epoll connector), driven by hand here.
type wheelChannel struct {
	*wharftest.Channel
	w *timerwheel.Wheel
}

func (c *wheelChannel) TimerWheel() *timerwheel.Wheel { return c.w }

// The suspend timeout goes in the Channel's wheel when it has one, else in
// the Config's; it fires when that wheel is advanced past it, on the
// goroutine that advances it.
func TestTimeoutInChannelsWheel(t *testing.T) {
	own := timerwheel.New(func(time.Duration) {})
	cfgWheel := timerwheel.New(func(time.Duration) {})
	for _, tc := range []struct {
		name string
		ch   func(h api.Handler) exchange.Channel
		want *timerwheel.Wheel
	}{
		{"channel's", func(h api.Handler) exchange.Channel {
			return &wheelChannel{Channel: &wharftest.Channel{Handler: h}, w: own}
		}, own},
		{"config's", func(h api.Handler) exchange.Channel { return &wharftest.Channel{Handler: h} }, cfgWheel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := expireIn20ms
			cfg := &exchange.Config{Wheel: cfgWheel, Execute: func(f func()) { f() }}
			out := wharftest.NewRecorder()
			ex := exchange.NewExchange(tc.ch(h), out, cfg)
			ex.Start(api.NewRequest(context.Background(), wharftest.Head("GET", "/"), ex))
			if own.Len()+cfgWheel.Len() != 1 || tc.want.Len() != 1 {
				t.Fatalf("filed: channel's %d, config's %d; want 1 in the %s", own.Len(), cfgWheel.Len(), tc.name)
			}
			tc.want.AdvanceTo(time.Now().Add(10 * time.Millisecond))
			if ex.State() != "Waiting" {
				t.Fatalf("state %s before the deadline", ex.State())
			}
			tc.want.AdvanceTo(time.Now().Add(time.Second))
			select {
			case <-ex.Done():
			default:
				t.Fatal("not done once the wheel passed the deadline")
			}
			if out.Body() != "expired" || tc.want.Len() != 0 {
				t.Fatalf("body %q, %d still filed", out.Body(), tc.want.Len())
			}
		})
	}
}

// countingChannel counts how often the exchange looks for its wheel.
type countingChannel struct {
	wheelChannel
	looks atomic.Int32
}

func (c *countingChannel) TimerWheel() *timerwheel.Wheel {
	c.looks.Add(1)
	return c.w
}

// The suspend timeout's wheel is looked for only to arm the timer and to
// stop one still armed: a request that never arms it completes without a
// look (on the epoll connector, a cold walk to the selector and its
// lock), and one whose timer fired needs no stop.
func TestWheelLookedForOnlyWhenArmed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		h       api.Handler
		advance bool
		looks   int32
	}{
		{"answered at once", api.HandlerFunc(func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("hi")
			return err
		}), false, 0},
		{"expired", expireIn20ms, true, 1},
		{"resumed within the dispatch", api.HandlerFunc(func(w api.Response, r *api.Request) error {
			ex := exchange.From(r)
			if exchange.KindOf(r) == exchange.DispatchInitial {
				ex.SetTimeout(time.Hour)
				if err := ex.Suspend(exchange.ModeContinuation); err != nil {
					return err
				}
				return ex.Resume() // before the dispatch returns: never armed
			}
			_, err := w.WriteString("resumed")
			return err
		}), false, 0},
		{"resumed while waiting", waitAnHour, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := timerwheel.New(func(time.Duration) {})
			ch := &countingChannel{wheelChannel: wheelChannel{Channel: &wharftest.Channel{Handler: tc.h}, w: w}}
			cfg := &exchange.Config{Execute: func(f func()) { f() }}
			ex := exchange.NewExchange(ch, wharftest.NewRecorder(), cfg)
			ex.Start(api.NewRequest(context.Background(), wharftest.Head("GET", "/"), ex))
			if tc.advance {
				w.AdvanceTo(time.Now().Add(time.Second))
			}
			if ex.State() == "Waiting" {
				if err := ex.Resume(); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-ex.Done():
			default:
				t.Fatal("not done")
			}
			if got := ch.looks.Load(); got != tc.looks || w.Len() != 0 {
				t.Errorf("looked for the wheel %d times, want %d; %d timers still filed", got, tc.looks, w.Len())
			}
		})
	}
}

// waitAnHour suspends its request for an hour and answers "resumed" when
// re-dispatched.
var waitAnHour = api.HandlerFunc(func(w api.Response, r *api.Request) error {
	if exchange.KindOf(r) == exchange.DispatchInitial {
		ex := exchange.From(r)
		ex.SetTimeout(time.Hour)
		return ex.Suspend(exchange.ModeContinuation)
	}
	_, err := w.WriteString("resumed")
	return err
})

// A dispatch that suspended, and whose cycle a Resume or an expiry then
// decided before it returned, is refused a blocking Await at once: no
// Resume or timeout is left to wake it (both are refused for a decided
// cycle), so the wait would hold its goroutine until its context ended.
func TestAwaitAfterDecidedSuspend(t *testing.T) {
	for _, tc := range []struct {
		name   string
		decide func(ex *exchange.Exchange) error
	}{
		{"resumed", func(ex *exchange.Exchange) error { return ex.Resume() }},
		{"expired", func(ex *exchange.Exchange) error { return ex.Expire() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var awaitErr error
				x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					ex := exchange.From(r)
					if exchange.KindOf(r) != exchange.DispatchInitial {
						return nil
					}
					ex.SetTimeout(time.Minute)
					if err := ex.Suspend(exchange.ModeContinuation); err != nil {
						return err
					}
					if err := tc.decide(ex); err != nil {
						return err
					}
					_, _, awaitErr = ex.Await(context.Background())
					return nil
				}), nil)
				go x.Begin()
				synctest.Wait()
				select {
				case <-x.Done():
				default:
					x.Complete() // wakes the Await, so the test ends
					<-x.Done()
					t.Fatal("Await blocked after the cycle was decided")
				}
				if awaitErr != api.ErrWrongState {
					t.Fatalf("Await = %v, want api.ErrWrongState", awaitErr)
				}
			})
		})
	}
}

// FailSuspended fails a request only while it waits for an outcome,
// judged under the lock that queues the failure: a suspended one fails
// with the error; one that a Resume decided first keeps the resumed
// dispatch's answer, and FailSuspended reports api.ErrNotSuspended.
func TestFailSuspended(t *testing.T) {
	gone := &api.StatusError{Code: 503}
	for _, tc := range []struct {
		name   string
		resume bool
		status int
		err    error
	}{
		{"suspended", false, 503, nil},
		{"resumed first", true, 200, api.ErrNotSuspended},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				suspended := make(chan *exchange.Exchange, 1)
				x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					ex := exchange.From(r)
					if exchange.KindOf(r) != exchange.DispatchInitial {
						_, err := w.WriteString("resumed")
						return err
					}
					ex.SetTimeout(time.Minute)
					if err := ex.Suspend(exchange.ModeContinuation); err != nil {
						return err
					}
					suspended <- ex
					return nil
				}), &exchange.Config{Logger: wharftest.DiscardLogger()})
				go x.Begin()
				ex := <-suspended
				synctest.Wait()
				if tc.resume {
					if err := ex.Resume(); err != nil {
						t.Fatal(err)
					}
				}
				if err := ex.FailSuspended(gone); err != tc.err {
					t.Fatalf("FailSuspended = %v, want %v", err, tc.err)
				}
				<-x.Done()
				if got := x.Out.Status(); got != tc.status {
					t.Fatalf("answered %d, want %d", got, tc.status)
				}
			})
		})
	}
}
