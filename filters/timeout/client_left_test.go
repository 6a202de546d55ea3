package timeout_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Once the client left, before the timeout, the chain's writes of body
// bytes fail too, with why it left, as they fail once the timeout
// answered: nobody reads the buffer any more, and a handler that streams
// until a write fails (one that does not watch its context) would
// otherwise fill it for as long as it has output, where without the
// filter its writes would fail at once.
func TestWritesAfterClientLeftFail(t *testing.T) {
	gone := errors.New("client gone")
	for _, tt := range []struct {
		name     string
		exchange bool // served by an exchange (async mode), or blocking
	}{
		{"async", true},
		{"blocking", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				type result struct {
					before, write error
					loops         int
				}
				got, ended := make(chan result, 1), make(chan struct{})
				h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					var res result
					_, res.before = w.WriteString("partial")
					<-r.Context().Done()
					<-ended // the filter has seen the client leave
					for res.loops = 0; res.loops < 1000; res.loops++ {
						if _, res.write = w.Write(make([]byte, 1<<10)); res.write != nil {
							break
						}
					}
					got <- res
					return res.write
				}), timeout.New(timeout.Config{Timeout: time.Minute}))
				if tt.exchange {
					x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/"), nil).Begin()
					time.Sleep(time.Second)
					if err := x.FailSuspended(gone); err != nil {
						t.Fatalf("FailSuspended: %v", err)
					}
					<-x.Done()
					synctest.Wait() // the listeners have run
				} else {
					ctx, cancel := context.WithCancelCause(context.Background())
					time.AfterFunc(time.Second, func() { cancel(gone) })
					if err := h.Serve(wharftest.NewRecorder(), wharftest.Request("GET", "/").WithContext(ctx)); !errors.Is(err, gone) {
						t.Fatalf("Serve: %v, want the client's leaving", err)
					}
				}
				close(ended)
				res := <-got
				if res.before != nil {
					t.Errorf("write before the client left: %v", res.before)
				}
				if !errors.Is(res.write, gone) || res.loops != 0 {
					t.Errorf("writes after the client left: %v after %d KiB, want an error at once", res.write, res.loops)
				}
			})
		})
	}
}
