package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// An async task's Save of a new session it first wrote after the dispatch
// returned (without Of during the dispatch, see Session) stores nothing,
// as the Manager's own saves do not: no client could be given its cookie.
// It says so, with ErrCookieFixed, where it returned nil, and the handler
// told its client that the write was kept.
func TestSaveOfOrphan(t *testing.T) {
	var mem *session.MemoryStore // the running mode's
	build := func(c *container.Container) {
		mem = session.NewMemoryStore(session.MemoryConfig{})
		c.Filter("/*", session.New(session.Config{Store: mem, Logger: wharftest.DiscardLogger()}))
		c.HandleFunc("GET /late", func(w api.Response, r *api.Request) error {
			ac, err := async.Start(r)
			if err != nil {
				return err
			}
			go ac.Dispatch(func(w api.Response) {
				s := session.Of(r)
				s.Set("cart", "boats") // too late for a cookie
				err := s.Save(context.Background())
				fmt.Fprintf(w, "%v|%v", errors.Is(err, session.ErrCookieFixed), s.ID() == "")
				ac.Complete()
			})
			return nil
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		defer mem.Close()
		body, resp := wharftest.Send(t, s.Client, "GET", s.URL+"/late", nil)
		if body != "true|true" || sessionCookie(resp) != nil || mem.Len() != 0 {
			t.Fatalf("Save's error is ErrCookieFixed, the session has no ID: %q; cookie %v, %d stored; want true|true, none, 0", body, sessionCookie(resp), mem.Len())
		}
	})
}
