package continuation_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/wharftest"
)

type eventKey struct{}

// pass records what each dispatch saw.
type pass struct {
	initial, resumed, expired bool
	event                     any
}

func TestSuspendResume(t *testing.T) {
	var mu sync.Mutex
	var passes []pass
	var c continuation.Continuation
	suspended := make(chan struct{})
	h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		cc := continuation.Of(r)
		mu.Lock()
		passes = append(passes, pass{cc.IsInitial(), cc.IsResumed(), cc.IsExpired(), r.Attribute(eventKey{})})
		mu.Unlock()
		if cc.IsInitial() {
			cc.SetTimeout(time.Hour)
			if err := cc.Suspend(); err != nil {
				return err
			}
			c = cc
			close(suspended)
			return nil
		}
		_, err := w.WriteString("event: " + r.Attribute(eventKey{}).(string))
		return err
	})
	x := wharftest.Start(h, nil)
	<-suspended
	if !c.IsSuspended() {
		t.Fatal("not suspended after the handler returned")
	}
	if err := c.Resume(api.Attr{Key: eventKey{}, Value: "hello"}); err != nil {
		t.Fatal(err)
	}
	<-x.Done()
	if got := x.Out.Body(); got != "event: hello" {
		t.Fatalf("body = %q", got)
	}
	want := []pass{{initial: true}, {resumed: true, event: "hello"}}
	if len(passes) != 2 || passes[0] != want[0] || passes[1] != want[1] {
		t.Fatalf("passes = %+v", passes)
	}
	if err := c.Resume(); !errors.Is(err, api.ErrCompleted) {
		t.Fatalf("resume after completion = %v, want ErrCompleted", err)
	}
}

// A Resume that arrives while the suspending handler still runs re-dispatches
// only after that handler returned.
func TestResumeBeforeHandlerReturns(t *testing.T) {
	var returned atomic.Bool
	var order []string
	h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		c := continuation.Of(r)
		if c.IsInitial() {
			if err := c.Suspend(); err != nil {
				return err
			}
			done := make(chan error)
			go func() { done <- c.Resume() }()
			if err := <-done; err != nil {
				return err
			}
			order = append(order, "initial returns")
			returned.Store(true)
			return nil
		}
		if !returned.Load() {
			t.Error("re-dispatched before the suspending handler returned")
		}
		order = append(order, "resumed")
		return nil
	})
	x := wharftest.Start(h, nil)
	<-x.Done()
	if len(order) != 2 || order[1] != "resumed" {
		t.Fatalf("order = %v", order)
	}
}

func TestExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var timeouts atomic.Int32
		var c continuation.Continuation
		h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
			cc := continuation.Of(r)
			switch {
			case cc.IsInitial():
				cc.SetTimeout(10 * time.Second)
				cc.AddListener(continuation.Listener{OnTimeout: func(api.Response, *api.Request) { timeouts.Add(1) }})
				if err := cc.Suspend(); err != nil {
					return err
				}
				c = cc
				return nil
			case cc.IsExpired():
				_, err := w.WriteString("expired")
				return err
			}
			return errors.New("unexpected dispatch")
		})
		start := time.Now()
		x := wharftest.Start(h, nil)
		<-x.Done()
		if d := time.Since(start); d != 10*time.Second {
			t.Fatalf("expired after %v", d)
		}
		if x.Out.Body() != "expired" || timeouts.Load() != 1 {
			t.Fatalf("body %q, %d timeouts", x.Out.Body(), timeouts.Load())
		}
		if err := c.Resume(); !errors.Is(err, api.ErrCompleted) {
			t.Fatalf("resume after expiry: %v", err)
		}
	})
}

// An OnTimeout listener may Resume the request, as Jetty's continuation
// listeners may: the request is re-dispatched as resumed, not expired.
func TestResumeFromOnTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var kinds []string
		h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
			cc := continuation.Of(r)
			switch {
			case cc.IsInitial():
				kinds = append(kinds, "initial")
				cc.SetTimeout(time.Second)
				cc.AddListener(continuation.Listener{OnTimeout: func(api.Response, *api.Request) {
					if err := cc.Resume(); err != nil {
						t.Errorf("Resume from OnTimeout: %v", err)
					}
				}})
				return cc.Suspend()
			case cc.IsResumed():
				kinds = append(kinds, "resumed")
				_, err := w.WriteString("resumed")
				return err
			case cc.IsExpired():
				kinds = append(kinds, "expired")
			}
			return errors.New("unexpected dispatch")
		})
		x := wharftest.Start(h, nil)
		<-x.Done()
		if x.Out.Body() != "resumed" || !slices.Equal(kinds, []string{"initial", "resumed"}) {
			t.Fatalf("body %q after the dispatches %v, want one resumed", x.Out.Body(), kinds)
		}
	})
}

