package async_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/owner"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func TestPlainDispatchCompletes(t *testing.T) {
	x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hi")
		return err
	}), nil)
	<-x.Done()
	if got := x.Out.Body(); got != "hi" {
		t.Fatalf("body = %q", got)
	}
	if d, f, err := x.Chan.Result(); d != 1 || f != 1 || err != nil {
		t.Fatalf("dispatches=%d finishes=%d err=%v", d, f, err)
	}
	if x.State() != "Completed" {
		t.Fatalf("state = %s", x.State())
	}
}

func TestStaleHandleIsNotSerialized(t *testing.T) {
	var kept api.Response
	x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		kept = w
		_, err := async.Start(r)
		return err
	}), nil)
	if _, err := kept.WriteString("late"); !errors.Is(err, api.ErrNotSerialized) {
		t.Fatalf("write after return: %v", err)
	}
	if err := kept.SetStatus(500); !errors.Is(err, api.ErrNotSerialized) {
		t.Fatalf("SetStatus after return: %v", err)
	}
	kept.Header().Set("X-Late", "1") // detached: must not reach the output
	if err := kept.Flush(); !errors.Is(err, api.ErrNotSerialized) {
		t.Fatalf("Flush after return: %v", err)
	}
	x.Complete()
	<-x.Done()
	if x.Out.Body() != "" || x.Out.Header().Get("X-Late") != "" {
		t.Fatalf("stale handle reached the output: %q %v", x.Out.Body(), x.Out.Header())
	}
}

func TestDispatchRunsSerializedInOrder(t *testing.T) {
	x, a := startAsync(nil)
	var running atomic.Int32
	var wg sync.WaitGroup
	const n = 200
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := a.Dispatch(func(w api.Response) {
				if running.Add(1) != 1 {
					t.Error("two tasks ran at once")
				}
				w.WriteString("x")
				_ = i
				running.Add(-1)
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// Submission order from one goroutine is kept.
	for _, s := range []string{"a", "b", "c"} {
		a.Dispatch(func(w api.Response) { w.WriteString(s) })
	}
	a.Dispatch(func(w api.Response) { a.Complete() })
	<-x.Done()
	body := x.Out.Body()
	if !strings.HasSuffix(body, "abc") || strings.Count(body, "x") != n {
		t.Fatalf("body = %q", body)
	}
}

func TestCompleteDropsLaterTasks(t *testing.T) {
	x, a := startAsync(nil)
	dropped := make(chan error, 1)
	ran := make(chan struct{})
	block := make(chan struct{})
	a.Dispatch(func(w api.Response) {
		close(ran)
		<-block
		w.WriteString("first")
		a.Complete()
	})
	<-ran
	if err := a.DispatchOr(func(w api.Response) { w.WriteString("second") }, func(err error) { dropped <- err }); err != nil {
		t.Fatalf("queued while running: %v", err)
	}
	close(block)
	<-x.Done()
	if err := <-dropped; !errors.Is(err, api.ErrCompleted) {
		t.Fatalf("dropped with %v", err)
	}
	if got := x.Out.Body(); got != "first" {
		t.Fatalf("body = %q", got)
	}
	if err := a.Dispatch(func(api.Response) { t.Error("ran after completion") }); !errors.Is(err, api.ErrCompleted) {
		t.Fatalf("dispatch after completion: %v", err)
	}
	if err := a.Complete(); !errors.Is(err, api.ErrCompleted) {
		t.Fatalf("second complete: %v", err)
	}
}

func TestPanicInTaskFailsRequest(t *testing.T) {
	x, a := startAsync(&exchange.Config{Logger: wharftest.DiscardLogger()})
	completed := make(chan error, 1)
	a.AddListener(async.Listener{OnComplete: func(r *api.Request, err error) { completed <- err }})
	a.Dispatch(func(w api.Response) { panic("boom") })
	<-x.Done()
	var pe *api.PanicError
	if err := <-completed; !errors.As(err, &pe) || pe.Value != "boom" {
		t.Fatalf("OnComplete got %v", err)
	}
	if x.Out.Status() != 500 {
		t.Fatalf("status = %d", x.Out.Status())
	}
}

func TestAsyncTimeoutListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			a.SetTimeout(time.Second)
			a.AddListener(async.Listener{OnTimeout: func(w api.Response, r *api.Request) {
				w.SetStatus(504)
				w.WriteString("late")
				a.Complete()
			}})
			return nil
		}), nil)
		time.Sleep(999 * time.Millisecond)
		synctest.Wait()
		if x.State() != "Waiting" {
			t.Fatalf("expired early: %s", x.State())
		}
		time.Sleep(time.Millisecond)
		<-x.Done()
		if x.Out.Status() != 504 || x.Out.Body() != "late" {
			t.Fatalf("got %d %q", x.Out.Status(), x.Out.Body())
		}
	})
}

