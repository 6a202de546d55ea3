package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"weak"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// formApp is a session Manager, a FormLogin and a handler that records
// the user, driven without a container.
type formApp struct {
	chain    api.Handler
	ctx      context.Context // of the requests do sends; nil: Background
	detached *api.Request    // what /detach kept
}

func newFormApp(cfg auth.FormConfig, outer ...api.Filter) *formApp {
	return newSessionApp(session.New(session.Config{}), auth.FormLogin(cfg), outer...)
}

// newSessionApp is a formApp with the session Manager m and the filter f
// that reads the user back (FormLogin or SessionUser) behind outer. Its
// handler also logs in at /api/login, as a login handler of the
// program's own does, and out at /api/logout.
func newSessionApp(m *session.Manager, f api.Filter, outer ...api.Filter) *formApp {
	a := new(formApp)
	filters := append(outer, m, f)
	a.chain = api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		switch r.Path() {
		case "/corrupt":
			// What only a bug or a foreign writer would do: the key
			// FormLogin keeps the roles under, with something else.
			session.Of(r).Set("auth.roles", "{not json")
			return nil
		case "/detach":
			// What a WebSocket upgrade keeps for the connection's life.
			a.detached = r.Detach(context.Background())
			return nil
		case "/api/login":
			if err := auth.Login(r, auth.User{Name: "ana", Roles: []string{"admin", "dev"}}); err != nil {
				return err
			}
		case "/api/logout":
			return auth.Logout(r)
		}
		u, ok := auth.UserOf(r)
		if ok {
			_, err := w.WriteString("user " + u.Name + " " + strings.Join(u.Roles, ","))
			return err
		}
		_, err := w.WriteString("nobody")
		return err
	}), filters...)
	return a
}

// do sends one request with the given session cookie ("" for none) and
// form body (nil for none).
func (a *formApp) do(method, path, cookie string, form url.Values) (*wharftest.Recorder, error) {
	var kv []string
	if cookie != "" {
		kv = append(kv, "Cookie", "wharf_session="+cookie)
	}
	if form != nil {
		kv = append(kv, "Content-Type", "application/x-www-form-urlencoded")
	}
	h := wharftest.Head(method, path, kv...)
	if form != nil {
		body := form.Encode()
		h.Body = readCloser{strings.NewReader(body)}
		h.ContentLength = int64(len(body))
	}
	rec := wharftest.NewRecorder()
	ctx := a.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	r := api.NewRequest(ctx, h, nil)
	err := a.chain.Serve(rec, r)
	return rec, err
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

// sessionCookie returns the session ID rec sets, "" if it sets none, and
// "-" if it drops the cookie.
func sessionCookie(rec *wharftest.Recorder) string {
	for _, c := range (&http.Response{Header: rec.Header()}).Cookies() {
		if c.Name == "wharf_session" {
			if c.MaxAge < 0 || c.Value == "" {
				return "-"
			}
			return c.Value
		}
	}
	return ""
}

func rolesCheck(ctx context.Context, user, password string) (auth.User, bool) {
	if user == "ana" && password == "s3cret" {
		return auth.User{Roles: []string{"admin", "dev"}}, true
	}
	if user == "bo" && password == "hunter2" {
		return auth.User{Name: "Bo"}, true
	}
	return auth.User{}, false
}

func TestFormLogin(t *testing.T) {
	creds := func(user, password string) url.Values { return url.Values{"user": {user}, "password": {password}} }
	tests := []struct {
		name      string
		cfg       auth.FormConfig
		method    string
		path      string
		form      url.Values
		status    int
		location  string
		body      string // of the handler or Failure; "" to skip
		challenge string
		wantErr   error
		loggedIn  string // the user a later request sees: "" for nobody
	}{
		{name: "login", cfg: auth.FormConfig{Check: rolesCheck}, method: "POST", path: "/login", form: creds("ana", "s3cret"),
			status: 303, location: "/", loggedIn: "user ana admin,dev"},
		{name: "Check's name wins", cfg: auth.FormConfig{Check: rolesCheck}, method: "POST", path: "/login", form: creds("bo", "hunter2"),
			status: 303, location: "/", loggedIn: "user Bo "},
		{name: "wrong password", cfg: auth.FormConfig{Check: rolesCheck}, method: "POST", path: "/login", form: creds("ana", "guess"),
			status: 401, challenge: `Form realm="wharf"`, wantErr: auth.ErrBadCredentials},
		{name: "no user field", cfg: auth.FormConfig{Check: func(context.Context, string, string) (auth.User, bool) { return auth.User{}, true }},
			method: "POST", path: "/login", form: url.Values{"password": {"x"}}, status: 400, wantErr: auth.ErrLoginFields},
		{name: "no password field", cfg: auth.FormConfig{Check: func(context.Context, string, string) (auth.User, bool) { return auth.User{}, true }},
			method: "POST", path: "/login", form: url.Values{"user": {"ana"}}, status: 400, wantErr: auth.ErrLoginFields},
		{name: "fields named otherwise", cfg: auth.FormConfig{Check: rolesCheck}, method: "POST", path: "/login",
			form: url.Values{"username": {"ana"}, "password": {"s3cret"}}, status: 400, wantErr: auth.ErrLoginFields},
		{name: "empty user field", cfg: auth.FormConfig{Check: func(context.Context, string, string) (auth.User, bool) { return auth.User{}, true }},
			method: "POST", path: "/login", form: creds("", "x"), status: 401, challenge: `Form realm="wharf"`, wantErr: auth.ErrBadCredentials},
		{name: "nil Check", method: "POST", path: "/login", form: creds("ana", "s3cret"), status: 401, challenge: `Form realm="wharf"`, wantErr: auth.ErrBadCredentials},
		{name: "Failure handler", method: "POST", path: "/login", form: creds("ana", "guess"),
			cfg: auth.FormConfig{Check: rolesCheck, Realm: "shop", Failure: api.HandlerFunc(func(w api.Response, r *api.Request) error {
				_, err := w.WriteString("try again")
				return err
			})},
			status: 401, body: "try again", challenge: `Form realm="shop"`},
		{name: "configured paths, fields and target", method: "POST", path: "/account/signin",
			cfg:  auth.FormConfig{Check: rolesCheck, LoginPath: "/account/signin", UserField: "email", PasswordField: "pw", Target: "/home"},
			form: url.Values{"email": {"ana"}, "pw": {"s3cret"}}, status: 303, location: "/home", loggedIn: "user ana admin,dev"},
		{name: "default path unused when configured", method: "POST", path: "/login",
			cfg:  auth.FormConfig{Check: rolesCheck, LoginPath: "/account/signin"},
			form: creds("ana", "s3cret"), status: 200, body: "nobody"},
		{name: "GET of the login page passes", cfg: auth.FormConfig{Check: rolesCheck}, method: "GET", path: "/login", status: 200, body: "nobody"},
		{name: "logout without a session", cfg: auth.FormConfig{LogoutTarget: "/bye"}, method: "POST", path: "/logout", status: 303, location: "/bye"},
		{name: "GET of logout passes", method: "GET", path: "/logout", status: 200, body: "nobody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newFormApp(tt.cfg)
			rec, err := a.do(tt.method, tt.path, "", tt.form)
			status := rec.Status()
			if err != nil {
				status = api.StatusOf(err)
			}
			if status != tt.status || rec.Header().Get("Location") != tt.location {
				t.Errorf("status %d, Location %q (err %v); want %d %q", status, rec.Header().Get("Location"), err, tt.status, tt.location)
			}
			if tt.body != "" && rec.Body() != tt.body {
				t.Errorf("body %q, want %q", rec.Body(), tt.body)
			}
			if c := rec.Header().Get("WWW-Authenticate"); c != tt.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", c, tt.challenge)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err %v, want %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "guess") {
				t.Errorf("the error shows the password: %v", err)
			}
			id := sessionCookie(rec)
			if (tt.loggedIn != "") != (id != "" && id != "-") {
				t.Fatalf("session cookie %q after the request", id)
			}
			if tt.loggedIn == "" {
				return
			}
			rec, err = a.do("GET", "/me", id, nil)
			if err != nil || rec.Body() != tt.loggedIn {
				t.Errorf("next request: %q (err %v), want %q", rec.Body(), err, tt.loggedIn)
			}
		})
	}
}

