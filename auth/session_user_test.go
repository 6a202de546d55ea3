package auth_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// TestSessionUser: what a later request behind SessionUser sees of a user
// that a handler of the program's own stored with Login. Each step sends
// one request with the cookie the client holds then; "login" keeps the
// ID it was given, "old" sends the one from before the last login.
func TestSessionUser(t *testing.T) {
	const idle = 30 * time.Minute
	outer := api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		return next.Next(w, auth.WithUser(r, auth.User{Name: "outer"}))
	})
	type step struct {
		path string        // "/me" asks UserOf; see newSessionApp for the others
		wait time.Duration // before the request
		old  bool          // send the ID from before the last login
		want string        // the body
	}
	tests := []struct {
		name  string
		outer []api.Filter
		steps []step
	}{
		{"anonymous", nil, []step{
			{path: "/me", want: "nobody"},
		}},
		{"login, then the next request", nil, []step{
			{path: "/api/login", want: "user ana admin,dev"}, // the login's own request sees it too
			{path: "/me", want: "user ana admin,dev"},
		}},
		{"the ID from before the login grants nothing", nil, []step{
			{path: "/corrupt", want: ""}, // an anonymous session first
			{path: "/api/login", want: "user ana admin,dev"},
			{path: "/me", old: true, want: "nobody"},
			{path: "/me", want: "user ana admin,dev"},
		}},
		{"logout", nil, []step{
			{path: "/api/login", want: "user ana admin,dev"},
			{path: "/api/logout", want: ""},
			{path: "/me", want: "nobody"},
		}},
		{"the session expired", nil, []step{
			{path: "/api/login", want: "user ana admin,dev"},
			{path: "/me", wait: idle - time.Minute, want: "user ana admin,dev"},
			{path: "/me", wait: idle + time.Minute, want: "nobody"},
		}},
		{"roles that do not decode", nil, []step{
			{path: "/api/login", want: "user ana admin,dev"},
			{path: "/corrupt", want: ""},
			{path: "/me", want: "nobody"},
		}},
		{"an outer user, until the session has one", []api.Filter{outer}, []step{
			{path: "/me", want: "user outer "},
			{path: "/api/login", want: "user ana admin,dev"},
			{path: "/me", want: "user ana admin,dev"},
			{path: "/api/logout", want: ""},
			{path: "/me", want: "user outer "},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				store := session.NewMemoryStore(session.MemoryConfig{})
				defer store.Close()
				m := session.New(session.Config{Store: store, IdleTimeout: idle})
				a := newSessionApp(m, auth.SessionUser(), tc.outer...)
				var id, old string
				for i, st := range tc.steps {
					time.Sleep(st.wait)
					cookie := id
					if st.old {
						cookie = old
					}
					rec, err := a.do("POST", st.path, cookie, nil)
					if err != nil || rec.Body() != st.want {
						t.Fatalf("step %d, %s: %q (err %v), want %q", i, st.path, rec.Body(), err, st.want)
					}
					switch c := sessionCookie(rec); {
					case c == "-":
						id = ""
					case c != "":
						if st.path == "/api/login" {
							old = id
						}
						id = c
					}
				}
			})
		})
	}
}

// SessionUser reads the session only where UserOf asks, with
// session.Peek: an anonymous request that asks is given no session (no
// cookie), as behind FormLogin.
func TestSessionUserCreatesNoSession(t *testing.T) {
	a := newSessionApp(session.New(session.Config{}), auth.SessionUser())
	rec, err := a.do("GET", "/me", "", nil)
	if err != nil || rec.Body() != "nobody" || sessionCookie(rec) != "" {
		t.Errorf("anonymous: %q (err %v), cookie %q; want nobody and no cookie", rec.Body(), err, sessionCookie(rec))
	}
}

// Without a session Manager in front, SessionUser does as FormLogin does:
// the filter passes the request on, UserOf panics where a handler asks,
// with package session's message that says to map the Manager first, and
// Detach gives a copy with no user.
func TestSessionUserWithoutManager(t *testing.T) {
	var detached *api.Request
	var panicked any
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		detached = r.Detach(context.Background())
		defer func() { panicked = recover() }()
		auth.UserOf(r)
		return nil
	}), auth.SessionUser())
	if err := h.Serve(wharftest.NewRecorder(), api.NewRequest(context.Background(), wharftest.Head("GET", "/"), nil)); err != nil {
		t.Fatal(err)
	}
	if msg, _ := panicked.(string); !strings.Contains(msg, "session.Manager") {
		t.Errorf("UserOf without a Manager: panic %v, want session's message", panicked)
	}
	if u, ok := auth.UserOf(detached); ok {
		t.Errorf("UserOf(detached) = %+v", u)
	}
}

// A request detached behind SessionUser (a WebSocket's) carries the user
// the session had when it was detached.
func TestSessionUserDetach(t *testing.T) {
	a := newSessionApp(session.New(session.Config{}), auth.SessionUser())
	rec, _ := a.do("POST", "/api/login", "", nil)
	if _, err := a.do("GET", "/detach", sessionCookie(rec), nil); err != nil || a.detached == nil {
		t.Fatalf("detach: %v", err)
	}
	if u, ok := auth.UserOf(a.detached); !ok || u.Name != "ana" {
		t.Errorf("UserOf(detached) = %+v, %v; want ana", u, ok)
	}
}
