package dos_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A delay that a graceful shutdown expires early lets the request try
// again at once; once it is let in, the delay's own timer, still set, must
// not resume whatever the chain suspends the request for next (a long poll
// that waits through the shutdown), as a delayed request trying again.
func TestEarlyExpiredDelayTimerStaysQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFilter(t, dos.Config{Rate: 1, Burst: 1, Delay: time.Second})
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			c := continuation.Of(r)
			if c.IsInitial() {
				c.SetOnShutdown(async.ShutdownWait)
				c.SetTimeout(time.Hour)
				return c.Suspend()
			}
			_, err := w.WriteString("event")
			return err
		}), f)
		// The first request takes the only token; the second, half a
		// token later, is delayed for a second.
		head := wharftest.Head("GET", "/")
		head.Conn = &api.ConnInfo{RemoteAddr: "192.0.2.1:1"}
		first := wharftest.NewExchangeFor(h, head, nil).Begin()
		time.Sleep(500 * time.Millisecond)
		head = wharftest.Head("GET", "/")
		head.Conn = &api.ConnInfo{RemoteAddr: "192.0.2.1:2"}
		x := wharftest.NewExchangeFor(h, head, nil).Begin()
		if st := f.Stats(); st.Delayed != 1 {
			t.Fatalf("stats %+v, want the second request delayed", st)
		}
		// A shutdown expires the delay once the token is back: the request
		// gets in, and its handler waits through the shutdown.
		time.Sleep(700 * time.Millisecond)
		if err := x.ExpireForShutdown(false); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if !x.Suspended() {
			t.Fatalf("after the early expiry the request is %s (%d %q), want let in and waiting", x.State(), x.Out.Status(), x.Out.Body())
		}
		// The delay's second is up.
		time.Sleep(time.Second)
		synctest.Wait()
		if !x.Suspended() {
			t.Errorf("the long poll let in is %s (%d %q), want still waiting", x.State(), x.Out.Status(), x.Out.Body())
		}
		for _, x := range []*wharftest.Exchange{first, x} {
			continuation.Of(x.Req).Resume()
			<-x.Done()
		}
		if st := f.Stats(); st.Passed != 2 || st.Rejected != 0 {
			t.Errorf("stats %+v, want both passed", st)
		}
	})
}