// TestFormSession follows one client through a session: the ID changes at
// login (fixation), the old ID grants nothing, logout ends the session,
// and roles that do not decode grant nothing.
func TestFormSession(t *testing.T) {
	a := newFormApp(auth.FormConfig{Check: rolesCheck})
	login := url.Values{"user": {"ana"}, "password": {"s3cret"}}

	// An anonymous session first, as a shop's cart would make.
	rec, _ := a.do("POST", "/corrupt", "", nil)
	before := sessionCookie(rec)
	if before == "" || before == "-" {
		t.Fatalf("no anonymous session: %q", before)
	}
	rec, err := a.do("POST", "/login", before, login)
	after := sessionCookie(rec)
	if err != nil || rec.Status() != 303 || after == "" || after == "-" || after == before {
		t.Fatalf("login: status %d, err %v, cookie %q (was %q): want a new ID", rec.Status(), err, after, before)
	}
	if rec, _ := a.do("GET", "/me", before, nil); rec.Body() != "nobody" {
		t.Errorf("the pre-login ID still works: %q", rec.Body())
	}
	// The corrupt roles were in the session before login and moved with
	// it; Login replaced them.
	if rec, _ := a.do("GET", "/me", after, nil); rec.Body() != "user ana admin,dev" {
		t.Errorf("after login: %q", rec.Body())
	}
	if rec, _ := a.do("POST", "/corrupt", after, nil); rec.Body() != "" {
		t.Fatal(rec.Body())
	}
	if rec, _ := a.do("GET", "/me", after, nil); rec.Body() != "nobody" {
		t.Errorf("roles that are not JSON still grant a user: %q", rec.Body())
	}

	rec, _ = a.do("POST", "/login", after, login)
	again := sessionCookie(rec)
	rec, err = a.do("POST", "/logout", again, nil)
	if err != nil || rec.Status() != 303 || rec.Header().Get("Location") != "/" || sessionCookie(rec) != "-" {
		t.Errorf("logout: status %d, err %v, Location %q, cookie %q", rec.Status(), err, rec.Header().Get("Location"), sessionCookie(rec))
	}
	if rec, _ := a.do("GET", "/me", again, nil); rec.Body() != "nobody" {
		t.Errorf("the session outlived logout: %q", rec.Body())
	}
}