// An OnTimeout listener may re-dispatch the request (the Servlet API's
// dispatch from onTimeout): the request passes through the chain again as
// a resumed dispatch, with the listener's attributes, in place of
// api.ErrAsyncTimeout; a second Redispatch is refused. (A Redispatch after
// the timeout fired but before its listeners ran has lost the race and is
// refused, as ever: TestTransitionQueueAndAwait.)
func TestRedispatchFromOnTimeout(t *testing.T) {
	type attrKey struct{}
	synctest.Test(t, func(t *testing.T) {
		var passes []async.DispatchKind
		var first, second error
		x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			passes = append(passes, async.KindOf(r))
			if async.KindOf(r) != async.DispatchInitial {
				_, err := w.WriteString(r.Attribute(attrKey{}).(string))
				return err
			}
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			a.SetTimeout(time.Second)
			a.AddListener(async.Listener{OnTimeout: func(w api.Response, r *api.Request) {
				first = a.Redispatch(api.Attr{Key: attrKey{}, Value: "from the listener"})
				second = a.Redispatch()
			}})
			return nil
		}), nil)
		<-x.Done()
		if first != nil || !errors.Is(second, api.ErrNotSuspended) {
			t.Errorf("Redispatch from OnTimeout: %v, then %v; want nil, then ErrNotSuspended", first, second)
		}
		if _, _, err := x.Chan.Result(); err != nil {
			t.Errorf("the request ended with %v", err)
		}
		if want := []async.DispatchKind{async.DispatchInitial, async.DispatchResumed}; !slices.Equal(passes, want) {
			t.Errorf("passes %v, want %v", passes, want)
		}
		if x.Out.Status() != 200 || x.Out.Body() != "from the listener" {
			t.Errorf("got %d %q", x.Out.Status(), x.Out.Body())
		}
	})
}

// A Redispatch from another goroutine races with the timeout and with the
// Redispatch its OnTimeout listener makes: exactly one of them is taken,
// every time, and the request is re-dispatched once, never failed. Each
// side must win some of the time, or the test proves nothing.
func TestRedispatchRacesOnTimeout(t *testing.T) {
	iterations := 500
	if testing.Short() {
		iterations = 100
	}
	wins := map[string]int{}
	for i := range iterations {
		var taken atomic.Int32
		var passes atomic.Int32
		var log sync.Map
		var outside sync.WaitGroup
		redispatch := func(a *async.Context, who string) {
			err := a.Redispatch()
			log.Store(who, fmt.Sprint(err))
			if err == nil {
				taken.Add(1)
			} else if !errors.Is(err, api.ErrNotSuspended) && !errors.Is(err, api.ErrCompleted) {
				t.Errorf("iteration %d: Redispatch: %v", i, err)
			}
		}
		x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			if passes.Add(1) > 1 {
				_, err := w.WriteString("again")
				return err
			}
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			a.SetTimeout(time.Millisecond)
			a.AddListener(async.Listener{OnTimeout: func(api.Response, *api.Request) { redispatch(a, "listener") }})
			outside.Go(func() {
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				redispatch(a, "outside")
			})
			return nil
		}), nil)
		<-x.Done()
		outside.Wait()
		if n := taken.Load(); n != 1 {
			l, _ := log.Load("listener")
			o, _ := log.Load("outside")
			t.Fatalf("iteration %d: %d Redispatch calls taken, want 1 (listener %v, outside %v, result %v)", i, n, l, o, fmt.Sprint(x.Chan.Result()))
		}
		if n := passes.Load(); n != 2 || x.Out.Body() != "again" {
			t.Fatalf("iteration %d: %d passes, body %q; want 2 and the re-dispatch's answer", i, n, x.Out.Body())
		}
		for _, who := range []string{"listener", "outside"} {
			if err, _ := log.Load(who); err == "<nil>" {
				wins[who]++
			}
		}
	}
	if wins["listener"] == 0 || wins["outside"] == 0 {
		t.Errorf("wins %v: each side must win some of the time", wins)
	}
	t.Logf("wins %v", wins)
}

func TestAsyncTimeoutWithoutListenerFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			_, err := async.Start(r)
			return err
		}), &exchange.Config{Timeout: 5 * time.Second})
		<-x.Done()
		if _, _, err := x.Chan.Result(); !errors.Is(err, api.ErrAsyncTimeout) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestOutOfTime is the seed's "Out of Time" example: the business result and
// the timeout race, both write and complete. Every response must be exactly
// one of the two, never a mix, and neither side may see a spurious error.
//
// Most iterations race on the real clock, with the work and the timeout
// drawn from the same 0-40 µs range (the timeout fires at the first tick
// of the timer wheel, a millisecond, at or after it: near a tick, either
// side may win). Every tenth runs in a testing/synctest bubble, where the
// two events are placed a few milliseconds apart on either side of the
// boundary: the earlier one must win. Those make both outcomes certain
// over the run, which the test asserts, so it fails if one side always
// wins.
func TestOutOfTime(t *testing.T) {
	iterations := 10000
	if testing.Short() {
		iterations = 1000
	}
	var ok, timedOut int
	count := func(i, code int, body string) {
		t.Helper()
		switch {
		case code == 200 && body == "answer 42":
			ok++
		case code == 504 && body == "timeout":
			timedOut++
		default:
			t.Fatalf("iteration %d: mixed response %d %q", i, code, body)
		}
	}
	for i := range iterations {
		if i%10 != 0 {
			timeout := time.Duration(rand.IntN(40)) * time.Microsecond
			delay := time.Duration(rand.IntN(40)) * time.Microsecond
			code, body, _ := outOfTime(t, i, timeout, delay)
			count(i, code, body)
			continue
		}
		// Placed: the answer 1-10 ms before the timeout on even
		// placements, after it on odd ones (a bubble's clock starts on a
		// tick of the wheel).
		n := i / 10
		timeout := 20 * time.Millisecond
		delay := timeout - time.Duration(1+n%10)*time.Millisecond
		want := 200
		if n%2 == 1 {
			delay = timeout + time.Duration(1+n%10)*time.Millisecond
			want = 504
		}
		synctest.Test(t, func(t *testing.T) {
			code, body, business := outOfTime(t, i, timeout, delay)
			<-business // a bubble must end with all its goroutines
			if code != want {
				t.Fatalf("iteration %d: answer after %v, timeout after %v: got %d, want %d", i, delay, timeout, code, want)
			}
			count(i, code, body)
		})
	}
	t.Logf("answers %d, timeouts %d", ok, timedOut)
	if ok == 0 || timedOut == 0 {
		t.Fatalf("answers %d, timeouts %d: both outcomes must occur", ok, timedOut)
	}
}

// outOfTime runs one request of TestOutOfTime: a timeout listener that
// answers 504 after timeout, and a business result dispatched after delay
// that answers 200. It returns the response once the exchange is done, and
// a channel closed when the business goroutine has returned (its Dispatch
// refused, or its task run).
func outOfTime(t *testing.T, i int, timeout, delay time.Duration) (code int, body string, business <-chan struct{}) {
	spurious := make(chan error, 2)
	businessDone := make(chan struct{})
	x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		a.SetTimeout(timeout)
		a.AddListener(async.Listener{OnTimeout: func(w api.Response, r *api.Request) {
			if err := w.SetStatus(504); err != nil {
				spurious <- err
			}
			w.WriteString("timeout")
			if err := a.Complete(); err != nil {
				spurious <- err
			}
		}})
		go func() {
			defer close(businessDone)
			time.Sleep(delay)
			a.Dispatch(func(w api.Response) {
				if err := w.SetStatus(200); err != nil {
					spurious <- err
				}
				w.WriteString("answer 42")
				if err := a.Complete(); err != nil {
					spurious <- err
				}
			})
		}()
		return nil
	}), nil)
	<-x.Done()
	// Only tasks send on spurious, and no task runs after the exchange is
	// done.
	close(spurious)
	for err := range spurious {
		t.Fatalf("iteration %d: spurious error %v", i, err)
	}
	return x.Out.Status(), x.Out.Body(), businessDone
}

