package qos_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/qos"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Two QoS filters in one chain (a global one and a stricter one on some
// paths): a request let in by the inner one whose re-dispatch then waits in
// the outer one, and times out there, is answered once, by the outer one,
// and gives the inner permit back once, as the outer wait begins.
func TestStackedTimeoutInOuterAnsweredOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := startStacked(time.Minute, time.Hour)
		g, outer, inner, relInner, h, in, x := st.g, st.outer, st.inner, st.relInner, st.h, st.in, st.x
		wantStats(t, inner, 1, 1)
		// "outer" takes the outer permit, which x's pass gave back.
		out := start(h, "/?id=outer")
		synctest.Wait()
		wantStats(t, outer, 1, 0)
		// The inner permit goes to x, whose re-dispatch waits in the outer
		// filter, and expires there.
		close(relInner)
		<-in.Done()
		synctest.Wait()
		wantStats(t, outer, 1, 1)
		<-x.Done()
		if _, finishes, err := x.Chan.Result(); x.Out.Status() != 503 || finishes != 1 || !errors.Is(err, qos.ErrBusy) {
			t.Errorf("x answered %d (%d finishes) with %v, want 503 once with qos.ErrBusy", x.Out.Status(), finishes, err)
		}
		// The outer filter held back the dispatch of x's inner permit, which
		// went back at once; x's end is the outer filter's refusal, not a
		// client that left the inner queue.
		if st, want := inner.Stats(), (qos.Stats{Max: 1, Admitted: 1}); st != want {
			t.Errorf("inner stats %+v, want %+v", st, want)
		}
		close(g.release)
		<-out.Done()
		wantStats(t, outer, 0, 0)
	})
}

// A request whose wait in the inner of two QoS filters expires is refused
// by the inner one at once: the dispatch that carries its refusal passes
// the outer filter without taking a place there, or waiting for one when
// none is free.
func TestStackedTimeoutInInnerRefusedAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := startStacked(time.Hour, time.Minute)
		g, outer, inner, relInner, h, in, x := st.g, st.outer, st.inner, st.relInner, st.h, st.in, st.x
		wantStats(t, inner, 1, 1)
		// "outer" takes the outer permit and holds it.
		out := start(h, "/?id=outer")
		synctest.Wait()
		wantStats(t, outer, 1, 0)
		// x's wait expires: refused at once, the full outer filter
		// notwithstanding.
		begin := time.Now()
		<-x.Done()
		if d := time.Since(begin); d != time.Minute {
			t.Errorf("refused after %v, want the inner MaxWait", d)
		}
		if _, finishes, err := x.Chan.Result(); x.Out.Status() != 503 || finishes != 1 || !errors.Is(err, qos.ErrBusy) {
			t.Errorf("x answered %d (%d finishes) with %v, want 503 once with qos.ErrBusy", x.Out.Status(), finishes, err)
		}
		if st := outer.Stats(); st.Active != 1 || st.Waiting != 0 || st.Rejected != 0 || st.Admitted != 2 {
			t.Errorf("outer stats %+v, want the one permit held, none refused, two admitted", st)
		}
		if st := inner.Stats(); st.Rejected != 1 {
			t.Errorf("inner stats %+v, want one refused", st)
		}
		close(relInner)
		<-in.Done()
		close(g.release)
		<-out.Done()
		wantStats(t, outer, 0, 0)
		wantStats(t, inner, 0, 0)
	})
}

// stackedSetup is what the stacked tests start from: an outer and an
// inner filter of one place each, the request "inner" holding the inner
// permit until relInner is closed, and x, past the outer filter (whose
// permit it gave back), waiting in the inner one.
type stackedSetup struct {
	g            *gate
	outer, inner *qos.Filter
	relInner     chan struct{}
	h            api.Handler
	in, x        *wharftest.Exchange
}

// startStacked starts a stackedSetup whose filters wait at most
// outerWait and innerWait, in the caller's synctest bubble.
func startStacked(outerWait, innerWait time.Duration) stackedSetup {
	st := stackedSetup{
		g:        newGate(),
		outer:    qos.New(qos.Config{MaxRequests: 1, MaxWait: outerWait}),
		inner:    qos.New(qos.Config{MaxRequests: 1, MaxWait: innerWait}),
		relInner: make(chan struct{}),
	}
	st.h = stacked(st.g, st.outer, st.inner, st.relInner)
	st.in = start(st.h, "/?id=inner")
	synctest.Wait()
	st.x = start(st.h, "/?id=x")
	synctest.Wait()
	return st
}

