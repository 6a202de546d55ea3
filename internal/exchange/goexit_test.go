package exchange_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"testing/synctest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// An OnError listener that ends its goroutine with runtime.Goexit
// (t.FailNow in a listener under test) while the IO failure runs as a
// task does not keep the later listeners from hearing of the failure, nor
// the request from ending with it, as a panicking one does not: the task's
// goroutine still ends (a failed task), but the failure is the IO
// failure, and a later one tells the listeners nothing. Before, the later
// listeners never ran, the request ended with an *api.PanicError (a 500
// for a client that is gone), and the OnError listeners were told again
// of the next failure queued, at the finish.
func TestGoexitInOnErrorTask(t *testing.T) {
	e1, e2 := errors.New("e1"), errors.New("e2")
	for _, tc := range []struct {
		name     string
		failures []error
	}{
		{"one failure", []error{e1}},
		{"two failures", []error{e1, e2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pending := make(chan func(), 4)
				x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					return exchange.From(r).Suspend(exchange.ModeAsync)
				}), &exchange.Config{Execute: func(f func()) { pending <- f }, Logger: wharftest.DiscardLogger()})
				var heard, ended []error
				x.AddListener(exchange.Listener{OnError: func(api.Response, *api.Request, error) { runtime.Goexit() }})
				x.AddListener(exchange.Listener{
					OnError:    func(_ api.Response, _ *api.Request, err error) { heard = append(heard, err) },
					OnComplete: func(_ *api.Request, err error) { ended = append(ended, err) },
				})
				x.Begin()
				for _, err := range tc.failures {
					x.Fail(err) // all queued before the loop runs
				}
				go (<-pending)()
				synctest.Wait()
				select {
				case <-x.Done():
				default:
					t.Fatalf("the request did not complete: state %s", x.State())
				}
				if len(heard) != 1 || heard[0] != e1 {
					t.Errorf("the later OnError listener heard %v, want [e1]", heard)
				}
				if _, finishes, err := x.Chan.Result(); finishes != 1 || err != e1 {
					t.Errorf("finished %d times with %v, want once with e1", finishes, err)
				}
				if len(ended) != 1 || ended[0] != e1 {
					t.Errorf("OnComplete heard %v, want [e1]", ended)
				}
			})
		})
	}
}

// A task that ends its goroutine with runtime.Goexit (t.FailNow in a
// handler under test) fails the request as a panicking task does: no
// recover sees it, and the exchange was left Running, owned by a goroutine
// that was gone, its response never finished and its OnComplete listeners
// never run. So does one whose deferred cleanup panics once the Goexit
// began unwinding it (t.FailNow, and a deferred call that then fails):
// the panic is recovered, but the Goexit goes on, and no statement after
// the task's call runs; the recover that took the panic had hidden the
// Goexit.
func TestGoexitInTask(t *testing.T) {
	for _, end := range []struct {
		name   string
		goexit func()
	}{
		{"Goexit", runtime.Goexit},
		{"Goexit then a panic", func() {
			defer func() { panic("cleanup") }()
			runtime.Goexit()
		}},
	} {
		t.Run(end.name, func(t *testing.T) { testGoexitInTask(t, end.goexit) })
	}
}

