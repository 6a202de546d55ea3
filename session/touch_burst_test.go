package session_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/session"
)

// latencyStore takes a millisecond for each Load and Save, as a store
// across the network does, so that concurrent saves meet in rounds.
type latencyStore struct{ session.Store }

func (s latencyStore) Load(ctx context.Context, id string) (session.Record, error) {
	time.Sleep(time.Millisecond)
	return s.Store.Load(ctx, id)
}

func (s latencyStore) Save(ctx context.Context, id string, rec session.Record) (uint64, error) {
	time.Sleep(time.Millisecond)
	return s.Store.Save(ctx, id, rec)
}

// A burst of requests of one session that all find its last access due
// (a page and its XHRs, after a pause) writes it once: the others, whose
// save conflicts with that write, find it done and write nothing, rather
// than each writing again in turn, a store write per request, and failing
// once eight others won before them.
func TestConcurrentTouchesWriteOnce(t *testing.T) {
	for _, n := range []int{2, 8, 24} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mem := session.NewMemoryStore(session.MemoryConfig{})
				defer mem.Close()
				store := &countingStore{Store: latencyStore{mem}}
				m := session.New(session.Config{Store: store, IdleTimeout: 30 * time.Minute})
				w, _ := serve(t, m, "", nil, set("k", "v"))
				id := setCookie(t, w).Value
				time.Sleep(10 * time.Minute) // past a quarter of IdleTimeout: a touch is due
				store.saves.Store(0)
				var loaded sync.WaitGroup
				loaded.Add(n)
				read := func(w api.Response, r *api.Request) error {
					session.Of(r)
					loaded.Done()
					loaded.Wait() // all loaded the same revision
					return nil
				}
				var wg sync.WaitGroup
				for range n {
					wg.Go(func() {
						if _, err := serve(t, m, id, nil, read); err != nil {
							t.Errorf("%d requests: %v", n, err)
						}
					})
				}
				wg.Wait()
				if got := store.saves.Load(); got != int32(n) {
					t.Errorf("%d requests: %d save attempts, want %d (one each, one of them written)", n, got, n)
				}
				time.Sleep(25 * time.Minute) // alive: 35 minutes after its creation, 25 after the touch
				if w, _ := serve(t, m, id, nil, get("k")); w.Body() != "v" {
					t.Errorf("%d requests: the session reads %q after the touch", n, w.Body())
				}
			})
		})
	}
}
