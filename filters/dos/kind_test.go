package dos_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A delayed request reaches the chain as the initial dispatch it is: a
// long poll, as the README writes it, suspends on its first pass through
// the chain, and does not answer at once as if the filter's Resume were its
// event.
func TestDelayedRequestIsInitialDispatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFilter(t, dos.Config{Rate: 10, Burst: 1, Delay: 150 * time.Millisecond})
		for _, tc := range []struct {
			name  string
			first api.Handler // the client's request before the poll
			after time.Duration
		}{
			{"within the burst", nil, time.Minute},
			{"delayed", ok, 150*time.Millisecond + time.Minute},
		} {
			remote := "192.0.2.1:1"
			if tc.first != nil {
				remote = "192.0.2.2:1"
				request(api.Compose(tc.first, f), remote) // takes the client's one token
			}
			begin := time.Now()
			x := request(api.Compose(wharftest.LongPoll, f), remote)
			if got := x.Out.Body(); got != "expired" || time.Since(begin) != tc.after {
				t.Errorf("%s: the poll answered %q after %v, want %q after %v", tc.name, got, time.Since(begin), "expired", tc.after)
			}
		}
	})
}
