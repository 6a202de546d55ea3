package qos_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/qos"
)

// Two QoS filters in one chain (a global one and a stricter one on some
// paths): a request let in by the inner one whose re-dispatch then waits in
// the outer one, and times out there, is answered once, by the outer one,
// and gives the inner permit back once.
func TestStackedTimeoutInOuterAnsweredOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		outer := qos.New(qos.Config{MaxRequests: 1, MaxWait: time.Minute})
		inner := qos.New(qos.Config{MaxRequests: 1, MaxWait: time.Hour})
		relInner := make(chan struct{})
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
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
		// "inner" holds the inner permit; "x" waits in the inner filter.
		in := start(h, "/?id=inner")
		synctest.Wait()
		x := start(h, "/?id=x")
		synctest.Wait()
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
		want := "Service Unavailable: too many requests in progress, try again later\n"
		if x.Out.Status() != 503 || x.Out.Body() != want {
			t.Errorf("x answered %d %q, want 503 %q", x.Out.Status(), x.Out.Body(), want)
		}
		if st := inner.Stats(); st.Active != 0 || st.Waiting != 0 || st.Rejected != 0 {
			t.Errorf("inner stats %+v, want nothing active or rejected", st)
		}
		close(g.release)
		<-out.Done()
		wantStats(t, outer, 0, 0)
	})
}
