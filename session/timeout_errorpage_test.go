package session_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// The error page of a request whose pass through the Manager is left
// running (below a timeout filter, whose chain goes on after the timeout
// answered) is a dispatch of its own: through the Manager
// (dispatcher.WithFilters), and through an area's own inside it, a new
// session it writes gets its cookie on the error page's response, and
// what it wrote is stored. The Manager took the page's pass for one nested
// in the running pass, and bound the session to the timed-out chain's
// Response, which goes nowhere: the page set no cookie and the value was
// stored under an ID no client held.
func TestErrorPageWhileTimedOutPassRuns(t *testing.T) {
	tests := []struct {
		name, area, cookie string
	}{
		{"site", "", "wharf_session"},
		{"area inside the site", "/admin", "admin_session"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var release chan struct{}
			build := func(c *container.Container) {
				rel := make(chan struct{})
				release = rel
				c.Filter(tc.area+"/slow", timeout.New(timeout.Config{Timeout: 20 * time.Millisecond}))
				c.Filter("/*", session.New(session.Config{}))
				c.Filter("/admin/*", session.New(session.Config{CookieName: "admin_session"}))
				c.HandleFunc("GET "+tc.area+"/get/{key}", sessiontest.GetKey)
				c.HandleFunc(tc.area+"/slow", func(w api.Response, r *api.Request) error {
					session.Peek(r) // reads: no session for it
					<-r.Context().Done()
					<-rel // still in the Managers' passes when the error page runs
					return r.Context().Err()
				})
				c.HandleFunc(tc.area+"/sorry", func(w api.Response, r *api.Request) error {
					session.Of(r).Set("flash", "try again")
					_, err := w.WriteString("sorry")
					return err
				})
				c.ErrorPage(http.StatusServiceUnavailable, api.HandlerFunc(func(w api.Response, r *api.Request) error {
					return dispatcher.Forward(w, r, tc.area+"/sorry", dispatcher.WithFilters())
				}))
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				defer close(release)
				c := client(t, s)
				body, resp := wharftest.Send(t, c, "GET", s.URL+tc.area+"/slow", nil)
				var names []string
				for _, ck := range resp.Cookies() {
					names = append(names, ck.Name)
				}
				if resp.StatusCode != http.StatusServiceUnavailable || body != "sorry" || len(names) != 1 || names[0] != tc.cookie {
					t.Errorf("GET %s/slow: %s %q, cookies %v; want 503 \"sorry\" with %s alone", tc.area, resp.Status, body, names, tc.cookie)
				}
				if v, _ := do(t, c, "GET", s.URL+tc.area+"/get/flash", nil); v != "try again" {
					t.Errorf("after the error page the session reads flash=%q, want \"try again\"", v)
				}
			})
		})
	}
}
