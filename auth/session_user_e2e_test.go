package auth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/session"
)

// TestEndToEndSessionUser follows an API client through a JSON login of
// the program's own on every protocol: Login at POST /api/login, then
// SessionUser finds the user on the next requests, under Required (a 401
// for the API, a 303 for the pages) and on a path without Required. A
// path the session Manager covers but SessionUser does not (/bare) never
// sees the user: Login alone only writes the session. Logout ends it.
func TestEndToEndSessionUser(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", session.New(session.Config{}))
		c.Filter("/api/*", auth.SessionUser())
		c.Filter("/app/*", auth.SessionUser())
		c.Filter("/open/*", auth.SessionUser())
		c.Filter("/api/me", auth.Required(auth.RequiredConfig{}))
		c.Filter("/api/admin/*", auth.Required(auth.RequiredConfig{Roles: []string{"admin"}}))
		c.Filter("/app/*", auth.Required(auth.RequiredConfig{LoginURL: "/login"}))
		c.HandleFunc("POST /api/login", func(w api.Response, r *api.Request) error {
			var creds struct{ User, Password string }
			if err := json.NewDecoder(r.Body()).Decode(&creds); err != nil {
				return api.Error(http.StatusBadRequest, "not JSON")
			}
			u, ok := rolesCheck(r.Context(), creds.User, creds.Password)
			if !ok {
				return api.Error(http.StatusUnauthorized, "invalid credentials")
			}
			if u.Name == "" {
				u.Name = creds.User
			}
			return auth.Login(r, u)
		})
		c.HandleFunc("POST /api/logout", func(w api.Response, r *api.Request) error {
			return auth.Logout(r)
		})
		c.HandleFunc("/api/me", whoami)
		c.HandleFunc("/api/admin/me", whoami)
		c.HandleFunc("/app/me", whoami)
		c.HandleFunc("/open/me", whoami)
		c.HandleFunc("/bare/me", whoami)
	}
	type step struct {
		name      string
		method    string
		path      string
		body      string // a JSON body, if any
		status    int
		location  string
		want      string // a prefix of the body
		challenge string
		cookie    string // "new": a new session ID is set; "drop": the cookie is dropped; "": none set
	}
	steps := []step{
		{name: "API before login", method: "GET", path: "/api/me", status: 401, challenge: `Form realm="wharf"`, want: "401 Unauthorized: auth: credentials required"},
		// Behind SessionUser alone, Required keeps no page to return
		// to: no session for an anonymous visitor.
		{name: "page before login", method: "GET", path: "/app/me", status: 303, location: "/login"},
		{name: "open path before login", method: "GET", path: "/open/me", status: 200, want: "nobody"},
		{name: "wrong password", method: "POST", path: "/api/login", body: `{"user":"ana","password":"guess"}`, status: 401, want: "401 Unauthorized: invalid credentials"},
		{name: "login", method: "POST", path: "/api/login", body: `{"user":"ana","password":"s3cret"}`, status: 200, cookie: "new"},
		{name: "API after login", method: "GET", path: "/api/me", status: 200, want: "ana admin,dev"},
		{name: "role after login", method: "GET", path: "/api/admin/me", status: 200, want: "ana admin,dev"},
		{name: "page after login", method: "GET", path: "/app/me", status: 200, want: "ana admin,dev"},
		{name: "open path after login", method: "GET", path: "/open/me", status: 200, want: "ana admin,dev"},
		{name: "a path without SessionUser", method: "GET", path: "/bare/me", status: 200, want: "nobody"},
		{name: "logout", method: "POST", path: "/api/logout", status: 200, cookie: "drop"},
		{name: "API after logout", method: "GET", path: "/api/me", status: 401, challenge: `Form realm="wharf"`},
		{name: "page after logout", method: "GET", path: "/app/me", status: 303, location: "/login"},
		{name: "another user", method: "POST", path: "/api/login", body: `{"user":"bo","password":"hunter2"}`, status: 200, cookie: "new"},
		{name: "without the role", method: "GET", path: "/api/admin/me", status: 403, want: "403 Forbidden: auth: forbidden"},
		{name: "the other user", method: "GET", path: "/api/me", status: 200, want: "Bo "},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		client, _ := browser(s)
		for _, st := range steps {
			req, err := http.NewRequest(st.method, s.URL+st.path, strings.NewReader(st.body))
			if err != nil {
				t.Fatal(err)
			}
			if st.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != st.status || resp.Header.Get("Location") != st.location || !strings.HasPrefix(string(b), st.want) {
				t.Errorf("%s: %d %q %q; want %d %q %q", st.name, resp.StatusCode, resp.Header.Get("Location"), b, st.status, st.location, st.want)
			}
			if c := resp.Header.Get("WWW-Authenticate"); c != st.challenge {
				t.Errorf("%s: WWW-Authenticate %q, want %q", st.name, c, st.challenge)
			}
			var got string
			for _, c := range resp.Cookies() {
				if c.Name == "wharf_session" {
					got = "new"
					if c.MaxAge < 0 || c.Value == "" {
						got = "drop"
					}
				}
			}
			if got != st.cookie {
				t.Errorf("%s: session cookie %q, want %q", st.name, got, st.cookie)
			}
		}
	})
}

// SessionUser behind FormLogin (mapped on some paths of a form login's
// application) still lets Required keep the page to return to, which
// FormLogin's login then returns to.
func TestSessionUserBehindFormLogin(t *testing.T) {
	c := container.New()
	c.Filter("/*", session.New(session.Config{}))
	c.Filter("/*", auth.FormLogin(auth.FormConfig{Check: rolesCheck}))
	c.Filter("/app/*", auth.SessionUser())
	c.Filter("/app/*", auth.Required(auth.RequiredConfig{LoginURL: "/login"}))
	c.HandleFunc("/app/*", whoami)
	s := modes.Start(t, modes.H1, c)
	client, _ := browser(s)
	for _, st := range []struct {
		method, path string
		form         url.Values
		status       int
		location     string
	}{
		{"GET", "/app/report", nil, 303, "/login"},
		{"POST", "/login", url.Values{"user": {"ana"}, "password": {"s3cret"}}, 303, "/app/report"},
		{"GET", "/app/report", nil, 200, ""},
	} {
		resp, err := send(client, st.method, s.URL+st.path, st.form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != st.status || resp.Header.Get("Location") != st.location {
			t.Errorf("%s %s: %d to %q, want %d to %q", st.method, st.path, resp.StatusCode, resp.Header.Get("Location"), st.status, st.location)
		}
	}
}
