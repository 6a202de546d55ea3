package dos_test

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Delayed requests are capped: each holds its request, connection and a
// timer for the delay, so a flood from many addresses (or many streams)
// would otherwise hold as many as arrive in one Delay. Past MaxDelayed an
// over-limit request is refused at once, and a delay that ends, however
// it ends, gives its place back.
func TestMaxDelayed(t *testing.T) {
	for _, tt := range []struct {
		name string
		end  func(x *wharftest.Exchange) // ends a delayed request
	}{
		{"the delay runs out", func(*wharftest.Exchange) { time.Sleep(time.Second) }},
		{"the client leaves", func(x *wharftest.Exchange) { x.FailSuspended(errors.New("client gone")) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFilter(t, dos.Config{Rate: 0.1, Burst: 1, Delay: time.Second, MaxDelayed: 2})
				h := api.Compose(ok, f)
				begin := func(i int) *wharftest.Exchange {
					head := wharftest.Head("GET", "/")
					head.Conn = &api.ConnInfo{RemoteAddr: fmt.Sprintf("192.0.2.%d:1", i)}
					return wharftest.NewExchangeFor(h, head, nil).Begin()
				}
				for i := range 4 {
					request(h, fmt.Sprintf("192.0.2.%d:1", i)) // takes each client's token
				}
				held := []*wharftest.Exchange{begin(0), begin(1)}
				for i, x := range held {
					if !x.Suspended() {
						t.Fatalf("over-limit request %d is %s, want delayed", i, x.State())
					}
				}
				x := begin(2)
				select {
				case <-x.Done():
				default:
					t.Fatalf("a third over-limit request is %s with %d delayed at most: want refused at once", x.State(), 2)
				}
				if x.Out.Status() != 429 {
					t.Errorf("over MaxDelayed: %d, want 429", x.Out.Status())
				}
				for _, x := range held {
					tt.end(x)
					<-x.Done()
				}
				if x := begin(3); !x.Suspended() {
					t.Errorf("once the delays ended, an over-limit request is %s, want delayed", x.State())
				} else {
					x.FailSuspended(errors.New("client gone"))
					<-x.Done()
				}
			})
		})
	}
}