func TestFailRunsOnErrorOnce(t *testing.T) {
	x, a := startAsync(nil)
	var onError, onComplete atomic.Int32
	errGone := errors.New("client gone")
	a.AddListener(async.Listener{
		OnError: func(w api.Response, r *api.Request, err error) {
			if !errors.Is(err, errGone) {
				t.Errorf("OnError got %v", err)
			}
			onError.Add(1)
		},
		OnComplete: func(r *api.Request, err error) {
			if !errors.Is(err, errGone) {
				t.Errorf("OnComplete got %v", err)
			}
			onComplete.Add(1)
		},
	})
	if err := x.Fail(errGone); err != nil {
		t.Fatal(err)
	}
	<-x.Done()
	if err := x.Fail(errGone); !errors.Is(err, api.ErrCompleted) {
		t.Fatalf("second Fail: %v", err)
	}
	if onError.Load() != 1 || onComplete.Load() != 1 {
		t.Fatalf("OnError %d, OnComplete %d; want 1 each", onError.Load(), onComplete.Load())
	}
}

// Fail(nil), an err variable that happened to be nil, still fails the
// request: it is not answered with an empty 200 (the written body discarded
// as for a failure), and the listeners hear an error, not nil.
func TestFailNilStillFails(t *testing.T) {
	x, a := startAsync(nil)
	var onError, onComplete atomic.Value
	a.AddListener(async.Listener{
		OnError:    func(_ api.Response, _ *api.Request, err error) { onError.Store(fmt.Sprint(err)) },
		OnComplete: func(_ *api.Request, err error) { onComplete.Store(fmt.Sprint(err)) },
	})
	written := make(chan struct{})
	a.Dispatch(func(w api.Response) {
		w.WriteString("half a result")
		close(written)
	})
	<-written
	if err := a.Fail(nil); err != nil {
		t.Fatal(err)
	}
	<-x.Done()
	_, _, err := x.Chan.Result()
	if err == nil || api.StatusOf(err) != 500 {
		t.Errorf("Fail(nil) completed the request with %v (status %d), want a failure answered 500", err, api.StatusOf(err))
	}
	if got := onError.Load(); got == nil || got == "<nil>" {
		t.Errorf("OnError got %v, want an error", got)
	}
	if got := onComplete.Load(); got == nil || got == "<nil>" {
		t.Errorf("OnComplete got %v, want an error", got)
	}
}

