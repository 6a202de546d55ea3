package timeout_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Once the timeout answered, the chain's writes fail with ErrTimeout, as
// net/http's TimeoutHandler fails them with http.ErrHandlerTimeout: a
// handler that streams until a write fails stops, instead of filling a
// buffer nobody reads for as long as it runs. Before the timeout they go.
func TestWritesAfterTimeoutFail(t *testing.T) {
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
					before, write, writeString error
					loops                      int
				}
				got := make(chan result, 1)
				h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					var res result
					_, res.before = w.WriteString("partial")
					<-r.Context().Done()
					_, res.writeString = w.WriteString("late")
					// A streaming loop that stops at its first error.
					for res.loops = 0; res.loops < 1000; res.loops++ {
						if _, res.write = w.Write(make([]byte, 1<<10)); res.write != nil {
							break
						}
					}
					got <- res
					return res.write
				}), timeout.New(timeout.Config{Timeout: time.Second}))
				if tt.exchange {
					x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/"), nil).Begin()
					<-x.Done()
				} else {
					if err := h.Serve(wharftest.NewRecorder(), wharftest.Request("GET", "/")); !errors.Is(err, timeout.ErrTimeout) {
						t.Fatalf("Serve: %v", err)
					}
				}
				res := <-got
				if res.before != nil {
					t.Errorf("write before the timeout: %v", res.before)
				}
				if !errors.Is(res.writeString, timeout.ErrTimeout) || !errors.Is(res.write, timeout.ErrTimeout) || res.loops != 0 {
					t.Errorf("writes after the timeout: WriteString %v, Write %v after %d KiB, want ErrTimeout at once",
						res.writeString, res.write, res.loops)
				}
			})
		})
	}
}
