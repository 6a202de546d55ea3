package session_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
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

// A new session whose save failed as its request ended, its cookie taken
// back, is not saved again when the request completes: stored under an ID
// no client holds, it would only take a place in the store.
func TestFailedFirstSaveNotRetriedAtCompletion(t *testing.T) {
	mem := session.NewMemoryStore(session.MemoryConfig{})
	defer mem.Close()
	saved := make(chan string, 4)
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.Filter("/*", session.New(session.Config{Store: recordSaves{&failOnce{Store: mem}, saved}}))
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		session.Of(r).Set("user", "alice")
		return nil
	})
	ended := make(chan struct{})
	c.Filter("/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		if err := async.OnComplete(r, func(error) { close(ended) }); err != nil {
			return err
		}
		return next.Next(w, r)
	}))
	addr := wharftest.Listen(t, c)
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	<-ended
	if resp.StatusCode != http.StatusInternalServerError || len(resp.Cookies()) != 0 {
		t.Fatalf("answered %d with cookies %v; want 500 and none", resp.StatusCode, resp.Cookies())
	}
	select {
	case id := <-saved:
		t.Fatalf("session %s saved after its cookie was taken back", id)
	default:
	}
}

// failOnce is a store whose first Save fails: it is back at once.
type failOnce struct {
	session.Store
	saves atomic.Int32
}

func (s *failOnce) Save(ctx context.Context, id string, r session.Record) (uint64, error) {
	if s.saves.Add(1) == 1 {
		return 0, errors.New("boom")
	}
	return s.Store.Save(ctx, id, r)
}

// recordSaves sends the ID of every session its store saved.
type recordSaves struct {
	session.Store
	saved chan<- string
}

func (s recordSaves) Save(ctx context.Context, id string, r session.Record) (uint64, error) {
	rev, err := s.Store.Save(ctx, id, r)
	if err == nil {
		s.saved <- id
	}
	return rev, err
}
