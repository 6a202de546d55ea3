package continuation_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/modes"
)

// What the expired re-dispatch finds of the response the initial pass
// left is the same whether an OnTimeout listener heard of the timeout
// first or none did (a timeout with no listener to run queues the
// re-dispatch at once): the status and header fields set carry over; a
// body written and not sent is dropped, with the status set before it.
func TestExpiredPassCarriesOver(t *testing.T) {
	for _, tc := range []struct {
		name     string
		listener bool // an OnTimeout listener, which does nothing
		body     bool // the initial pass writes a body it does not send
		want     string
	}{
		{"no listener", false, false, "202 kept late"},
		{"no listener, body written", false, true, "200 kept late"},
		{"OnTimeout", true, false, "202 kept late"},
		{"OnTimeout, body written", true, true, "200 kept late"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			modes.Run(t, func(c *container.Container) {
				c.HandleFunc("/", func(w api.Response, r *api.Request) error {
					cc := continuation.Of(r)
					if cc.IsExpired() {
						_, err := w.WriteString("late")
						return err
					}
					w.Header().Set("X-Kept", "kept")
					if err := w.SetStatus(http.StatusAccepted); err != nil {
						return err
					}
					if tc.body {
						if _, err := w.WriteString("early"); err != nil {
							return err
						}
					}
					if tc.listener {
						cc.AddListener(continuation.Listener{OnTimeout: func(api.Response, *api.Request) {}})
					}
					cc.SetTimeout(10 * time.Millisecond)
					return cc.Suspend()
				})
			}, func(t *testing.T, s *modes.Server) {
				req, _ := http.NewRequest("GET", s.URL+"/", nil)
				res, body := s.Do(t, req)
				if got := fmt.Sprintf("%d %s %s", res.StatusCode, res.Header.Get("X-Kept"), body); got != tc.want {
					t.Errorf("answered %q, want %q", got, tc.want)
				}
			})
		})
	}
}