func testGoexitInTask(t *testing.T, goexit func()) {
	suspend := func(r *api.Request) error { return exchange.From(r).Suspend(exchange.ModeContinuation) }
	tests := []struct {
		name  string
		h     func(r *api.Request) error       // the dispatch's handler; Goexit once it is not the initial one
		drive func(x *exchange.Exchange) error // once the initial dispatch returned (or ended its goroutine)
	}{
		{"initial dispatch", func(*api.Request) error { goexit(); return nil }, func(*exchange.Exchange) error { return nil }},
		{"resumed dispatch", func(r *api.Request) error {
			if exchange.KindOf(r) == exchange.DispatchInitial {
				return suspend(r)
			}
			goexit()
			return nil
		}, func(x *exchange.Exchange) error { return x.Resume() }},
		{"task", suspend, func(x *exchange.Exchange) error {
			return x.Submit(func(api.Response) { goexit() }, nil)
		}},
		{"task run here", suspend, func(x *exchange.Exchange) error {
			return x.SubmitHere(func(api.Response) { goexit() }, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error { return tt.h(r) }),
					&exchange.Config{Logger: wharftest.DiscardLogger()})
				completes := 0
				var ended error
				x.AddListener(exchange.Listener{OnComplete: func(_ *api.Request, err error) { completes++; ended = err }})
				go x.Begin()
				synctest.Wait()
				go func() {
					if err := tt.drive(x.Exchange); err != nil {
						t.Errorf("driving the request: %v", err)
					}
				}()
				synctest.Wait()
				select {
				case <-x.Done():
				default:
					t.Fatalf("the request did not complete: state %s", x.State())
				}
				var pe *api.PanicError
				if _, finishes, err := x.Chan.Result(); finishes != 1 || !errors.As(err, &pe) {
					t.Errorf("finished %d times with %v, want once with an *api.PanicError", finishes, err)
				}
				if completes != 1 || !errors.As(ended, &pe) {
					t.Errorf("OnComplete ran %d times with %v, want once with the failure", completes, ended)
				}
				if got := x.Out.Status(); got != http.StatusInternalServerError {
					t.Errorf("status %d, want 500", got)
				}
			})
		})
	}
}

// An OnTimeout listener that ends its goroutine with runtime.Goexit
// (t.FailNow in a listener under test) does not keep the later ones from
// hearing of the timeout, as a panicking one does not: they run, and the
// request then fails as when one panics (500, no expired re-dispatch).
// Before, the later listeners never ran.
func TestGoexitInOnTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode exchange.Mode
	}{{"async", exchange.ModeAsync}, {"continuation", exchange.ModeContinuation}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				timeouts, redispatched := 0, false
				x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					ex := exchange.From(r)
					if exchange.KindOf(r) != exchange.DispatchInitial {
						redispatched = true
						return nil
					}
					ex.AddListener(exchange.Listener{OnTimeout: func(api.Response, *api.Request) { runtime.Goexit() }})
					ex.AddListener(exchange.Listener{OnTimeout: func(api.Response, *api.Request) { timeouts++ }})
					return ex.Suspend(tc.mode)
				}), &exchange.Config{Logger: wharftest.DiscardLogger()})
				x.Begin()
				go x.Expire()
				synctest.Wait()
				select {
				case <-x.Done():
				default:
					t.Fatalf("the request did not complete: state %s", x.State())
				}
				if timeouts != 1 {
					t.Errorf("the later OnTimeout listener ran %d times, want once", timeouts)
				}
				var pe *api.PanicError
				if _, _, err := x.Chan.Result(); !errors.As(err, &pe) || redispatched {
					t.Errorf("ended with %v, re-dispatched %v; want an *api.PanicError and no re-dispatch", err, redispatched)
				}
				if got := x.Out.Status(); got != http.StatusInternalServerError {
					t.Errorf("status %d, want 500", got)
				}
			})
		})
	}
}

// A listener (or a dropped task's submitter) told of the end that ends
// its goroutine with runtime.Goexit (t.FailNow in a listener under test)
// does not keep the others from hearing of it, as a panicking one does
// not: the later OnComplete listeners run once and Done closes. Before,
// the goroutine went with the rest of the end: the request was never
// counted out, and Done never closed.
func TestGoexitInListener(t *testing.T) {
	goexit := func() { runtime.Goexit() }
	tests := []struct {
		name string
		l    exchange.Listener
		h    func(r *api.Request) error
	}{
		{"OnComplete", exchange.Listener{OnComplete: func(*api.Request, error) { goexit() }}, func(*api.Request) error { return nil }},
		{"dropped task", exchange.Listener{}, func(r *api.Request) error {
			x := exchange.From(r)
			if err := x.Submit(func(api.Response) {}, func(error) { goexit() }); err != nil {
				return err
			}
			return x.Complete()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error { return tt.h(r) }),
					&exchange.Config{Logger: wharftest.DiscardLogger()})
				completes := 0
				x.AddListener(tt.l)
				x.AddListener(exchange.Listener{OnComplete: func(*api.Request, error) { completes++ }})
				go x.Begin()
				synctest.Wait()
				select {
				case <-x.Done():
				default:
					t.Fatalf("Done not closed: state %s", x.State())
				}
				if _, finishes, err := x.Chan.Result(); finishes != 1 || err != nil {
					t.Errorf("finished %d times with %v, want once with nil", finishes, err)
				}
				if completes != 1 {
					t.Errorf("the later OnComplete listener ran %d times, want once", completes)
				}
			})
		})
	}
}

