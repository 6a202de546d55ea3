package session_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// A Manager mapped inside another (the site's on "/*", an admin area's
// of its own on "/admin/*", with its own cookie, store and timeouts) gives
// the requests it filters its own session, as a Servlet context's session
// handler does: the admin area's cookie is set, its values are kept in its
// store and not in the site's session. The inner Manager took the outer's
// session and passed the request on untouched, so that its Config (a
// shorter IdleTimeout, a __Host- cookie) never applied.
func TestNestedManagers(t *testing.T) {
	var site, admin *session.MemoryStore // the running mode's
	build := func(c *container.Container) {
		site = session.NewMemoryStore(session.MemoryConfig{})
		admin = session.NewMemoryStore(session.MemoryConfig{})
		c.Filter("/*", session.New(session.Config{Store: site}))
		c.Filter("/admin/*", session.New(session.Config{Store: admin, CookieName: "admin_session"}))
		for _, p := range []string{"", "/admin"} {
			c.HandleFunc("GET "+p+"/get/{key}", sessiontest.GetKey)
			c.HandleFunc("POST "+p+"/set", func(w api.Response, r *api.Request) error {
				session.Of(r).Set(r.FormValue("k"), r.FormValue("v"))
				return nil
			})
		}
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		defer site.Close()
		defer admin.Close()
		c := client(t, s)
		for _, tc := range []struct {
			path, key, cookie string
			store             *session.MemoryStore
		}{
			{"/set", "site", "wharf_session", site},
			{"/admin/set", "admin", "admin_session", admin},
		} {
			_, resp := wharftest.Send(t, c, "POST", s.URL+tc.path, url.Values{"k": {tc.key}, "v": {"v"}})
			names := cookieNames(resp)
			if resp.StatusCode != http.StatusOK || len(names) != 1 || names[0] != tc.cookie {
				t.Errorf("POST %s: %s, cookies %v; want 200 and %s alone", tc.path, resp.Status, names, tc.cookie)
			}
			if n := tc.store.Len(); n != 1 {
				t.Errorf("after POST %s its store holds %d sessions, want 1", tc.path, n)
			}
		}
		for _, tc := range []struct{ path, want string }{
			{"/get/site", "v"},
			{"/get/admin", "-"},
			{"/admin/get/admin", "v"},
			{"/admin/get/site", "-"},
		} {
			if v, _ := do(t, c, "GET", s.URL+tc.path, nil); v != tc.want {
				t.Errorf("GET %s = %q, want %q", tc.path, v, tc.want)
			}
		}
	})
}

// A page of the inner Manager's area that includes or forwards to one of
// the site's through the filters (dispatcher.WithFilters) gives that page
// the site's session, as the outer Manager's pass over the request does:
// a new one's cookie goes out with the response and what the page wrote
// is kept. The outer Manager, met again inside the inner one, bound the
// session to the include's Response, whose header changes go nowhere: the
// include's new session set no cookie and its value was stored under an
// ID no client held.
func TestNestedManagersIncludeOuterPage(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", session.New(session.Config{}))
		c.Filter("/admin/*", session.New(session.Config{CookieName: "admin_session"}))
		c.HandleFunc("GET /get/{key}", sessiontest.GetKey)
		c.HandleFunc("/fragment", func(w api.Response, r *api.Request) error {
			session.Of(r).Set("seen", "1")
			return nil
		})
		c.HandleFunc("/admin/include", func(w api.Response, r *api.Request) error {
			return dispatcher.Include(w, r, "/fragment", dispatcher.WithFilters())
		})
		c.HandleFunc("/admin/forward", func(w api.Response, r *api.Request) error {
			return dispatcher.Forward(w, r, "/fragment", dispatcher.WithFilters())
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, path := range []string{"/admin/include", "/admin/forward"} {
			c := client(t, s)
			_, resp := wharftest.Send(t, c, "GET", s.URL+path, nil)
			names := cookieNames(resp)
			if resp.StatusCode != http.StatusOK || len(names) != 1 || names[0] != "wharf_session" {
				t.Errorf("GET %s: %s, cookies %v; want 200 and wharf_session alone", path, resp.Status, names)
			}
			if v, _ := do(t, c, "GET", s.URL+"/get/seen", nil); v != "1" {
				t.Errorf("after GET %s the site's session reads seen=%q, want 1", path, v)
			}
		}
	})
}
