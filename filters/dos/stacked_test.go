package dos_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/dos"
)

// Two DoS filters in one chain (a limit per address and one per user, say)
// each count a request once and delay it by their own rule: the
// re-dispatch of a request one of them delayed is not counted again by the
// other, nor taken by it for one it delayed itself.
func TestStackedFilters(t *testing.T) {
	for _, tc := range []struct {
		name         string
		outer, inner dos.Config
	}{
		// The inner filter delays the second request. The outer one let it
		// in already and has no token left for it: counting the
		// re-dispatch again, it would refuse it.
		{"inner delays",
			dos.Config{Rate: 1, Burst: 2, Delay: 150 * time.Millisecond},
			dos.Config{Rate: 10, Burst: 1, Delay: 150 * time.Millisecond}},
		// The outer filter delays the second request. The inner one sees
		// it for the first time, without a token: taking it for one it
		// delayed already, it would refuse it at once instead of delaying
		// it until its token is back.
		{"outer delays",
			dos.Config{Rate: 10, Burst: 1, Delay: 150 * time.Millisecond},
			dos.Config{Rate: 1, Burst: 1, Delay: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tc.inner.Key = func(r *api.Request) string { return r.Header().Get("X-User") }
				outer, inner := newFilter(t, tc.outer), newFilter(t, tc.inner)
				h := api.Compose(ok, outer, inner)
				for i := range 2 {
					if x := request(h, "192.0.2.1:1000", "X-User", "u"); x.Out.Status() != 200 {
						t.Fatalf("request %d: %d %q", i, x.Out.Status(), x.Out.Body())
					}
				}
				for _, st := range []dos.Stats{outer.Stats(), inner.Stats()} {
					if st.Passed != 2 || st.Rejected != 0 {
						t.Errorf("stats %+v, want 2 passed", st)
					}
				}
			})
		})
	}
}
