package exchange_test

import (
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A continuation's OnTimeout listener added by the request's own work
// after an expiry came from outside (a shutdown's Expire) is told of it,
// as the timeout runs after the work that owns the request: the dispatch
// that suspended and then adds its listener (filters/dos and filters/qos
// do so), or a task queued before the expiry. Its Resume, taken in place
// of the expired re-dispatch, is what the request goes on with.
func TestTimeoutListenerAddedAfterExpire(t *testing.T) {
	for _, tc := range []struct {
		name string
		task bool // the listener is added by a task the dispatch queued, not by the dispatch
	}{
		{"by the suspending dispatch", false},
		{"by a task queued before the expiry", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var seen []string
				note := func(s string) { mu.Lock(); seen = append(seen, s); mu.Unlock() }
				x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					ex := exchange.From(r)
					note("dispatch " + exchange.KindOf(r).String())
					if exchange.KindOf(r) != exchange.DispatchInitial {
						return nil
					}
					if err := ex.Suspend(exchange.ModeContinuation); err != nil {
						return err
					}
					add := func() {
						ex.AddListener(exchange.Listener{OnTimeout: func(api.Response, *api.Request) {
							note("timeout")
							if err := ex.Resume(); err != nil {
								note("resume: " + err.Error())
							}
						}})
					}
					if tc.task {
						if err := ex.Submit(func(api.Response) { add() }, nil); err != nil {
							return err
						}
					}
					// A shutdown expires the request while its dispatch runs.
					done := make(chan error)
					go func() { done <- ex.ExpireAs(exchange.EndShutdown) }()
					if err := <-done; err != nil {
						return err
					}
					if !tc.task {
						add()
					}
					return nil
				}), nil).Begin()
				<-x.Done()
				got := strings.Join(seen, ", ")
				if want := "dispatch initial, timeout, dispatch resumed"; got != want {
					t.Errorf("%s, want %s", got, want)
				}
			})
		})
	}
}