// Resume and the timeout race: exactly one wins, and the loser is told.
func TestResumeTimeoutRace(t *testing.T) {
	for i := 0; i < 2000; i++ {
		var resumed, expired atomic.Int32
		ready := make(chan continuation.Continuation, 1)
		h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
			c := continuation.Of(r)
			switch {
			case c.IsInitial():
				c.SetTimeout(time.Duration(i%50) * time.Microsecond)
				if err := c.Suspend(); err != nil {
					return err
				}
				ready <- c
			case c.IsResumed():
				resumed.Add(1)
			case c.IsExpired():
				expired.Add(1)
			}
			return nil
		})
		x := wharftest.Start(h, nil)
		c := <-ready
		time.Sleep(time.Duration(i%30) * time.Microsecond)
		err := c.Resume()
		<-x.Done()
		r, e := resumed.Load(), expired.Load()
		if r+e != 1 {
			t.Fatalf("iteration %d: %d resumed, %d expired", i, r, e)
		}
		if (err == nil) != (r == 1) {
			t.Fatalf("iteration %d: Resume returned %v but resumed=%d", i, err, r)
		}
		if err != nil && !errors.Is(err, api.ErrNotSuspended) && !errors.Is(err, api.ErrCompleted) {
			t.Fatalf("iteration %d: loser told %v", i, err)
		}
	}
}

func TestCompleteSuspended(t *testing.T) {
	var c continuation.Continuation
	completes := 0
	h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		cc := continuation.Of(r)
		cc.AddListener(continuation.Listener{OnComplete: func(*api.Request, error) { completes++ }})
		w.WriteString("partial")
		if err := cc.Suspend(); err != nil {
			return err
		}
		c = cc
		return nil
	})
	x := wharftest.Start(h, nil)
	if err := c.Complete(); err != nil {
		t.Fatal(err)
	}
	<-x.Done()
	if d, _, _ := x.Chan.Result(); d != 1 || completes != 1 || x.Out.Body() != "partial" {
		t.Fatalf("dispatches %d, completes %d, body %q", d, completes, x.Out.Body())
	}
}

func TestAwait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got := make(chan string, 1)
		var c continuation.Continuation
		ready := make(chan struct{})
		h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
			c = continuation.Of(r)
			c.SetTimeout(time.Minute)
			close(ready)
			ev, attrs, err := c.Await(context.Background())
			if err != nil {
				return err
			}
			if ev != continuation.Resumed || len(attrs) != 1 {
				got <- ev.String()
				return nil
			}
			got <- attrs[0].Value.(string)
			return nil
		})
		x := wharftest.NewExchange(h, nil)
		go x.Exchange.Start(x.Req)
		<-ready
		synctest.Wait() // the handler is parked in Await
		if err := c.Resume(api.Attr{Key: eventKey{}, Value: "woken"}); err != nil {
			t.Fatal(err)
		}
		<-x.Done()
		if v := <-got; v != "woken" {
			t.Fatalf("await returned %q", v)
		}
	})
}

func TestAwaitExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got := make(chan continuation.Event, 1)
		h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
			c := continuation.Of(r)
			c.SetTimeout(3 * time.Second)
			ev, _, _ := c.Await(context.Background())
			got <- ev
			return nil
		})
		start := time.Now()
		x := wharftest.Start(h, nil)
		<-x.Done()
		if ev := <-got; ev != continuation.Expired || time.Since(start) != 3*time.Second {
			t.Fatalf("event %v after %v", ev, time.Since(start))
		}
	})
}

func TestNotFromContainer(t *testing.T) {
	r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/"}, nil)
	c := continuation.Of(r)
	if err := c.Suspend(); !errors.Is(err, api.ErrNotSupported) {
		t.Fatalf("Suspend = %v", err)
	}
	if !c.IsInitial() || c.IsSuspended() {
		t.Fatal("a plain request is initial and not suspended")
	}
}

