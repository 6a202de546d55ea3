package qos_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/qos"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// gate is a handler that holds each request until released, and records
// the order requests entered it.
type gate struct {
	mu      sync.Mutex
	order   []string
	release chan struct{}
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) Serve(w api.Response, r *api.Request) error {
	g.mu.Lock()
	g.order = append(g.order, r.QueryValue("id"))
	g.mu.Unlock()
	<-g.release
	_, err := w.WriteString("ok " + r.QueryValue("id"))
	return err
}

func (g *gate) entered() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.order...)
}

// start begins a request for path through h on a goroutine of its own (the
// initial dispatch may block in the gate) and returns its exchange.
func start(h api.Handler, target string, kv ...string) *wharftest.Exchange {
	x := wharftest.NewExchangeFor(h, wharftest.Head("GET", target, kv...), nil)
	go x.Begin()
	return x
}

func prio(r *api.Request) int {
	n, _ := strconv.Atoi(r.Header().Get("X-Prio"))
	return n
}

func wantStats(t *testing.T, f *qos.Filter, active, waiting int) {
	t.Helper()
	if st := f.Stats(); st.Active != active || st.Waiting != waiting {
		t.Fatalf("stats %+v, want active %d waiting %d", st, active, waiting)
	}
}

// MaxRequests are let in at once; the others wait suspended, and go in as
// places free up, highest priority first, equal ones in arrival order.
func TestAdmitsByPriority(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		f := qos.New(qos.Config{MaxRequests: 2, MaxWait: time.Minute, Priority: prio})
		h := api.Compose(api.HandlerFunc(g.Serve), f)
		var xs []*wharftest.Exchange
		for i, p := range []string{"0", "0", "1", "3", "2", "3"} {
			xs = append(xs, start(h, "/?id="+strconv.Itoa(i), "X-Prio", p))
			synctest.Wait() // arrival order is the order started
		}
		wantStats(t, f, 2, 4)
		// One place at a time from here, so that the order they enter in
		// is the order they were let in.
		g.release <- struct{}{}
		synctest.Wait()
		wantStats(t, f, 2, 3)
		for _, x := range []*wharftest.Exchange{xs[2], xs[4], xs[5]} {
			if !x.Suspended() {
				t.Fatalf("a waiting request is %s, want suspended", x.State())
			}
		}
		for range 5 {
			g.release <- struct{}{}
			synctest.Wait()
		}
		for _, x := range xs {
			<-x.Done()
		}
		if got, want := g.entered(), []string{"0", "1", "3", "5", "4", "2"}; !slices.Equal(got, want) {
			t.Errorf("entered in order %v, want %v", got, want)
		}
		for i, x := range xs {
			if x.Out.Status() != 200 || x.Out.Body() != "ok "+strconv.Itoa(i) {
				t.Errorf("request %d: %d %q", i, x.Out.Status(), x.Out.Body())
			}
		}
		wantStats(t, f, 0, 0)
		if st := f.Stats(); st.Admitted != 6 || st.Rejected != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

// A request that waits MaxWait is answered 503 with Retry-After, without
// reaching the chain; the queue and the permits are as before.
func TestMaxWaitAnswers503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		f := qos.New(qos.Config{MaxRequests: 1, MaxWait: 1500 * time.Millisecond})
		h := api.Compose(api.HandlerFunc(g.Serve), f)
		holder := start(h, "/?id=holder")
		synctest.Wait()
		begin := time.Now()
		x := start(h, "/?id=late")
		<-x.Done()
		if d := time.Since(begin); d != 1500*time.Millisecond {
			t.Errorf("answered after %v, want MaxWait", d)
		}
		if x.Out.Status() != http.StatusServiceUnavailable || x.Out.Result().Get("Retry-After") != "2" {
			t.Errorf("got %d Retry-After %q", x.Out.Status(), x.Out.Result().Get("Retry-After"))
		}
		if got := g.entered(); !slices.Equal(got, []string{"holder"}) {
			t.Errorf("the chain saw %v", got)
		}
		wantStats(t, f, 1, 0)
		close(g.release)
		<-holder.Done()
		wantStats(t, f, 0, 0)
		if st := f.Stats(); st.Rejected != 1 {
			t.Errorf("stats %+v", st)
		}
	})
}

