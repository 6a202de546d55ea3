package session_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// Save takes only the stored revision: zero creates, a stale one
// conflicts, and each save returns a new revision.
func TestMemoryStoreRevisions(t *testing.T) {
	s := session.NewMemoryStore(session.MemoryConfig{})
	defer s.Close()
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	r1, err := s.Save(ctx, "a", session.Record{Values: map[string]string{"k": "1"}, Expires: exp})
	if err != nil || r1 == 0 {
		t.Fatalf("create: %d, %v", r1, err)
	}
	steps := []struct {
		name string
		rev  uint64
		want error
	}{
		{"create again", 0, session.ErrConflict},
		{"stale revision", r1 + 100, session.ErrConflict},
		{"loaded revision", r1, nil},
		{"the same revision twice", r1, session.ErrConflict},
	}
	for _, st := range steps {
		_, err := s.Save(ctx, "a", session.Record{Values: map[string]string{"k": st.name}, Revision: st.rev, Expires: exp})
		if !errors.Is(err, st.want) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.want)
		}
	}
	rec, err := s.Load(ctx, "a")
	if err != nil || rec.Values["k"] != "loaded revision" || rec.Revision <= r1 {
		t.Fatalf("Load = %+v, %v", rec, err)
	}
	rec.Values["k"] = "changed by the caller"
	if again, _ := s.Load(ctx, "a"); again.Values["k"] != "loaded revision" {
		t.Fatal("the store handed out the map it keeps")
	}
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "a"); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Load after Delete: %v", err)
	}
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatalf("Delete of a missing id: %v", err)
	}
	s.Close()
	if _, err := s.Load(ctx, "a"); !errors.Is(err, session.ErrClosed) {
		t.Fatalf("Load after Close: %v", err)
	}
}

// A full store evicts the least recently used session; loading a session
// makes it recent.
func TestMemoryStoreEvictsLRU(t *testing.T) {
	s := session.NewMemoryStore(session.MemoryConfig{MaxSessions: 3})
	defer s.Close()
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	for _, id := range []string{"a", "b", "c"} {
		if _, err := s.Save(ctx, id, session.Record{Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Load(ctx, "a"); err != nil { // b is now the oldest
		t.Fatal(err)
	}
	if _, err := s.Save(ctx, "d", session.Record{Expires: exp}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		_, err := s.Load(ctx, id)
		if got := err == nil; got != want {
			t.Errorf("%s held = %v, want %v (%v)", id, got, want, err)
		}
	}
	if s.Len() != 3 {
		t.Fatalf("Len = %d, want 3", s.Len())
	}
}

// Expired sessions are not returned, and the store's one timer frees
// them; once the store is empty the timer is not armed again, so nothing
// runs (synctest.Wait would otherwise not return with the bubble idle).
func TestMemoryStoreScavenges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := session.NewMemoryStore(session.MemoryConfig{ScavengeInterval: time.Minute})
		ctx := t.Context()
		now := time.Now()
		s.Save(ctx, "short", session.Record{Expires: now.Add(30 * time.Second)})
		s.Save(ctx, "long", session.Record{Expires: now.Add(90 * time.Second)})
		time.Sleep(30 * time.Second)
		if _, err := s.Load(ctx, "short"); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("expired session loaded: %v", err)
		}
		s.Save(ctx, "short2", session.Record{Expires: now.Add(40 * time.Second)})
		time.Sleep(31 * time.Second) // the first scavenge, at one minute
		synctest.Wait()
		if s.Len() != 1 {
			t.Fatalf("after the first scavenge Len = %d, want 1 (long)", s.Len())
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if s.Len() != 0 {
			t.Fatalf("after the second scavenge Len = %d, want 0", s.Len())
		}
		s.Close()
	})
}

// DeleteRevision deletes only at the stored revision.
func TestMemoryStoreDeleteRevision(t *testing.T) {
	s := session.NewMemoryStore(session.MemoryConfig{})
	defer s.Close()
	sessiontest.RevisionDeletes(t, s)
}

// A full store evicts first the sessions no client came back for: a
// flood of new sessions from clients that keep no cookies (each request
// a new session, as an anonymous request redirected to a login form
// makes) does not push out a user who came back; a flood that sends each
// cookie back once does, as the least recently used.
func TestMemoryStoreFloodEvictsItsOwn(t *testing.T) {
	tests := []struct {
		name      string
		cookies   bool // the flood sends each of its cookies back once
		userAlive bool
	}{
		{"flood without cookies", false, true},
		{"flood that comes back", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := session.NewMemoryStore(session.MemoryConfig{MaxSessions: 10})
			defer store.Close()
			m := session.New(session.Config{Store: store})
			w, _ := serve(t, m, "", nil, set("user", "ann"))
			user := setCookie(t, w).Value
			if w, _ := serve(t, m, user, nil, get("user")); w.Body() != "ann" {
				t.Fatalf("the user's session reads %q", w.Body())
			}
			for range 100 {
				w, _ := serve(t, m, "", nil, set("return", "/account"))
				if tc.cookies {
					serve(t, m, setCookie(t, w).Value, nil, get("return"))
				}
			}
			if n := store.Len(); n != 10 {
				t.Errorf("Len = %d, want 10", n)
			}
			w, _ = serve(t, m, user, nil, get("user"))
			if alive := w.Body() == "ann"; alive != tc.userAlive {
				t.Errorf("user's session reads %q after the flood, alive = %v, want %v", w.Body(), alive, tc.userAlive)
			}
		})
	}
}

// A user who logs in (RenewID, which moves the session to a new ID) and
// then reads the answer keeps the session through a flood from clients
// that keep no cookies: the new ID is the session the user came back
// with, not one of those the flood makes. It was saved among the sessions
// no client came back for and was the first the flood evicted.
func TestMemoryStoreFloodKeepsRenewed(t *testing.T) {
	store := session.NewMemoryStore(session.MemoryConfig{MaxSessions: 10})
	defer store.Close()
	m := session.New(session.Config{Store: store})
	w, _ := serve(t, m, "", nil, set("return", "/account")) // the login form
	login := func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		if err := s.RenewID(); err != nil {
			return err
		}
		s.Set("user", "ann")
		return nil
	}
	w, _ = serve(t, m, setCookie(t, w).Value, nil, login)
	user := setCookie(t, w).Value
	for range 100 {
		serve(t, m, "", nil, set("return", "/account"))
	}
	if w, _ := serve(t, m, user, nil, get("user")); w.Body() != "ann" {
		t.Errorf("the user's session reads %q after the flood, want ann", w.Body())
	}
}
