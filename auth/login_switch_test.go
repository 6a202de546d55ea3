package auth_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/session"
)

// TestLoginAsAnotherUser: a login over a session that holds another user
// (a shared computer, a second account in the same browser) starts from
// an empty session, so that nothing the first user's requests kept in it
// (a cart, a draft, the program's cache of their records) reaches the
// second; a login over an anonymous session, or the same user's, keeps
// the values, as the anonymous cart follows its visitor to the account.
// The ID changes either way.
func TestLoginAsAnotherUser(t *testing.T) {
	creds := map[string]url.Values{
		"ana": {"user": {"ana"}, "password": {"s3cret"}},
		"bo":  {"user": {"bo"}, "password": {"hunter2"}},
	}
	tests := []struct {
		name          string
		first, second string // "" for no login
		keep          bool   // the note survives the second login
		want          string // the user after it
	}{
		{"anonymous, then ana", "", "ana", true, "user ana admin,dev"},
		{"ana, then ana again", "ana", "ana", true, "user ana admin,dev"},
		{"ana, then bo", "ana", "bo", false, "user Bo "},
		{"bo, then ana", "bo", "ana", false, "user ana admin,dev"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &formApp{chain: api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				s := session.Of(r)
				switch r.Path() {
				case "/note":
					s.Set("note", "kept by "+tc.first)
					return nil
				case "/read":
					note, _ := s.Get("note")
					_, err := w.WriteString(note)
					return err
				}
				u, ok := auth.UserOf(r)
				if !ok {
					_, err := w.WriteString("nobody")
					return err
				}
				_, err := w.WriteString("user " + u.Name + " " + strings.Join(u.Roles, ","))
				return err
			}), session.New(session.Config{}), auth.FormLogin(auth.FormConfig{Check: rolesCheck}))}

			id := ""
			send := func(method, path string, form url.Values) string {
				t.Helper()
				rec, err := a.do(method, path, id, form)
				if err != nil {
					t.Fatalf("%s %s: %v", method, path, err)
				}
				if c := sessionCookie(rec); c != "" {
					id = c
				}
				return rec.Body()
			}
			if tc.first != "" {
				send("POST", "/login", creds[tc.first])
			}
			send("POST", "/note", nil)
			before := id
			send("POST", "/login", creds[tc.second])
			if id == before || id == "-" {
				t.Errorf("session ID %q after the second login, was %q", id, before)
			}
			if got := send("GET", "/me", nil); got != tc.want {
				t.Errorf("user %q, want %q", got, tc.want)
			}
			want := ""
			if tc.keep {
				want = "kept by " + tc.first
			}
			if got := send("GET", "/read", nil); got != want {
				t.Errorf("note %q after the second login, want %q", got, want)
			}
			saved := id
			id = before
			if got := send("GET", "/me", nil); got != "nobody" {
				t.Errorf("the ID from before the second login: %q", got)
			}
			id = saved
		})
	}
}
