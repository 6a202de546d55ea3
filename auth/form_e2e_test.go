package auth_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/session"
)

// TestEndToEndForm follows a browser through a form login on every
// protocol: pages redirect to the login form and APIs answer 401 until
// login; login moves the session to a new ID; the user reaches handlers
// from the session; logout ends it. An anonymous async request passing
// FormLogin gets no session.
func TestEndToEndForm(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", session.New(session.Config{}))
		c.Filter("/*", auth.FormLogin(auth.FormConfig{Check: rolesCheck, Target: "/app/me"}))
		c.Filter("/app/*", auth.Required(auth.RequiredConfig{LoginURL: "/login"}))
		c.Filter("/api/*", auth.Required(auth.RequiredConfig{}))
		c.HandleFunc("/app/me", whoami)
		c.HandleFunc("/api/me", whoami)
		c.HandleFunc("GET /login", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("the login form")
			return err
		})
		c.HandleFunc("POST /cart", func(w api.Response, r *api.Request) error {
			session.Of(r).Set("cart", "1 book")
			return nil
		})
		c.HandleFunc("GET /cart", func(w api.Response, r *api.Request) error {
			cart, _ := session.Of(r).Get("cart")
			_, err := w.WriteString("cart: " + cart)
			return err
		})
		c.HandleFunc("/async", func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			return a.Dispatch(func(w api.Response) {
				w.WriteString("later")
				a.Complete()
			})
		})
	}
	type step struct {
		name      string
		method    string
		path      string
		form      url.Values
		status    int
		location  string
		body      string
		challenge string
		cookie    string // "new": a new session ID is set; "drop": the cookie is dropped; "": none set
	}
	steps := []step{
		// The page is remembered in a new session, to return to after
		// the login.
		{name: "page before login", method: "GET", path: "/app/me", status: 303, location: "/login", cookie: "new"},
		{name: "API before login", method: "GET", path: "/api/me", status: 401, challenge: `Form realm="wharf"`, body: "401 Unauthorized: auth: credentials required"},
		{name: "async without a session", method: "GET", path: "/async", status: 200, body: "later"},
		{name: "login form", method: "GET", path: "/login", status: 200, body: "the login form"},
		{name: "anonymous session", method: "POST", path: "/cart", status: 200},
		{name: "wrong password", method: "POST", path: "/login", form: url.Values{"user": {"ana"}, "password": {"guess"}},
			status: 401, challenge: `Form realm="wharf"`, body: "401 Unauthorized: auth: invalid credentials"},
		{name: "still nobody", method: "GET", path: "/api/me", status: 401, challenge: `Form realm="wharf"`},
		{name: "session kept after a failed login", method: "GET", path: "/cart", status: 200, body: "cart: 1 book"},
		{name: "login", method: "POST", path: "/login", form: url.Values{"user": {"ana"}, "password": {"s3cret"}}, status: 303, location: "/app/me", cookie: "new"},
		{name: "page after login", method: "GET", path: "/app/me", status: 200, body: "ana admin,dev"},
		{name: "API after login", method: "GET", path: "/api/me", status: 200, body: "ana admin,dev"},
		{name: "the session's values moved to the new ID", method: "GET", path: "/cart", status: 200, body: "cart: 1 book"},
		{name: "logout", method: "POST", path: "/logout", status: 303, location: "/", cookie: "drop"},
		{name: "API after logout", method: "GET", path: "/api/me", status: 401, challenge: `Form realm="wharf"`},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		client, jar := browser(s)
		base, _ := url.Parse(s.URL)
		var ids []string // every session ID the client was given
		for _, st := range steps {
			resp, err := send(client, st.method, s.URL+st.path, st.form)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != st.status || resp.Header.Get("Location") != st.location || !strings.HasPrefix(string(b), st.body) {
				t.Errorf("%s: %d %q %q; want %d %q %q", st.name, resp.StatusCode, resp.Header.Get("Location"), b, st.status, st.location, st.body)
			}
			if c := resp.Header.Get("WWW-Authenticate"); c != st.challenge {
				t.Errorf("%s: WWW-Authenticate %q, want %q", st.name, c, st.challenge)
			}
			var got string
			for _, c := range resp.Cookies() {
				if c.Name != "wharf_session" {
					continue
				}
				switch {
				case c.MaxAge < 0 || c.Value == "":
					got = "drop"
				case len(ids) > 0 && ids[len(ids)-1] == c.Value:
					got = "same"
				default:
					got = "new"
					ids = append(ids, c.Value)
				}
			}
			if got != st.cookie {
				t.Errorf("%s: session cookie %q, want %q", st.name, got, st.cookie)
			}
		}
		// The ID from before the login must not carry the login (fixation).
		if len(ids) != 2 {
			t.Fatalf("session IDs %q, want the anonymous one and the login's", ids)
		}
		jar.SetCookies(base, []*http.Cookie{{Name: "wharf_session", Value: ids[0]}})
		resp, err := client.Get(s.URL + "/api/me")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("the pre-login session ID answers %d", resp.StatusCode)
		}
	})
}

