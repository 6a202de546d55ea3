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
	"github.com/wharf-go/wharf/session/internal/sessiontest"
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

// What a task wrote to a new session after its cookie could no longer be
// set stays out of the store when a re-dispatch of the request writes the
// session, which it can give its cookie (a login): Save told the task
// that its write was dropped (ErrCookieFixed), and the Manager logs as
// much without a Save. The values stayed in the session, and the
// re-dispatch's first write stored them with its own.
func TestOrphanWritesStayDropped(t *testing.T) {
	var mem *session.MemoryStore // the running mode's
	build := func(c *container.Container) {
		mem = session.NewMemoryStore(session.MemoryConfig{})
		c.Filter("/*", session.New(session.Config{Store: mem, Logger: wharftest.DiscardLogger()}))
		c.HandleFunc("GET /get/{key}", sessiontest.GetKey)
		c.HandleFunc("GET /login", func(w api.Response, r *api.Request) error {
			if async.KindOf(r) == async.DispatchInitial {
				ac, err := async.Start(r)
				if err != nil {
					return err
				}
				return ac.Dispatch(func(api.Response) {
					s := session.Of(r)
					s.Set("cart", "boats") // too late for a cookie
					if r.QueryValue("save") != "" {
						if err := s.Save(context.Background()); !errors.Is(err, session.ErrCookieFixed) {
							t.Errorf("the task's Save: %v, want ErrCookieFixed", err)
						}
					}
					ac.Redispatch()
				})
			}
			s := session.Of(r)
			if _, ok := s.Get("cart"); ok {
				t.Errorf("the re-dispatch reads the task's dropped cart")
			}
			s.Set("user", "ana")
			return nil
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		defer mem.Close()
		for _, q := range []string{"", "?save=1"} {
			c := client(t, s)
			if _, resp := wharftest.Send(t, c, "GET", s.URL+"/login"+q, nil); resp.StatusCode != 200 || sessionCookie(resp) == nil {
				t.Fatalf("login%s: %s, cookie %v; want 200 with the cookie", q, resp.Status, sessionCookie(resp))
			}
			for _, kv := range [][2]string{{"user", "ana"}, {"cart", "-"}} {
				if v, _ := do(t, c, "GET", s.URL+"/get/"+kv[0], nil); v != kv[1] {
					t.Errorf("login%s: then %s=%q, want %q", q, kv[0], v, kv[1])
				}
			}
		}
	})
}