// A nil task or OnComplete function panics at the call, naming the
// misuse, as SetReadListener(nil) names its own: run later, it would
// panic in the request's task or listener with a nil dereference whose
// stack does not show the caller.
func TestNilTaskPanicsAtCall(t *testing.T) {
	tests := []struct {
		name string
		call func(a *async.Context, r *api.Request)
	}{
		{"Dispatch", func(a *async.Context, _ *api.Request) { a.Dispatch(nil) }},
		{"DispatchOr", func(a *async.Context, _ *api.Request) { a.DispatchOr(nil, func(error) {}) }},
		{"DispatchNonBlocking", func(a *async.Context, _ *api.Request) { a.DispatchNonBlocking(nil) }},
		{"Executor", func(a *async.Context, _ *api.Request) { a.Executor()(nil) }},
		{"OnComplete", func(_ *async.Context, r *api.Request) { async.OnComplete(r, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, a := startAsync(nil)
			func() {
				defer func() {
					p := recover()
					if msg, _ := p.(string); !strings.Contains(msg, "nil") {
						t.Errorf("%s(nil) panicked with %v at the call, want a panic naming the nil", tt.name, p)
					}
				}()
				tt.call(a, x.Request())
			}()
			a.Complete()
			<-x.Done()
		})
	}
}

// The storm: resume, timeout, complete, fail and submit all race on a
// suspended exchange; every exchange ends exactly once.
func TestRaceStorm(t *testing.T) {
	for i := 0; i < 3000; i++ {
		var completes atomic.Int32
		var a *async.Context
		x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			if async.KindOf(r) != async.DispatchInitial {
				_, err := w.WriteString("redispatched") // completes: no async this time
				return err
			}
			var err error
			if a, err = async.Start(r); err != nil {
				return err
			}
			a.SetTimeout(time.Duration(i%20) * time.Microsecond)
			a.AddListener(async.Listener{OnComplete: func(*api.Request, error) { completes.Add(1) }})
			return nil
		}), nil)
		var wg sync.WaitGroup
		ops := []func(){
			func() { a.Redispatch() },
			func() { a.Complete() },
			func() { x.Expire() },
			func() { x.Fail(errors.New("gone")) },
			func() { a.Dispatch(func(w api.Response) { w.WriteString("t") }) },
			func() { a.DispatchNonBlocking(func(w api.Response) { w.WriteString("n") }) },
		}
		for j, op := range ops {
			if (i>>j)&1 == 0 && j != 1 {
				continue
			}
			wg.Add(1)
			go func() { defer wg.Done(); op() }()
		}
		wg.Wait()
		<-x.Done()
		if n := completes.Load(); n != 1 {
			t.Fatalf("iteration %d: OnComplete ran %d times", i, n)
		}
		if _, f, _ := x.Chan.Result(); f != 1 {
			t.Fatalf("iteration %d: finished %d times", i, f)
		}
	}
}

// startAsync starts an exchange whose handler only goes async, and returns
// it with its async context.
func startAsync(cfg *exchange.Config) (*wharftest.Exchange, *async.Context) {
	var a *async.Context
	x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		var err error
		a, err = async.Start(r)
		return err
	}), cfg)
	return x, a
}

// A request completed before it started (a container closing between
// building the exchange and starting it) does not dispatch: Start
// finishes it at once, exactly once.
func TestCompleteBeforeStart(t *testing.T) {
	var dispatched atomic.Int32
	x := wharftest.NewExchange(api.HandlerFunc(func(api.Response, *api.Request) error {
		dispatched.Add(1)
		return nil
	}), nil)
	if err := x.Complete(); err != nil {
		t.Fatalf("Complete before Start: %v", err)
	}
	x.Begin()
	<-x.Done()
	if n := dispatched.Load(); n != 0 {
		t.Fatalf("dispatched %d times", n)
	}
	if _, f, _ := x.Chan.Result(); f != 1 {
		t.Fatalf("finished %d times", f)
	}
}

// TestStartAfterReturn: async.Start from a goroutine the handler started,
// once the handler has returned, is refused with ErrNotSerialized (no task
// runs: the check holds in production, not only under internal/owner).
func TestStartAfterReturn(t *testing.T) {
	got := make(chan error, 1)
	returned := make(chan struct{})
	x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		go func() {
			<-returned
			_, err := async.Start(r)
			got <- err
		}()
		return nil
	}), nil)
	<-x.Done()
	close(returned)
	if err := <-got; !errors.Is(err, api.ErrNotSerialized) {
		t.Errorf("Start after the handler returned = %v, want ErrNotSerialized", err)
	}
}

// DispatchNonBlocking runs the task on the calling goroutine when the
// request is idle, and queues it behind a running task otherwise.
func TestDispatchNonBlockingRunsHere(t *testing.T) {
	x, a := startAsync(nil)
	ran := false // no lock: the race detector fails the test if another goroutine ran it
	if err := a.DispatchNonBlocking(func(w api.Response) { ran = true; w.WriteString("a") }); err != nil {
		t.Fatal(err)
	}
	if !ran {
		t.Fatal("the idle request's task did not run before DispatchNonBlocking returned")
	}

	running, release := make(chan struct{}), make(chan struct{})
	a.Dispatch(func(w api.Response) { close(running); <-release; w.WriteString("b") })
	<-running
	var behind atomic.Bool
	if err := a.DispatchNonBlocking(func(w api.Response) { behind.Store(true); w.WriteString("c") }); err != nil {
		t.Fatal(err)
	}
	if behind.Load() {
		t.Fatal("the task ran while another task of the request was running")
	}
	close(release)
	a.Dispatch(func(api.Response) { a.Complete() })
	<-x.Done()
	if got := x.Out.Body(); got != "abc" {
		t.Fatalf("body = %q, want abc", got)
	}
}

