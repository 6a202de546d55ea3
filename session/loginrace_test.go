package session_test

import (
	"testing"

	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// A login (RenewID) racing a logout in another tab, the logout landing
// while the login copies the session to its new ID: the logged-out values
// never reach the new ID, with the MemoryStore's DeleteRevision and with
// the fallback for a Store without it.
func TestLoginRacesLogout(t *testing.T) {
	for _, atomic := range []bool{true, false} {
		t.Run(map[bool]string{true: "RevisionDeleter", false: "fallback"}[atomic], func(t *testing.T) {
			store := session.NewMemoryStore(session.MemoryConfig{})
			defer store.Close()
			sessiontest.LoginRacesLogout(t, store, atomic)
		})
	}
}