// stacked is the chain of the stacked tests: the request "inner" holds
// the inner permit until relInner closes, "outer" the outer one until g
// lets it go; "inner" passes the outer filter as a path it does not
// guard, "outer" the inner one likewise; any other request goes through
// both.
func stacked(g *gate, outer, inner *qos.Filter, relInner <-chan struct{}) api.Handler {
	return api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		switch r.QueryValue("id") {
		case "outer":
			return g.Serve(w, r)
		case "inner":
			<-relInner
		}
		_, err := w.WriteString("ok " + r.QueryValue("id"))
		return err
	}), api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		if r.QueryValue("id") == "inner" {
			return next.Next(w, r) // on a path the outer filter does not guard
		}
		return outer.Filter(w, r, next)
	}), api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		if r.QueryValue("id") == "outer" {
			return next.Next(w, r) // on a path the inner filter does not guard
		}
		return inner.Filter(w, r, next)
	}))
}

// A Resume the program makes for a suspension of the request that is over
// (a long poll's second event source) lands on the request's wait in the
// inner of two QoS filters, and its re-dispatch waits in the outer one,
// full meanwhile. The inner filter's permit then comes back, and its
// Resume, meant for the inner wait, lands on the outer one, which holds
// that dispatch back too. The inner filter gets its permit back at once
// rather than holding it for a request that waits elsewhere, and counts
// nothing then: the request comes back to its inner wait if the outer
// filter lets it in, and if the outer one refuses it, that refusal is
// counted there, not as a client that left the inner queue.
func TestStackedStaleGrantNotLeft(t *testing.T) {
	tests := []struct {
		name         string
		outerLetsIn  bool // the outer holder leaves before x's outer wait expires
		status       int
		outer, inner qos.Stats
	}{
		{name: "outer wait expires", status: 503,
			outer: qos.Stats{Max: 1, Admitted: 2, Rejected: 1}, inner: qos.Stats{Max: 1, Admitted: 1}},
		{name: "outer lets it in", outerLetsIn: true, status: 200,
			outer: qos.Stats{Max: 1, Admitted: 3}, inner: qos.Stats{Max: 1, Admitted: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := startStacked(time.Minute, time.Hour)
				g, outer, inner, relInner, h, in, x := st.g, st.outer, st.inner, st.relInner, st.h, st.in, st.x
				// "outer" takes the outer permit, which x's pass gave back.
				out := start(h, "/?id=outer")
				synctest.Wait()
				// The stale Resume: x's re-dispatch waits in the outer filter.
				if err := x.Resume(); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				wantStats(t, outer, 1, 1)
				wantStats(t, inner, 1, 1)
				// The inner permit's Resume lands on the outer wait.
				close(relInner)
				<-in.Done()
				synctest.Wait()
				if st := inner.Stats(); st.Active != 0 || st.Waiting != 0 || st.Left != 0 {
					t.Errorf("inner stats %+v while x waits in the outer filter, want its permit back, none waiting or left", st)
				}
				if tc.outerLetsIn {
					close(g.release)
				} else {
					time.Sleep(time.Minute)
				}
				<-x.Done()
				// A refusal is the outer filter's dispatch, through the
				// error pages (qos.ErrBusy), not an answer in place.
				if _, finishes, err := x.Chan.Result(); x.Out.Status() != tc.status || finishes != 1 || (tc.status == 503) != errors.Is(err, qos.ErrBusy) {
					t.Errorf("x answered %d (%d finishes) with %v, want %d once", x.Out.Status(), finishes, err, tc.status)
				}
				if !tc.outerLetsIn {
					close(g.release)
				}
				<-out.Done()
				if st := outer.Stats(); st != tc.outer {
					t.Errorf("outer stats %+v, want %+v", st, tc.outer)
				}
				if st := inner.Stats(); st != tc.inner {
					t.Errorf("inner stats %+v, want %+v", st, tc.inner)
				}
			})
		})
	}
}
