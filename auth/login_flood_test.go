package auth_test

import (
	"net/url"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/session"
)

// TestLoginAsAnotherUserSurvivesFlood: a login over another user's
// session counts, in a full MemoryStore, as a session its client came
// back for, as every other login over a session does (session's
// TestMemoryStoreFloodKeepsRenewed): a flood of sessions from clients
// that keep no cookies must not log the new user out.
func TestLoginAsAnotherUserSurvivesFlood(t *testing.T) {
	creds := map[string]url.Values{
		"ana": {"user": {"ana"}, "password": {"s3cret"}},
		"bo":  {"user": {"bo"}, "password": {"hunter2"}},
	}
	for _, tc := range []struct{ first, second string }{{"ana", "ana"}, {"ana", "bo"}} {
		t.Run(tc.first+", then "+tc.second, func(t *testing.T) {
			store := session.NewMemoryStore(session.MemoryConfig{MaxSessions: 10})
			defer store.Close()
			a := &formApp{chain: api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				if r.Path() == "/visit" {
					session.Of(r).Set("seen", "1")
					return nil
				}
				u, ok := auth.UserOf(r)
				if !ok {
					_, err := w.WriteString("nobody")
					return err
				}
				_, err := w.WriteString(u.Name)
				return err
			}), session.New(session.Config{Store: store}), auth.FormLogin(auth.FormConfig{Check: rolesCheck}))}
			id := ""
			send := func(cookie, method, path string, form url.Values) string {
				t.Helper()
				rec, err := a.do(method, path, cookie, form)
				if err != nil {
					t.Fatalf("%s %s: %v", method, path, err)
				}
				if c := sessionCookie(rec); c != "" && cookie == id {
					id = c
				}
				return rec.Body()
			}
			send(id, "POST", "/login", creds[tc.first])
			send(id, "GET", "/me", nil)
			send(id, "POST", "/login", creds[tc.second])
			for range 100 {
				send("x", "POST", "/visit", nil)
			}
			if got := send(id, "GET", "/me", nil); got == "nobody" {
				t.Errorf("%s logged out by the flood", tc.second)
			}
		})
	}
}
