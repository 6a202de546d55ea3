package auth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/session"
)

// TestAnonymousSuspendAfterUserOf: a long poll open to anonymous clients
// that asks UserOf (to personalize its answer) and suspends only read the
// session, so it gets no cookie, as a request that only reads gets none;
// UserOf once marked the session as one a later task may create, and every
// such poll was given a cookie naming a session never stored. A handler
// that asks for the session itself (session.Of) before suspending still
// gets its cookie at once, as package session documents.
func TestAnonymousSuspendAfterUserOf(t *testing.T) {
	poll := func(ask func(r *api.Request)) api.HandlerFunc {
		return func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			if cont.IsInitial() {
				ask(r)
				cont.SetTimeout(10 * time.Millisecond)
				return cont.Suspend()
			}
			return w.SetStatus(http.StatusNoContent)
		}
	}
	c := container.New()
	c.Filter("/*", session.New(session.Config{}))
	c.Filter("/*", auth.FormLogin(auth.FormConfig{Check: rolesCheck}))
	c.Handle("GET /user", poll(func(r *api.Request) { auth.UserOf(r) }))
	c.Handle("GET /session", poll(func(r *api.Request) { session.Of(r) }))
	s := modes.Start(t, modes.H1, c)
	for _, tc := range []struct {
		path   string
		cookie bool
	}{
		{"/user", false},
		{"/session", true},
	} {
		resp, err := s.Client.Get(s.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("%s: status %d, want 204", tc.path, resp.StatusCode)
		}
		if got := resp.Header.Get("Set-Cookie") != ""; got != tc.cookie {
			t.Errorf("%s: Set-Cookie %q, want one: %v", tc.path, resp.Header.Get("Set-Cookie"), tc.cookie)
		}
	}
}
