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
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// blipStore fails the next Save with err once armed, and is back at once.
type blipStore struct {
	session.Store
	armed atomic.Pointer[error]
}

func (s *blipStore) Save(ctx context.Context, id string, r session.Record) (uint64, error) {
	if err := s.armed.Swap(nil); err != nil {
		return 0, *err
	}
	return s.Store.Save(ctx, id, r)
}

// A request of a stored session whose save fails as its dispatch ends is
// answered the store's error (503 with Retry-After for one it could not
// reach, 500 for another), and its changes are dropped: the client, told
// that the request failed (and by the 503 to try it again), finds the
// session as it was. The Manager saved them again when the request
// completed, and the store being back by then, a request answered 503
// had changed the session all the same (a retried "add to cart" added
// twice).
func TestFailedSaveDropsChanges(t *testing.T) {
	mem := session.NewMemoryStore(session.MemoryConfig{})
	defer mem.Close()
	store := &blipStore{Store: mem}
	completed := make(chan struct{}, 1)
	build := func(c *container.Container) {
		c.Filter("/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			if err := async.OnComplete(r, func(error) { completed <- struct{}{} }); err != nil {
				return err
			}
			return next.Next(w, r)
		}))
		c.Filter("/*", session.New(session.Config{Store: store}))
		c.HandleFunc("GET /get/{key}", sessiontest.GetKey)
		c.HandleFunc("POST /set", func(w api.Response, r *api.Request) error {
			session.Of(r).Set(r.FormValue("k"), r.FormValue("v"))
			return nil
		})
	}
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{"unreachable", fmt.Errorf("%w: connection refused", session.ErrUnavailable), http.StatusServiceUnavailable},
		{"another error", errors.New("disk full"), http.StatusInternalServerError},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		c := client(t, s)
		send := func(method, u string, form url.Values) (string, *http.Response) {
			t.Helper()
			body, resp := wharftest.Send(t, c, method, s.URL+u, form)
			<-completed
			return body, resp
		}
		send("POST", "/set", url.Values{"k": {"cart"}, "v": {"1"}})
		for _, tc := range tests {
			store.armed.Store(&tc.err)
			_, resp := send("POST", "/set", url.Values{"k": {"cart"}, "v": {"2"}})
			if resp.StatusCode != tc.status {
				t.Fatalf("%s: a failed save answered %s, want %d", tc.name, resp.Status, tc.status)
			}
			if v, _ := send("GET", "/get/cart", nil); v != "1" {
				t.Errorf("%s: after a request answered %s the session reads cart=%q, want the 1 it had", tc.name, resp.Status, v)
			}
		}
	})
}
