package session_test

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// The allocations the Manager adds to a request with a stored session,
// pinned so that a regression fails. To read it: the Session; the
// cookies parsed (the field's values copied, the Cookie, its slice); the
// store's deadline for Load (context, cancel function and timer: four);
// the values the MemoryStore copies out (map and table); the derived
// Request. Writing adds the deadline for Save (four) and the copy the
// store keeps (two), and so on. No deadline is made when the dispatch
// has nothing to write, and the Manager makes no copy of its own of the
// values the store copied.
func TestAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	store := session.NewMemoryStore(session.MemoryConfig{})
	t.Cleanup(func() { store.Close() })
	id := rand.Text()
	now := time.Now()
	if _, err := store.Save(t.Context(), id, session.Record{
		Values:  map[string]string{"user": "ana", "theme": "dark"},
		Created: now, LastAccess: now, Expires: now.Add(time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	nop := api.HandlerFunc(func(api.Response, *api.Request) error { return nil })
	m := session.New(session.Config{Store: store})
	r := api.NewRequest(t.Context(), wharftest.Head("GET", "/", "Cookie", "wharf_session="+id), nil)
	for _, tt := range []struct {
		name string
		h    api.HandlerFunc
		want float64
	}{
		{"read", func(w api.Response, r *api.Request) error {
			if v, _ := session.Of(r).Get("user"); v != "ana" {
				t.Errorf("user %q", v)
			}
			return nil
		}, 11},
		{"write", func(w api.Response, r *api.Request) error {
			session.Of(r).Set("theme", "light")
			return nil
		}, 19},
	} {
		got := wharftest.AddedAllocs(100, api.Compose(tt.h, m), nop, r)
		t.Logf("%s: %v", tt.name, got)
		if got > tt.want {
			t.Errorf("%s: %v allocations a request, want at most %v", tt.name, got, tt.want)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	store := session.NewMemoryStore(session.MemoryConfig{})
	b.Cleanup(func() { store.Close() })
	id := rand.Text()
	now := time.Now()
	if _, err := store.Save(b.Context(), id, session.Record{Values: map[string]string{"user": "ana"},
		Created: now, LastAccess: now, Expires: now.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		session.Of(r).Get("user")
		return nil
	}), session.New(session.Config{Store: store}))
	r := api.NewRequest(b.Context(), wharftest.Head("GET", "/", "Cookie", "wharf_session="+id), nil)
	for b.Loop() {
		_ = h.Serve(wharftest.NewRecorder(), r)
	}
}