// What the task queues, and the completion it asks for, are left to the
// executor: the caller of DispatchNonBlocking runs that one task only.
func TestDispatchNonBlockingRunsOneTask(t *testing.T) {
	for _, complete := range []bool{false, true} {
		x, a := startAsync(nil)
		returned := make(chan struct{})
		after := make(chan bool, 1)
		waitReturned := func() {
			select {
			case <-returned:
				after <- true
			case <-time.After(5 * time.Second):
				after <- false
			}
		}
		if complete {
			a.AddListener(async.Listener{OnComplete: func(*api.Request, error) { waitReturned() }})
		}
		err := a.DispatchNonBlocking(func(w api.Response) {
			if complete {
				a.Complete()
				return
			}
			a.Dispatch(func(api.Response) { waitReturned(); a.Complete() })
		})
		close(returned)
		if err != nil {
			t.Fatal(err)
		}
		<-x.Done()
		if !<-after {
			t.Fatalf("complete=%v: what followed the task ran on the caller's goroutine", complete)
		}
	}
}

// A task dispatched to a waiting request costs one allocation, its
// Response handle: the queue goes back to the exchange's own array once
// it is empty, so neither the task nor the wait keeps one of its own.
func TestDispatchAllocations(t *testing.T) {
	x, a := startAsync(nil)
	defer func() { a.Complete(); <-x.Done() }()
	task := func(w api.Response) {}
	limit := 1.0
	if owner.Enabled() {
		limit += 2 // the loop's ownership checks, in tests only
	}
	if n := testing.AllocsPerRun(100, func() { a.DispatchNonBlocking(task) }); n > limit {
		t.Errorf("%v allocations per task, want at most %v", n, limit)
	}
}

// errListener records what an Output tells its WriteListener.
type errListener struct {
	mu   sync.Mutex
	errs []error
}

func (l *errListener) OnWritePossible(api.Response) {}

func (l *errListener) OnError(_ api.Response, err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

// A request that fails while its Output is in use (the connection saw its
// client leave) tells the WriteListener once, though no flush was there to
// meet the failure.
func TestOutputHearsRequestFailure(t *testing.T) {
	x, a := startAsync(nil)
	l := &errListener{}
	if _, err := a.SetWriteListener(l); err != nil {
		t.Fatal(err)
	}
	gone := errors.New("client gone")
	x.Fail(gone)
	<-x.Done()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) != 1 || !errors.Is(l.errs[0], gone) {
		t.Fatalf("the listener heard %v, want %v once", l.errs, gone)
	}
}

// Complete from a goroutine of the handler's is not a task queued behind
// that goroutine's Dispatch: the task running then is the last, and the
// write dispatched before Complete is dropped, as Complete's documentation
// says (it said "serialized like a task", which promised the write).
func TestCompleteFromOutsideDropsQueuedTasks(t *testing.T) {
	dropped := make(chan error, 1)
	x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		a, err := async.Start(r)
		if err != nil {
			return err
		}
		done := make(chan struct{})
		go func() { // while the dispatch still runs
			defer close(done)
			a.DispatchOr(func(w api.Response) { w.WriteString("result") }, func(err error) { dropped <- err })
			if err := a.Complete(); err != nil {
				t.Errorf("Complete: %v", err)
			}
		}()
		<-done
		return nil
	}), nil)
	<-x.Done()
	if err := <-dropped; !errors.Is(err, api.ErrCompleted) {
		t.Errorf("the queued task was dropped with %v, want api.ErrCompleted", err)
	}
	if got := x.Out.Body(); got != "" {
		t.Errorf("body %q: the task dispatched before Complete ran", got)
	}
}
