package auth_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/session"
)

// TestEndToEndOptional serves browsers and API clients on the same paths,
// on every protocol: Basic (on /files) or Bearer (on /feeds) with
// Optional, a form login kept in the session, and one Required with a
// login page. A browser is sent to the login form and comes back with a
// session; an API client authenticates by its header, is told when its
// credentials are wrong, and gets a 401 with the challenge of the filter
// that takes them when it sends none and asks for JSON (or a redirect to
// the login page when it says nothing of what it takes, as a browser
// could).
func TestEndToEndOptional(t *testing.T) {
	users := auth.Users(map[string]string{"ana": "s3cret"})
	build := func(c *container.Container) {
		c.Filter("/*", session.New(session.Config{}))
		c.Filter("/files/*", auth.Basic(auth.BasicConfig{Realm: "files", Check: users, Optional: true}))
		c.Filter("/feeds/*", auth.Bearer(auth.BearerConfig{Realm: "feeds", Check: tokens, Optional: true}))
		c.Filter("/*", auth.FormLogin(auth.FormConfig{Check: rolesCheck}))
		c.Filter("/files/*", auth.Required(auth.RequiredConfig{LoginURL: "/login"}))
		c.Filter("/feeds/*", auth.Required(auth.RequiredConfig{LoginURL: "/login"}))
		c.HandleFunc("/files/*", whoami)
		c.HandleFunc("/feeds/*", whoami)
		c.HandleFunc("GET /login", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("the login form")
			return err
		})
	}
	const (
		basicChallenge = `Basic realm="files", charset="UTF-8"`
		bearer         = `Bearer realm="feeds"`
		invalidToken   = `Bearer realm="feeds", error="invalid_token"`
		malformed      = `Bearer realm="feeds", error="invalid_request"`
		form           = `Form realm="wharf"`
	)
	navigate := []string{"Sec-Fetch-Mode", "navigate", "Accept", "text/html"}
	fetch := []string{"Sec-Fetch-Mode", "cors", "Accept", "application/json"}
	json := []string{"Accept", "application/json"}
	type step struct {
		name       string
		browser    bool // sent with the browser's cookie jar
		method     string
		path       string
		header     []string // name, value pairs; Authorization may repeat
		form       url.Values
		status     int
		location   string
		want       string // a prefix of the body
		challenges []string
	}
	steps := []step{
		// A browser.
		{name: "page before login", browser: true, method: "GET", path: "/files/report", header: navigate, status: 303, location: "/login"},
		{name: "the page's fetch before login", browser: true, method: "GET", path: "/files/report", header: fetch, status: 401, challenges: []string{form}, want: "401 Unauthorized: auth: credentials required"},
		{name: "feed before login", browser: true, method: "GET", path: "/feeds/news", header: navigate, status: 303, location: "/login"},
		{name: "login", browser: true, method: "POST", path: "/login", header: navigate, form: url.Values{"user": {"ana"}, "password": {"s3cret"}}, status: 303, location: "/feeds/news"},
		{name: "page after login", browser: true, method: "GET", path: "/files/report", header: navigate, status: 200, want: "ana admin,dev"},
		{name: "the page's fetch after login", browser: true, method: "GET", path: "/files/report", header: fetch, status: 200, want: "ana admin,dev"},
		{name: "feed after login", browser: true, method: "GET", path: "/feeds/news", header: navigate, status: 200, want: "ana admin,dev"},
		// Wrong credentials are refused even with a session.
		{name: "wrong password with a session", browser: true, method: "GET", path: "/files/report", header: []string{"Authorization", basicHeader("ana", "guess")}, status: 401, challenges: []string{basicChallenge}, want: "401 Unauthorized: auth: invalid credentials"},

		// An API client on /files.
		{name: "Basic", method: "GET", path: "/files/report", header: []string{"Authorization", basicHeader("ana", "s3cret"), "Accept", "application/json"}, status: 200, want: "ana "},
		{name: "Basic, wrong password", method: "GET", path: "/files/report", header: []string{"Authorization", basicHeader("ana", "guess")}, status: 401, challenges: []string{basicChallenge}, want: "401 Unauthorized: auth: invalid credentials"},
		{name: "Basic, malformed", method: "GET", path: "/files/report", header: []string{"Authorization", "Basic !!!"}, status: 401, challenges: []string{basicChallenge}, want: "401 Unauthorized: auth: invalid credentials"},
		{name: "no credentials, JSON", method: "GET", path: "/files/report", header: json, status: 401, challenges: []string{basicChallenge}, want: "401 Unauthorized: auth: credentials required"},
		{name: "no credentials, anything", method: "GET", path: "/files/report", status: 303, location: "/login"},
		{name: "a token where Basic is taken", method: "GET", path: "/files/report", header: []string{"Authorization", "Bearer good-token"}, status: 401, challenges: []string{basicChallenge}, want: "401 Unauthorized: auth: credentials required"},
		{name: "Basic, two fields", method: "GET", path: "/files/report", header: []string{"Authorization", basicHeader("ana", "s3cret"), "Authorization", basicHeader("ana", "s3cret")}, status: 400, want: "400 Bad Request: auth: the Authorization field appears more than once"},

		// An API client on /feeds.
		{name: "Bearer", method: "GET", path: "/feeds/news", header: []string{"Authorization", "Bearer good-token"}, status: 200, want: "ana reader"},
		{name: "Bearer, refused", method: "GET", path: "/feeds/news", header: []string{"Authorization", "Bearer forged"}, status: 401, challenges: []string{invalidToken}, want: "401 Unauthorized: auth: invalid token"},
		{name: "Bearer, malformed", method: "GET", path: "/feeds/news", header: []string{"Authorization", "Bearer a b"}, status: 400, challenges: []string{malformed}},
		{name: "no token, JSON", method: "GET", path: "/feeds/news", header: json, status: 401, challenges: []string{bearer}, want: "401 Unauthorized: auth: credentials required"},
		{name: "no token, anything", method: "GET", path: "/feeds/news", status: 303, location: "/login"},
		{name: "Basic where a token is taken", method: "GET", path: "/feeds/news", header: []string{"Authorization", basicHeader("ana", "s3cret")}, status: 401, challenges: []string{bearer}},
	}
	quiet := container.WithLogger(slog.New(slog.DiscardHandler))
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		browserClient, _ := browser(s)
		apiClient := *s.Client
		apiClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		for _, st := range steps {
			var body io.Reader
			if st.form != nil {
				body = strings.NewReader(st.form.Encode())
			}
			req, err := http.NewRequest(st.method, s.URL+st.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if st.form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for i := 0; i < len(st.header); i += 2 {
				req.Header.Add(st.header[i], st.header[i+1])
			}
			client := &apiClient
			if st.browser {
				client = browserClient
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
			if cs := resp.Header.Values("WWW-Authenticate"); !slices.Equal(cs, st.challenges) {
				t.Errorf("%s: WWW-Authenticate %q, want %q", st.name, cs, st.challenges)
			}
		}
	}, quiet)
}

