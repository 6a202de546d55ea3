package qos_test

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/qos"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The MaxWait timer fires, but its task has not run yet when a permit comes
// back: the permit's Resume fails and the permit goes on, and the expired
// request is still answered 503 (it neither gets in nor waits again).
func TestTimeoutBeforeReleaseAnswers503(t *testing.T) {
	f := qos.New(qos.Config{MaxRequests: 1, MaxWait: 50 * time.Millisecond})
	g := newGate()
	h := api.Compose(api.HandlerFunc(g.Serve), f)
	a := start(h, "/?id=a")
	for f.Stats().Active != 1 { // a holds the permit before b asks
		time.Sleep(time.Millisecond)
	}
	held := make(chan func(), 4)
	bx := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/?id=b"), &exchange.Config{Execute: func(fn func()) { held <- fn }})
	bx.Begin()   // suspends in the queue
	fn := <-held // the timer fired: the timeout task waits for the executor
	close(g.release)
	<-a.Done()
	go func() {
		fn()
		for fn := range held {
			go fn()
		}
	}()
	<-bx.Done()
	close(held)
	if bx.Out.Status() != 503 || !slices.Equal(g.entered(), []string{"a"}) {
		t.Errorf("B: %d %q; the chain saw %v", bx.Out.Status(), bx.Out.Body(), g.entered())
	}
	if st := f.Stats(); st.Active != 0 || st.Waiting != 0 || st.Rejected != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A waiter's client goes away while a permit is being handed to it: the
// permit is passed on once, not twice (which would let MaxRequests+1 in).
func TestGoneWhileGrantedReleasesOnce(t *testing.T) {
	f := qos.New(qos.Config{MaxRequests: 1, MaxWait: time.Minute})
	for i := 0; i < 1000; i++ {
		rel := make(chan struct{})
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			if r.QueryValue("id") == "a" {
				<-rel
			}
			return nil
		}), f)
		a := start(h, "/?id=a")
		for f.Stats().Active != 1 {
			time.Sleep(10 * time.Microsecond)
		}
		b := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/?id=b"), nil).Begin()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); close(rel) }()
		go func() { defer wg.Done(); b.Fail(errors.New("gone")) }()
		wg.Wait()
		<-a.Done()
		<-b.Done()
		if st := f.Stats(); st.Active != 0 || st.Waiting != 0 {
			t.Fatalf("iteration %d: stats %+v", i, st)
		}
	}
}

// Another timeout listener of the request (the chain's, from a suspension
// before the wait) resumes it when the wait expires, before this filter's
// listener could: the refusal cannot come back as an error of the filter's
// own dispatch, so the listener answers 503 with Retry-After in place, and
// the request neither reaches the chain again nor waits anew.
func TestRefusalWhenAnotherListenerResumed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		f := qos.New(qos.Config{MaxRequests: 1, MaxWait: 2 * time.Second})
		var passes atomic.Int32
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			if r.QueryValue("id") == "holder" {
				return g.Serve(w, r)
			}
			passes.Add(1)
			c := continuation.Of(r)
			if !c.IsInitial() {
				return errors.New("the chain was dispatched again")
			}
			// A long poll whose listener resumes it on every timeout.
			c.SetTimeout(time.Second)
			c.AddListener(continuation.Listener{OnTimeout: func(api.Response, *api.Request) { c.Resume() }})
			return c.Suspend()
		}), f)
		x := start(h, "/?id=x")
		synctest.Wait() // x suspended in the chain, its permit given back
		holder := start(h, "/?id=holder")
		synctest.Wait()
		// x's poll expires; its re-dispatch waits for the holder's permit,
		// and expires there.
		<-x.Done()
		if _, finishes, _ := x.Chan.Result(); x.Out.Status() != 503 || x.Out.Result().Get("Retry-After") != "2" || finishes != 1 || passes.Load() != 1 {
			t.Errorf("x: %d Retry-After %q, %d finishes, the chain ran %d times; want 503 with Retry-After once, the chain once",
				x.Out.Status(), x.Out.Result().Get("Retry-After"), finishes, passes.Load())
		}
		if st := f.Stats(); st.Rejected != 1 || st.Waiting != 0 {
			t.Errorf("stats %+v", st)
		}
		close(g.release)
		<-holder.Done()
		wantStats(t, f, 0, 0)
	})
}

// Another timeout listener of the request (a long poll's, whose event
// came while the filter was full) answers and completes it when the wait
// expires, before this filter's listener runs: its answer stands, and the
// filter does not turn it into a 503 after the fact, nor count it as a
// refusal it did not make: the request left the queue.
func TestNoRefusalOverAnotherListenersAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		f := qos.New(qos.Config{MaxRequests: 1, MaxWait: 2 * time.Second})
		polled := make(chan continuation.Continuation, 1)
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			if r.QueryValue("id") == "holder" {
				return g.Serve(w, r)
			}
			c := continuation.Of(r)
			if !c.IsInitial() {
				_, err := w.WriteString("event")
				return err
			}
			// A long poll whose listener answers its timeout itself.
			c.SetTimeout(time.Hour)
			c.AddListener(continuation.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
				w.WriteString("no news")
				c.Complete()
			}})
			return c.SuspendThen(func(c continuation.Continuation) { polled <- c })
		}), f)
		x := start(h, "/?id=x")
		c := <-polled
		synctest.Wait() // x suspended in the chain, its permit given back
		holder := start(h, "/?id=holder")
		synctest.Wait()
		// The event comes while the holder has the only place: x's
		// re-dispatch waits, and its wait expires.
		if err := c.Resume(); err != nil {
			t.Fatal(err)
		}
		<-x.Done()
		if x.Out.Status() != http.StatusOK || x.Out.Body() != "no news" {
			t.Errorf("x: %d %q, want the poll's own answer, 200 %q", x.Out.Status(), x.Out.Body(), "no news")
		}
		close(g.release)
		<-holder.Done()
		// The filter refused nothing: x left the queue answered by its
		// poll. (x's first pass and the holder were let in.)
		if st, want := f.Stats(), (qos.Stats{Max: 1, Admitted: 2, Left: 1}); st != want {
			t.Errorf("stats %+v, want %+v", st, want)
		}
	})
}

// Permits coming back, waits expiring and clients leaving, all at once and
// from their own goroutines: every request ends counted exactly once (let
// in, refused or left), and no permit or place in the queue is lost.
func TestConcurrentEventsCountEachRequestOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 60
		f := qos.New(qos.Config{MaxRequests: 2, MaxWait: 30 * time.Millisecond})
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			ms, _ := strconv.Atoi(r.QueryValue("hold"))
			time.Sleep(time.Duration(ms) * time.Millisecond)
			return nil
		}), f)
		var wg sync.WaitGroup
		xs := make([]*wharftest.Exchange, n)
		for i := range xs {
			xs[i] = start(h, "/?hold="+strconv.Itoa(i%5*10))
			if i%3 == 0 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					time.Sleep(time.Duration(i%7*7) * time.Millisecond)
					xs[i].Fail(errors.New("gone"))
				}()
			}
		}
		wg.Wait()
		for _, x := range xs {
			<-x.Done()
		}
		st := f.Stats()
		if st.Active != 0 || st.Waiting != 0 || st.Admitted+st.Rejected+st.Left != n {
			t.Errorf("stats %+v: want nothing held, and %d requests counted once each", st, n)
		}
	})
}
