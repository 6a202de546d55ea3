package dos_test

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request the filter delays is suspended with a continuation; a graceful
// shutdown expires such a request at once. Its expired re-dispatch must not
// go into the chain uncounted, as if the client were within its limit.
func TestDelayedRequestExpiredNotLetIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFilter(t, dos.Config{Rate: 1, Burst: 1, Delay: time.Second})
		var ran atomic.Int32
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			ran.Add(1)
			_, err := w.WriteString("ok")
			return err
		}), f)
		request(h, "192.0.2.1:1") // takes the only token
		head := wharftest.Head("GET", "/")
		head.Conn = &api.ConnInfo{RemoteAddr: "192.0.2.1:2"}
		x := wharftest.NewExchangeFor(h, head, nil).Begin()
		if !x.Suspended() {
			t.Fatalf("over-limit request %s, want delayed", x.State())
		}
		if err := x.ExpireForShutdown(false); err != nil {
			t.Fatal(err)
		}
		<-x.Done()
		if n := ran.Load(); n != 1 || x.Out.Status() != 429 {
			t.Errorf("the chain ran %d times, want once (the over-limit request got in: %d %q)", n, x.Out.Status(), x.Out.Body())
		}
	})
}