// A page that sent its visitor to log in is where the login returns, once;
// a target that a browser would take to another host is not.
func TestFormReturnsToPage(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", session.New(session.Config{}))
		c.Filter("/*", auth.FormLogin(auth.FormConfig{Check: rolesCheck, Target: "/home"}))
		c.Filter("/app/*", auth.Required(auth.RequiredConfig{LoginURL: "/login"}))
		c.HandleFunc("/app/*", whoami)
		// A page that renders a guarded view, and a failed POST whose
		// error page does: the visitor asked for the page, and for no
		// page to return to.
		c.HandleFunc("GET /page/report", func(w api.Response, r *api.Request) error {
			return dispatcher.Forward(w, r, "/app/view", dispatcher.WithFilters())
		})
		c.HandleFunc("POST /submit", func(w api.Response, r *api.Request) error {
			return api.Error(http.StatusBadRequest, "refused")
		})
		c.ErrorPage(http.StatusBadRequest, api.HandlerFunc(func(w api.Response, r *api.Request) error {
			return dispatcher.Forward(w, r, "/app/oops", dispatcher.WithFilters())
		}))
	}
	login := url.Values{"user": {"ana"}, "password": {"s3cret"}}
	steps := []struct {
		method, path string
		form         url.Values
		location     string
	}{
		{"GET", "/app/report?year=2026", nil, "/login"},
		{"POST", "/login", login, "/app/report?year=2026"},
		{"POST", "/logout", nil, "/"},
		{"POST", "/login", login, "/home"}, // returned there once only
		{"POST", "/logout", nil, "/"},
		{"POST", "/app/report", url.Values{}, "/login"}, // a POST is not repeated
		{"POST", "/login", login, "/home"},
		{"POST", "/logout", nil, "/"},
		{"GET", "//app/x", nil, "/login"}, // a browser goes to the host "app"
		{"POST", "/login", login, "/home"},
		{"POST", "/logout", nil, "/"},
		{"GET", "/page/report?year=2026", nil, "/login"}, // the page forwards to /app/view
		{"POST", "/login", login, "/page/report?year=2026"},
		{"POST", "/logout", nil, "/"},
		{"POST", "/submit", url.Values{}, "/login"}, // its error page forwards to /app/oops
		{"POST", "/login", login, "/home"},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		client, _ := browser(s)
		for i, st := range steps {
			resp, err := send(client, st.method, s.URL+st.path, st.form)
			if err != nil {
				t.Fatalf("%d %s %s: %v", i, st.method, st.path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != st.location {
				t.Errorf("%d %s %s: %d to %q, want 303 to %q", i, st.method, st.path, resp.StatusCode, resp.Header.Get("Location"), st.location)
			}
		}
	})
}

// browser returns a client of s that keeps cookies, as a browser does, and
// returns redirects rather than follow them, with its cookie jar.
func browser(s *modes.Server) (*http.Client, *cookiejar.Jar) {
	jar, _ := cookiejar.New(nil)
	client := *s.Client
	client.Jar = jar
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client, jar
}

// send sends method to target, with form URL-encoded as its body if not
// nil.
func send(client *http.Client, method, target string, form url.Values) (*http.Response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return client.Do(req)
}