// TestUpgradeNotNavigation: a WebSocket handshake without Sec-Fetch-Mode
// (a browser from before it, or any other client: they send no Accept)
// through Optional Basic, FormLogin and a Required with a login page is
// answered 401 with Basic's challenge, which a login page would not
// serve either, and leaves the page the browser was sent to the login
// from as the one the login returns to. On the protocols WebSocket has
// here: HTTP/1.1's Upgrade.
func TestUpgradeNotNavigation(t *testing.T) {
	users := auth.Users(map[string]string{"ana": "s3cret"})
	build := func(c *container.Container) {
		c.Filter("/*", session.New(session.Config{}))
		c.Filter("/files/*", auth.Basic(auth.BasicConfig{Realm: "files", Check: users, Optional: true}))
		c.Filter("/*", auth.FormLogin(auth.FormConfig{Check: rolesCheck}))
		c.Filter("/files/*", auth.Required(auth.RequiredConfig{LoginURL: "/login"}))
		c.HandleFunc("/files/*", whoami)
	}
	quiet := container.WithLogger(slog.New(slog.DiscardHandler))
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		if !s.Mode.HTTP1() {
			t.Skip("WebSocket is served over HTTP/1.1 only")
		}
		client, _ := browser(s)
		for _, st := range []struct {
			name, method, path string
			header             []string
			form               url.Values
			status             int
			location           string
			challenges         []string
		}{
			{"the page", "GET", "/files/report", []string{"Accept", "text/html"}, nil, 303, "/login", nil},
			{"its WebSocket", "GET", "/files/live", []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, nil, 401, "", []string{`Basic realm="files", charset="UTF-8"`}},
			{"login", "POST", "/login", nil, url.Values{"user": {"ana"}, "password": {"s3cret"}}, 303, "/files/report", nil},
		} {
			var body io.Reader
			if st.form != nil {
				body = strings.NewReader(st.form.Encode())
			}
			req, err := http.NewRequest(st.method, s.URL+st.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if st.form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for i := 0; i < len(st.header); i += 2 {
				req.Header.Add(st.header[i], st.header[i+1])
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != st.status || resp.Header.Get("Location") != st.location || !slices.Equal(resp.Header.Values("WWW-Authenticate"), st.challenges) {
				t.Errorf("%s: %d, Location %q, WWW-Authenticate %q; want %d, %q, %q", st.name, resp.StatusCode,
					resp.Header.Get("Location"), resp.Header.Values("WWW-Authenticate"), st.status, st.location, st.challenges)
			}
		}
	}, quiet)
}
