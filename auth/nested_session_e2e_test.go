package auth_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/session"
)

// Behind a FormLogin on "/*" and the site's session Manager, an area with
// a Manager of its own ("/admin/*", its own cookie) guarded by Required:
// the page Required sends a visitor to log in from is kept in the session
// FormLogin's login reads (the site's, which the user logs into), so that
// the login returns there, and the area gets no session of its own for
// it. Required kept it in the innermost session, the area's, which the
// login never reads: the login went to Target, and the redirect set an
// admin_session cookie.
func TestFormReturnsToPageUnderNestedManager(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", session.New(session.Config{}))
		c.Filter("/*", auth.FormLogin(auth.FormConfig{Check: rolesCheck, Target: "/home"}))
		c.Filter("/admin/*", session.New(session.Config{CookieName: "admin_session"}))
		c.Filter("/admin/*", auth.Required(auth.RequiredConfig{LoginURL: "/login"}))
		c.HandleFunc("/admin/*", whoami)
	}
	login := url.Values{"user": {"ana"}, "password": {"s3cret"}}
	steps := []struct {
		method, path string
		form         url.Values
		status       int
		location     string
	}{
		{"GET", "/admin/report?year=2026", nil, http.StatusSeeOther, "/login"},
		{"POST", "/login", login, http.StatusSeeOther, "/admin/report?year=2026"},
		{"GET", "/admin/report", nil, http.StatusOK, ""},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		client, _ := browser(s)
		for i, st := range steps {
			resp, err := send(client, st.method, s.URL+st.path, st.form)
			if err != nil {
				t.Fatalf("%d %s %s: %v", i, st.method, st.path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != st.status || resp.Header.Get("Location") != st.location {
				t.Errorf("%d %s %s: %d to %q, want %d to %q", i, st.method, st.path, resp.StatusCode, resp.Header.Get("Location"), st.status, st.location)
			}
			for _, c := range resp.Cookies() {
				if c.Name == "admin_session" {
					t.Errorf("%d %s %s: set the area's cookie, for no value of the area's", i, st.method, st.path)
				}
			}
		}
	})
}