// TestFormDetach: a request detached behind FormLogin (a WebSocket's)
// carries the user as the session had it at the upgrade, and keeps
// nothing of the request it came from (whose context is the marker's
// only holder here), which FormLogin's lookup reads.
func TestFormDetach(t *testing.T) {
	type markerKey struct{}
	outer := api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		return next.Next(w, auth.WithUser(r, auth.User{Name: "outer"}))
	})
	tests := []struct {
		name  string
		outer []api.Filter
		login bool
		want  string // "" for no user
	}{
		{"logged in", nil, true, "ana"},
		{"anonymous", nil, false, ""},
		{"anonymous behind an outer user", []api.Filter{outer}, false, "outer"},
		{"logged in behind an outer user", []api.Filter{outer}, true, "ana"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newFormApp(auth.FormConfig{Check: rolesCheck}, tc.outer...)
			cookie := ""
			if tc.login {
				rec, _ := a.do("POST", "/login", "", url.Values{"user": {"ana"}, "password": {"s3cret"}})
				cookie = sessionCookie(rec)
			}
			marker := new([64]byte)
			gone := weak.Make(marker)
			a.ctx = context.WithValue(context.Background(), markerKey{}, marker)
			if _, err := a.do("GET", "/detach", cookie, nil); err != nil || a.detached == nil {
				t.Fatalf("detach: %v", err)
			}
			a.ctx, marker = nil, nil
			runtime.GC()
			if gone.Value() != nil {
				t.Error("the detached request keeps the request it came from reachable")
			}
			u, ok := auth.UserOf(a.detached)
			if ok != (tc.want != "") || u.Name != tc.want {
				t.Errorf("UserOf(detached) = %+v, %v; want %q", u, ok, tc.want)
			}
		})
	}
}

// Without a session Manager in front, FormLogin's lookup cannot run;
// UserOf panics where a handler asks, but Detach (on a WebSocket's way to
// taking the connection over) gives a copy with no user instead.
func TestFormDetachWithoutSessionManager(t *testing.T) {
	var detached *api.Request
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		detached = r.Detach(context.Background())
		return nil
	}), auth.FormLogin(auth.FormConfig{Check: rolesCheck}))
	if err := h.Serve(wharftest.NewRecorder(), api.NewRequest(context.Background(), wharftest.Head("GET", "/ws"), nil)); err != nil {
		t.Fatal(err)
	}
	if u, ok := auth.UserOf(detached); ok {
		t.Errorf("UserOf(detached) = %+v", u)
	}
}

// TestFormOuterUser: a user an outer filter attached (Basic, say) is seen
// when the session has none, and the session's user wins when it has one.
func TestFormOuterUser(t *testing.T) {
	outer := api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		return next.Next(w, auth.WithUser(r, auth.User{Name: "outer"}))
	})
	a := newFormApp(auth.FormConfig{Check: rolesCheck}, outer)
	if rec, _ := a.do("GET", "/me", "", nil); rec.Body() != "user outer " {
		t.Errorf("without a session user: %q", rec.Body())
	}
	rec, _ := a.do("POST", "/login", "", url.Values{"user": {"bo"}, "password": {"hunter2"}})
	if rec, _ := a.do("GET", "/me", sessionCookie(rec), nil); rec.Body() != "user Bo " {
		t.Errorf("with a session user: %q", rec.Body())
	}
}

// A login posted as a multipart form (a form with enctype="multipart/
// form-data") or with no type is answered 415, naming the type it must
// have, not 401 "invalid credentials" for fields the filter never read.
func TestFormLoginType(t *testing.T) {
	for _, ct := range []string{"multipart/form-data; boundary=x", "application/json", ""} {
		a := newFormApp(auth.FormConfig{Check: rolesCheck})
		var kv []string
		if ct != "" {
			kv = []string{"Content-Type", ct}
		}
		h := wharftest.Head("POST", "/login", kv...)
		body := "--x\r\nContent-Disposition: form-data; name=\"user\"\r\n\r\nana\r\n--x--\r\n"
		h.Body, h.ContentLength = readCloser{strings.NewReader(body)}, int64(len(body))
		rec := wharftest.NewRecorder()
		err := a.chain.Serve(rec, api.NewRequest(context.Background(), h, nil))
		if api.StatusOf(err) != http.StatusUnsupportedMediaType || !errors.Is(err, auth.ErrFormType) {
			t.Errorf("Content-Type %q: %v, want 415 with ErrFormType", ct, err)
		}
		if got := rec.Header().Get("Accept-Post"); got != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type %q: Accept-Post %q", ct, got)
		}
	}
}
