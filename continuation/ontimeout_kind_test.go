package continuation_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/modes"
)

// The continuation of the Request an OnTimeout listener is given reports
// IsExpired, as Jetty's does in onTimeout, and neither IsInitial nor
// IsResumed, in the first cycle and in one a resumed pass began. It was
// given the initial Request, whose continuation reported IsInitial and not
// IsExpired, so that a listener that asked which way the request went
// took an expiry for the first dispatch.
func TestOnTimeoutRequestIsExpired(t *testing.T) {
	for _, cycle := range []string{"initial", "resumed"} {
		t.Run(cycle, func(t *testing.T) {
			var mu sync.Mutex
			var seen []string
			modes.Run(t, func(c *container.Container) {
				c.HandleFunc("/", func(w api.Response, r *api.Request) error {
					cc := continuation.Of(r)
					switch {
					case cc.IsExpired():
						_, err := w.WriteString("expired")
						return err
					case cc.IsInitial() && cycle == "resumed":
						if err := cc.Suspend(); err != nil {
							return err
						}
						go cc.Resume()
						return nil
					}
					cc.SetTimeout(10 * time.Millisecond)
					cc.AddListener(continuation.Listener{OnTimeout: func(_ api.Response, r *api.Request) {
						lc := continuation.Of(r)
						mu.Lock()
						seen = append(seen, fmt.Sprintf("initial %v resumed %v expired %v", lc.IsInitial(), lc.IsResumed(), lc.IsExpired()))
						mu.Unlock()
					}})
					return cc.Suspend()
				})
			}, func(t *testing.T, s *modes.Server) {
				mu.Lock()
				seen = nil
				mu.Unlock()
				req, _ := http.NewRequest("GET", s.URL+"/", nil)
				res, body := s.Do(t, req)
				if res.StatusCode != http.StatusOK || string(body) != "expired" {
					t.Errorf("answered %d %q, want 200 \"expired\"", res.StatusCode, body)
				}
				mu.Lock()
				defer mu.Unlock()
				if want := "initial false resumed false expired true"; strings.Join(seen, "; ") != want {
					t.Errorf("OnTimeout's request: %q, want %q", seen, want)
				}
			})
		})
	}
}
