package session_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// deleteBlipStore fails the next Delete with err once armed, and is back
// at once.
type deleteBlipStore struct {
	*blipStore
	armedDelete atomic.Pointer[error]
}

func (s *deleteBlipStore) Delete(ctx context.Context, id string) error {
	if err := s.armedDelete.Swap(nil); err != nil {
		return *err
	}
	return s.blipStore.Delete(ctx, id)
}

// A handler that returns the error of its session's Save, RenewID or
// Invalidate is answered by the Manager's rules for a failed save (503
// with Retry-After for a store it could not reach, 500 for another
// error), and so are the request's changes: dropped, not saved as the
// dispatch returns. The Manager saved them as the dispatch returned, the
// store being back by then, so that a client told to try again (503)
// found them stored, and a retried "add to cart" added twice.
func TestHandlerStoreErrorDropsChanges(t *testing.T) {
	mem := session.NewMemoryStore(session.MemoryConfig{})
	defer mem.Close()
	store := &deleteBlipStore{blipStore: &blipStore{Store: mem}}
	build := func(c *container.Container) {
		c.Filter("/*", session.New(session.Config{Store: store}))
		c.HandleFunc("GET /get/{key}", sessiontest.GetKey)
		c.HandleFunc("POST /set", func(w api.Response, r *api.Request) error {
			s := session.Of(r)
			s.Set(r.FormValue("k"), r.FormValue("v"))
			switch r.FormValue("then") {
			case "save":
				return s.Save(r.Context())
			case "renew":
				return s.RenewID()
			case "invalidate":
				return s.Invalidate()
			}
			return nil
		})
	}
	unreachable := fmt.Errorf("%w: connection refused", session.ErrUnavailable)
	disk := errors.New("disk full")
	tests := []struct {
		then         string
		saveErr, del error
		status       int
	}{
		{"save", unreachable, nil, http.StatusServiceUnavailable},
		{"save", disk, nil, http.StatusInternalServerError},
		{"renew", unreachable, nil, http.StatusServiceUnavailable},
		{"renew", disk, nil, http.StatusInternalServerError},
		{"invalidate", nil, unreachable, http.StatusServiceUnavailable},
		{"invalidate", nil, disk, http.StatusInternalServerError},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		c := client(t, s)
		do(t, c, "POST", s.URL+"/set", url.Values{"k": {"cart"}, "v": {"1"}})
		for _, tc := range tests {
			if tc.saveErr != nil {
				store.armed.Store(&tc.saveErr)
			}
			if tc.del != nil {
				store.armedDelete.Store(&tc.del)
			}
			_, resp := wharftest.Send(t, c, "POST", s.URL+"/set", url.Values{"k": {"cart"}, "v": {"2"}, "then": {tc.then}})
			if resp.StatusCode != tc.status {
				t.Errorf("%s failing with %q: %s, want %d", tc.then, tc.saveErr, resp.Status, tc.status)
			}
			if v, _ := do(t, c, "GET", s.URL+"/get/cart", nil); v != "1" {
				t.Errorf("%s failing (%s): the session reads cart=%q, want the 1 it had", tc.then, resp.Status, v)
			}
		}
	})
}