// The permit comes back however the chain ends, and a waiting request that
// is failed or abandoned gives back what it holds: afterwards the next
// request goes straight in.
func TestPermitReturnedOnEveryPath(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		handler func(w api.Response, r *api.Request) error
		// after runs once the request is in (or waiting); it may end it.
		waitInQueue bool
		end         func(x *wharftest.Exchange)
	}{
		{name: "answer", handler: func(w api.Response, r *api.Request) error { _, err := w.WriteString("ok"); return err }},
		{name: "error", handler: func(w api.Response, r *api.Request) error { return boom }},
		{name: "panic", handler: func(w api.Response, r *api.Request) error { panic("boom") }},
		{name: "suspends and times out", handler: func(w api.Response, r *api.Request) error {
			c := continuation.Of(r)
			if c.IsInitial() {
				c.SetTimeout(time.Second)
				return c.Suspend()
			}
			_, err := w.WriteString("expired")
			return err
		}},
		{name: "client gone while suspended by the chain", handler: func(w api.Response, r *api.Request) error {
			c := continuation.Of(r)
			c.SetTimeout(time.Hour)
			return c.Suspend()
		}, end: func(x *wharftest.Exchange) { x.Fail(errors.New("client gone")) }},
		{name: "client gone while waiting", waitInQueue: true,
			handler: func(w api.Response, r *api.Request) error { t.Error("a request whose client left ran"); return nil },
			end:     func(x *wharftest.Exchange) { x.Fail(errors.New("client gone")) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := qos.New(qos.Config{MaxRequests: 1, MaxWait: time.Hour})
				g := newGate()
				h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					if r.QueryValue("id") == "blocker" {
						return g.Serve(w, r)
					}
					return tc.handler(w, r)
				}), f)
				var blocker *wharftest.Exchange
				if tc.waitInQueue {
					blocker = start(h, "/?id=blocker")
					synctest.Wait()
				}
				x := start(h, "/?id=x")
				synctest.Wait()
				if tc.end != nil {
					tc.end(x)
					synctest.Wait()
				}
				if blocker != nil {
					wantStats(t, f, 1, 0)
					close(g.release)
					<-blocker.Done()
				}
				<-x.Done() // a suspension by the chain times out here in fake time
				wantStats(t, f, 0, 0)
				next := wharftest.Run(api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					_, err := w.WriteString("next")
					return err
				}), f), wharftest.Head("GET", "/"))
				if next.Out.Body() != "next" {
					t.Fatalf("next request: %d %q", next.Out.Status(), next.Out.Body())
				}
			})
		})
	}
}

// A permit handed to a waiting request whose client leaves before its
// dispatch runs is passed on, not lost.
func TestGrantedButGonePassesPermitOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		f := qos.New(qos.Config{MaxRequests: 1, MaxWait: time.Hour})
		var gone *wharftest.Exchange
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			if r.QueryValue("id") == "holder" {
				err := g.Serve(w, r)
				// The permit goes to "gone" when this returns; its client
				// leaves first, before its dispatch can run.
				gone.Fail(errors.New("client gone"))
				return err
			}
			_, err := w.WriteString("ran " + r.QueryValue("id"))
			return err
		}), f)
		holder := start(h, "/?id=holder")
		synctest.Wait()
		gone = start(h, "/?id=gone")
		synctest.Wait()
		third := start(h, "/?id=third")
		synctest.Wait()
		wantStats(t, f, 1, 2)
		close(g.release)
		for _, x := range []*wharftest.Exchange{holder, gone, third} {
			<-x.Done()
		}
		if third.Out.Body() != "ran third" {
			t.Errorf("third: %d %q", third.Out.Status(), third.Out.Body())
		}
		wantStats(t, f, 0, 0)
		if st := f.Stats(); st.Admitted != 2 || st.Rejected != 0 || st.Left != 1 {
			t.Errorf("stats %+v, want two let in, none refused, one left", st)
		}
	})
}

// Without a container to suspend it, a request that finds no place is
// refused with a 503 at once.
func TestWithoutContainer(t *testing.T) {
	g := newGate()
	f := qos.New(qos.Config{MaxRequests: 1})
	h := api.Compose(api.HandlerFunc(g.Serve), f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Serve(wharftest.NewRecorder(), wharftest.Request("GET", "/?id=a"))
	}()
	for f.Stats().Active != 1 {
		time.Sleep(time.Millisecond)
	}
	w := wharftest.NewRecorder()
	// The refusal is the error returned, for the caller to answer.
	if err := h.Serve(w, wharftest.Request("GET", "/?id=b")); !errors.Is(err, qos.ErrBusy) || api.StatusOf(err) != 503 || w.Result().Get("Retry-After") != "5" {
		t.Errorf("got %v Retry-After %q", err, w.Result().Get("Retry-After"))
	}
	close(g.release)
	<-done
}

// A request let in after waiting carries its grant as an attribute; a
// copy detached from it (a WebSocket upgraded behind the filter) must not
// keep the grant, whose waiter holds the request's continuation and
// through it the exchange.
func TestDetachDropsGrant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		f := qos.New(qos.Config{MaxRequests: 1, MaxWait: time.Minute})
		var detached *api.Request
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			if r.QueryValue("id") == "waited" {
				detached = r.Detach(context.Background())
				return nil
			}
			return g.Serve(w, r)
		}), f)
		first := start(h, "/?id=first")
		synctest.Wait()
		x := start(h, "/?id=waited")
		synctest.Wait()
		wantStats(t, f, 1, 1)
		gone := weak.Make(x.Exchange)
		g.release <- struct{}{}
		<-first.Done()
		<-x.Done()
		// The goroutine that finished x closes Done before its frames,
		// which still point at the exchange, return.
		synctest.Wait()
		first, x = nil, nil
		runtime.GC()
		if detached == nil {
			t.Fatal("the waiting request never ran")
		}
		if gone.Value() != nil {
			t.Error("the detached request keeps its exchange reachable")
		}
	})
}
