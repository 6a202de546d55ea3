package recovery_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/recovery"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestAroundTimeout: below a timeout filter the chain runs on a goroutine
// of the timeout's, so a recovery filter above it never sees the chain's
// panic (the container answers it 500 and logs it), and one below it
// does (OnPanic's 503), as the package doc says.
func TestAroundTimeout(t *testing.T) {
	for _, tt := range []struct {
		name   string
		above  bool // the recovery filter is added before the timeout filter
		status int
		calls  int
	}{
		{"recovery above timeout", true, http.StatusInternalServerError, 0},
		{"recovery below timeout", false, http.StatusServiceUnavailable, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := make(chan any, 100)
			rec := recovery.New(recovery.Config{Logger: wharftest.DiscardLogger(), OnPanic: func(r *api.Request, v any) error {
				calls <- v
				return api.Error(http.StatusServiceUnavailable, "")
			}})
			to := timeout.New(timeout.Config{Timeout: time.Minute})
			build := func(c *container.Container) {
				if tt.above {
					c.Filter("/*", rec)
					c.Filter("/*", to)
				} else {
					c.Filter("/*", to)
					c.Filter("/*", rec)
				}
				c.HandleFunc("/p", func(w api.Response, r *api.Request) error { panic("below") })
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				req, _ := http.NewRequest("GET", s.URL+"/p", nil)
				resp, _ := s.Do(t, req)
				got := 0
				for len(calls) > 0 {
					<-calls
					got++
				}
				if resp.StatusCode != tt.status || got != tt.calls {
					t.Errorf("%d, OnPanic called %d times; want %d, %d", resp.StatusCode, got, tt.status, tt.calls)
				}
			}, container.WithLogger(wharftest.DiscardLogger()))
		})
	}
}
