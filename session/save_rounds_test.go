package session_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/session"
)

// rivalStore is a MemoryStore on which other requests keep winning: before
// each of the next rivals updates (Save at a revision, DeleteRevision) of
// the session, another request's write lands (a key "rival" set to its
// number), so that the update meets a conflict that shows progress.
// rivals < 0: forever. broken instead refuses every update with
// ErrConflict, the stored revision unchanged: a Store that is broken.
type rivalStore struct {
	*session.MemoryStore
	rivals atomic.Int32
	broken bool
	wrote  atomic.Int32 // rival writes made
}

func (s *rivalStore) rival(ctx context.Context, id string) bool {
	if s.broken {
		return true
	}
	if n := s.rivals.Load(); n == 0 || n > 0 && !s.rivals.CompareAndSwap(n, n-1) {
		return false
	}
	rec, err := s.MemoryStore.Load(ctx, id)
	if err != nil {
		return false
	}
	rec.Values["rival"] = strconv.Itoa(int(s.wrote.Add(1)))
	if _, err := s.MemoryStore.Save(ctx, id, rec); err != nil {
		panic(err)
	}
	return false
}

func (s *rivalStore) Save(ctx context.Context, id string, rec session.Record) (uint64, error) {
	if rec.Revision != 0 && s.rival(ctx, id) {
		return 0, session.ErrConflict
	}
	return s.MemoryStore.Save(ctx, id, rec)
}

func (s *rivalStore) DeleteRevision(ctx context.Context, id string, rev uint64) error {
	if s.rival(ctx, id) {
		return session.ErrConflict
	}
	return s.MemoryStore.DeleteRevision(ctx, id, rev)
}

// A save, or a login's move to a new ID, that other requests' writes beat
// round after round (a burst of a page's XHRs that all loaded the session
// before any saved) goes on for as long as each round shows another
// request's write, within StoreTimeout: every one of them succeeds, its
// key and the others' kept. A session written without end fails at the
// deadline with a 503 and Retry-After, a store too busy to answer; a
// Store that refuses the revision it gives back (no progress) fails after
// a few rounds with ErrConflict, a 500, rather than spin. A save gave up
// after 8 rounds, progress or not: the ninth request of a burst was
// answered 500 and its key lost.
func TestSaveRounds(t *testing.T) {
	tests := []roundsCase{
		{"a save, no rival", false, 0, false, 0, ""},
		{"a save, 7 rivals", false, 7, false, 0, ""},
		{"a save, 8 rivals", false, 8, false, 0, ""},
		{"a save, 40 rivals", false, 40, false, 0, ""},
		{"a save, rivals without end", false, -1, false, http.StatusServiceUnavailable, "5"},
		{"a save, a broken store", false, 0, true, http.StatusInternalServerError, ""},
		{"a renewal, 8 rivals", true, 8, false, 0, ""},
		{"a renewal, 40 rivals", true, 40, false, 0, ""},
		{"a renewal, rivals without end", true, -1, false, http.StatusServiceUnavailable, "5"},
		{"a renewal, a broken store", true, 0, true, http.StatusInternalServerError, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { saveRounds(t, tc) })
		})
	}
}

type roundsCase struct {
	name   string
	renew  bool
	rivals int32 // -1: forever
	broken bool
	status int // 0: success
	retry  string
}

// saveRounds is one row of TestSaveRounds, in a synctest bubble: the
// waits between rounds, and the deadline, take no time.
func saveRounds(t *testing.T, tc roundsCase) {
	mem := session.NewMemoryStore(session.MemoryConfig{})
	defer mem.Close()
	store := &rivalStore{MemoryStore: mem}
	m := session.New(session.Config{Store: store}) // StoreTimeout 5 s, of fake time
	w, err := serve(t, m, "", nil, set("base", "0"))
	if err != nil {
		t.Fatal(err)
	}
	id := setCookie(t, w).Value
	store.rivals.Store(tc.rivals)
	store.broken = tc.broken
	w, err = serve(t, m, id, nil, func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		if tc.renew {
			if err := s.RenewID(); err != nil {
				return err
			}
		}
		s.Set("mine", "1")
		return nil
	})
	store.rivals.Store(0)
	store.broken = false
	if tc.status != 0 {
		var se *api.StatusError
		code := http.StatusInternalServerError
		if errors.As(err, &se) {
			code = se.Code
		}
		if code != tc.status || !errors.Is(err, session.ErrConflict) || w.Header().Get("Retry-After") != tc.retry {
			t.Fatalf("err = %v (status %d), Retry-After %q; want %d with ErrConflict, Retry-After %q", err, code, w.Header().Get("Retry-After"), tc.status, tc.retry)
		}
		return
	}
	if err != nil {
		t.Fatalf("%d rival writes: %v", store.wrote.Load(), err)
	}
	if c := setCookie(t, w); c != nil {
		id = c.Value
	}
	w, _ = serve(t, m, id, nil, func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		for _, k := range []string{"base", "mine", "rival"} {
			v, _ := s.Get(k)
			w.WriteString(k + "=" + v + " ")
		}
		return nil
	})
	want := "base=0 mine=1 rival= "
	if n := store.wrote.Load(); n > 0 {
		want = "base=0 mine=1 rival=" + strconv.Itoa(int(n)) + " "
	}
	if w.Body() != want {
		t.Fatalf("after %d rival writes the session reads %q, want %q", store.wrote.Load(), w.Body(), want)
	}
}
