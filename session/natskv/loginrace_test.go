package natskv_test

import (
	"testing"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
	"github.com/wharf-go/wharf/session/natskv"
)

// A login (RenewID) racing a logout in another tab, on a bucket: the
// logged-out values never reach the new ID, with the Store's
// DeleteRevision and with the Manager's fallback for a Store without it.
func TestLoginRacesLogout(t *testing.T) {
	for _, atomic := range []bool{true, false} {
		t.Run(map[bool]string{true: "RevisionDeleter", false: "fallback"}[atomic], func(t *testing.T) {
			b := natstest.ForTestJetStream(t)
			st, err := natskv.New(t.Context(), b.JetStream(t), natskv.Config{})
			if err != nil {
				t.Fatal(err)
			}
			sessiontest.LoginRacesLogout(t, st, atomic)
		})
	}
}

// DeleteRevision deletes only at the key's revision.
func TestDeleteRevision(t *testing.T) {
	b := natstest.ForTestJetStream(t)
	st, err := natskv.New(t.Context(), b.JetStream(t), natskv.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sessiontest.RevisionDeletes(t, st)
}
