package session_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/session"
)

// saveFails is a store whose Save fails once failing is set.
type saveFails struct {
	session.Store
	failing *atomic.Bool
	err     error
}

func (s saveFails) Save(ctx context.Context, id string, r session.Record) (uint64, error) {
	if s.failing.Load() {
		return 0, s.err
	}
	return s.Store.Save(ctx, id, r)
}

// A logout that sets a message in the new session it starts, whose save
// then fails, still tells the client to drop its cookie.
func TestLogoutThenFailedSaveDropsCookie(t *testing.T) {
	boom := errors.New("boom")
	mem := session.NewMemoryStore(session.MemoryConfig{})
	defer mem.Close()
	var failing atomic.Bool
	m := session.New(session.Config{Store: saveFails{mem, &failing, boom}})
	w, _ := serve(t, m, "", nil, set("user", "alice"))
	id := setCookie(t, w).Value
	w, err := serve(t, m, id, nil, func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		if err := s.Invalidate(); err != nil {
			return err
		}
		failing.Store(true)
		s.Set("flash", "bye")
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the save's", err)
	}
	if c := setCookie(t, w); c == nil || c.MaxAge >= 0 {
		t.Fatalf("session cookie %v; want the logout's deletion", c)
	}
}