// SuspendThen registers a continuation that is already suspended: a Resume
// from register itself is accepted and re-dispatches after the handler
// returns.
func TestSuspendThen(t *testing.T) {
	var registered int
	h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		c := continuation.Of(r)
		if !c.IsInitial() {
			_, err := w.WriteString("resumed with " + r.Attribute(eventKey{}).(string))
			return err
		}
		c.SetTimeout(time.Hour)
		return c.SuspendThen(func(c continuation.Continuation) {
			registered++
			if !c.IsSuspended() {
				t.Error("register ran before the request was suspended")
			}
			if err := c.Resume(api.Attr{Key: eventKey{}, Value: "the event"}); err != nil {
				t.Errorf("Resume from register: %v", err)
			}
		})
	})
	x := wharftest.Start(h, nil)
	<-x.Done()
	if registered != 1 || x.Out.Body() != "resumed with the event" {
		t.Fatalf("registered %d times, body %q", registered, x.Out.Body())
	}
}

// When Suspend fails, SuspendThen returns its error and registers nothing:
// nobody must hold a continuation that will never be dispatched again.
func TestSuspendThenFails(t *testing.T) {
	register := func(t *testing.T) func(continuation.Continuation) {
		return func(continuation.Continuation) { t.Error("register called though Suspend failed") }
	}
	t.Run("not from a container", func(t *testing.T) {
		r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/"}, nil)
		if err := continuation.Of(r).SuspendThen(register(t)); !errors.Is(err, api.ErrNotSupported) {
			t.Fatalf("SuspendThen = %v, want ErrNotSupported", err)
		}
	})
	t.Run("completed", func(t *testing.T) {
		var err error
		h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
			c := continuation.Of(r)
			if cerr := c.Complete(); cerr != nil {
				return cerr
			}
			err = c.SuspendThen(register(t))
			return nil
		})
		x := wharftest.Start(h, nil)
		<-x.Done()
		if !errors.Is(err, api.ErrWrongState) {
			t.Fatalf("SuspendThen after Complete = %v, want ErrWrongState", err)
		}
	})
	t.Run("off the dispatch", func(t *testing.T) {
		got := make(chan continuation.Continuation, 1)
		h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
			c := continuation.Of(r)
			c.SetTimeout(time.Hour)
			if err := c.Suspend(); err != nil {
				return err
			}
			got <- c
			return nil
		})
		x := wharftest.Start(h, nil)
		c := <-got
		if err := c.SuspendThen(register(t)); !errors.Is(err, api.ErrNotSerialized) {
			t.Errorf("SuspendThen from another goroutine = %v, want ErrNotSerialized", err)
		}
		if err := c.Complete(); err != nil {
			t.Fatal(err)
		}
		<-x.Done()
	})
}

// TestListenerOnError: continuation.Listener is async.Listener, so a
// continuation hears a failure of its suspended request (the client went
// away) through OnError, before OnComplete gets the same error, and no
// re-dispatch follows.
func TestListenerOnError(t *testing.T) {
	var l continuation.Listener = async.Listener{} // one type
	_ = l
	gone := errors.New("client gone")
	var onError, onComplete []error
	h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		cc := continuation.Of(r)
		if !cc.IsInitial() {
			t.Error("re-dispatched after a failure")
			return nil
		}
		cc.AddListener(continuation.Listener{
			OnError: func(w api.Response, _ *api.Request, err error) {
				onError = append(onError, err)
				w.WriteString("not sent: the failure is the outcome")
			},
			OnComplete: func(_ *api.Request, err error) { onComplete = append(onComplete, err) },
		})
		w.WriteString("discarded")
		return cc.Suspend()
	})
	x := wharftest.Start(h, nil)
	if err := x.Fail(gone); err != nil {
		t.Fatal(err)
	}
	<-x.Done()
	if len(onError) != 1 || onError[0] != gone || len(onComplete) != 1 || onComplete[0] != gone {
		t.Fatalf("OnError got %v, OnComplete got %v", onError, onComplete)
	}
	if d, _, err := x.Chan.Result(); d != 1 || err != gone {
		t.Fatalf("dispatches %d, finished with %v", d, err)
	}
	if got := x.Out.Body(); got != "" {
		t.Fatalf("body = %q", got)
	}
}