// An OnError listener that ends its goroutine with runtime.Goexit (t.FailNow
// in a listener under test) at the finish, which tells the listeners of an
// IO failure still queued when the request completed, does not keep the
// request from finishing: the response is written, the OnComplete
// listeners run and Done closes. Before, the exchange stayed Completing
// for good and its loop was never released.
func TestGoexitInOnErrorAtFinish(t *testing.T) {
	gone := errors.New("client gone")
	tests := []struct {
		name string
		h    func(x *exchange.Exchange) error
	}{
		{"queued by the dispatch", func(x *exchange.Exchange) error {
			x.Fail(gone)
			return nil
		}},
		{"queued behind a Complete", func(x *exchange.Exchange) error {
			x.Fail(gone)
			return x.Complete()
		}},
		{"two queued", func(x *exchange.Exchange) error {
			x.Fail(gone)
			x.Fail(errors.New("another"))
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error { return tt.h(exchange.From(r)) }),
					&exchange.Config{Logger: wharftest.DiscardLogger()})
				completes := 0
				x.AddListener(exchange.Listener{OnError: func(api.Response, *api.Request, error) { runtime.Goexit() }})
				x.AddListener(exchange.Listener{OnComplete: func(*api.Request, error) { completes++ }})
				go x.Begin()
				synctest.Wait()
				select {
				case <-x.Done():
				default:
					t.Fatalf("Done not closed: state %s", x.State())
				}
				if _, finishes, _ := x.Chan.Result(); finishes != 1 {
					t.Errorf("finished %d times, want once", finishes)
				}
				if completes != 1 {
					t.Errorf("OnComplete ran %d times, want once", completes)
				}
			})
		})
	}
}

// goexitFinish is a Channel whose Finish ends its goroutine with end (a
// runtime.Goexit, perhaps followed by a panic in a deferred cleanup) after
// the wrapped Channel finished.
type goexitFinish struct {
	*wharftest.Channel
	end func()
}

func (c *goexitFinish) Finish(w api.Response, err error) exchange.End {
	c.Channel.Finish(w, err)
	c.end()
	return exchange.EndAnswered
}

// A Channel's Finish that ends its goroutine with runtime.Goexit counts as
// one that panicked: the request still completes (OnComplete runs once,
// Done closes). So does one whose deferred cleanup then panics: the
// recover that stops the panic does not stop the Goexit, which goes on
// past the code after the recover, so the rest of the finish must run
// where the panic is recovered. Before, that case left the exchange
// Completing for good.
func TestGoexitInFinish(t *testing.T) {
	ends := []struct {
		name string
		end  func()
	}{
		{"Goexit", runtime.Goexit},
		{"Goexit then a panic", func() {
			defer panic("cleanup")
			runtime.Goexit()
		}},
		{"a panic", func() { panic("finish") }},
	}
	for _, e := range ends {
		for _, failure := range []error{nil, errors.New("failed")} {
			t.Run(fmt.Sprintf("%s/failure=%v", e.name, failure), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					h := api.HandlerFunc(func(api.Response, *api.Request) error { return failure })
					ch := &goexitFinish{Channel: &wharftest.Channel{Handler: h}, end: e.end}
					ex := exchange.NewExchange(ch, wharftest.NewRecorder(), &exchange.Config{Logger: wharftest.DiscardLogger()})
					var completes int
					var heard error
					ex.AddListener(exchange.Listener{OnComplete: func(_ *api.Request, err error) { completes++; heard = err }})
					go ex.Start(api.NewRequest(context.Background(), wharftest.Head("GET", "/"), ex))
					synctest.Wait()
					select {
					case <-ex.Done():
					default:
						t.Fatalf("Done not closed: state %s", ex.State())
					}
					if completes != 1 {
						t.Errorf("OnComplete ran %d times, want once", completes)
					}
					if !errors.Is(heard, failure) {
						t.Errorf("OnComplete heard %v, want %v", heard, failure)
					}
					if _, finishes, _ := ch.Result(); finishes != 1 {
						t.Errorf("finished %d times, want once", finishes)
					}
				})
			})
		}
	}
}
