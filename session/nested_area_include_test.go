package session_test

import (
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// A page of an area with a Manager of its own (on "/admin/*", inside the
// site's on "/*") that includes a page of the same area through the
// filters (dispatcher.WithFilters) meets both Managers again, the site's
// first: the area's pass, which runs further out, keeps the session, and
// what the page writes after the include gets its cookie and is saved.
// The site's Manager, nested, put its own session on the request, and the
// area's took its own pass for one that began elsewhere: it took the
// session over from itself, and the page's pass, after the include, had
// no Response (the new session set no cookie) and no save.
func TestNestedAreaIncludesOwnPage(t *testing.T) {
	tests := []struct {
		name, target string
		include      bool
	}{
		{"include", "/admin/fragment", true},
		{"include two areas deep", "/admin/x/fragment", true},
		{"forward", "/admin/fragment", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			build := func(c *container.Container) {
				c.Filter("/*", session.New(session.Config{}))
				c.Filter("/admin/*", session.New(session.Config{CookieName: "admin_session"}))
				c.Filter("/admin/x/*", session.New(session.Config{CookieName: "x_session"}))
				c.HandleFunc("GET /admin/get/{key}", sessiontest.GetKey)
				for _, p := range []string{"/admin/fragment", "/admin/x/fragment"} {
					c.HandleFunc(p, func(w api.Response, r *api.Request) error {
						session.Peek(r) // reads
						return nil
					})
				}
				c.HandleFunc("/admin/page", func(w api.Response, r *api.Request) error {
					if !tc.include {
						session.Of(r).Set("after", "1")
						return dispatcher.Forward(w, r, tc.target, dispatcher.WithFilters())
					}
					if err := dispatcher.Include(w, r, tc.target, dispatcher.WithFilters()); err != nil {
						return err
					}
					session.Of(r).Set("after", "1")
					return nil
				})
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				c := client(t, s)
				_, resp := wharftest.Send(t, c, "GET", s.URL+"/admin/page", nil)
				names := cookieNames(resp)
				if resp.StatusCode != http.StatusOK || len(names) != 1 || names[0] != "admin_session" {
					t.Errorf("GET /admin/page: %s, cookies %v; want 200 and admin_session alone", resp.Status, names)
				}
				if v, _ := do(t, c, "GET", s.URL+"/admin/get/after", nil); v != "1" {
					t.Errorf("after GET /admin/page the area's session reads after=%q, want 1", v)
				}
			})
		})
	}
}
