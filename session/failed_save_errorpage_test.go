package session_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// The changes of a request whose save failed as its dispatch ended are
// dropped from the session, not only from what is left to save: an error
// page forwarded through the Manager (dispatcher.WithFilters) reads the
// session as it was, and a value it sets (a message for the next page)
// is saved alone. The dropped values stayed in the session, the page
// read them, and its save wrote them back with its own: the store had
// cart=2 after a request answered 503 or 500.
func TestFailedSaveDropsChangesFromErrorPage(t *testing.T) {
	mem := session.NewMemoryStore(session.MemoryConfig{})
	defer mem.Close()
	store := &blipStore{Store: mem}
	build := func(c *container.Container) {
		c.Filter("/*", session.New(session.Config{Store: store}))
		c.HandleFunc("GET /get/{key}", sessiontest.GetKey)
		c.HandleFunc("POST /set", func(w api.Response, r *api.Request) error {
			s := session.Of(r)
			s.Set(r.FormValue("k"), r.FormValue("v"))
			if d := r.FormValue("del"); d != "" {
				s.Delete(d)
			}
			return nil
		})
		c.HandleFunc("/oops", func(w api.Response, r *api.Request) error {
			s := session.Of(r)
			cart, _ := s.Get("cart")
			s.Set("flash", "try again")
			_, err := w.WriteString("cart=" + cart)
			return err
		})
		page := api.HandlerFunc(func(w api.Response, r *api.Request) error {
			return dispatcher.Forward(w, r, "/oops", dispatcher.WithFilters())
		})
		c.ErrorPage(http.StatusServiceUnavailable, page)
		c.ErrorPage(http.StatusInternalServerError, page)
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
		wharftest.Send(t, c, "POST", s.URL+"/set", url.Values{"k": {"cart"}, "v": {"1"}})
		wharftest.Send(t, c, "POST", s.URL+"/set", url.Values{"k": {"gone"}, "v": {"x"}})
		for _, tc := range tests {
			store.armed.Store(&tc.err)
			// Sets cart and new, deletes gone: all three dropped.
			body, resp := wharftest.Send(t, c, "POST", s.URL+"/set", url.Values{"k": {"cart"}, "v": {"2"}, "del": {"gone"}})
			if resp.StatusCode != tc.status || body != "cart=1" {
				t.Errorf("%s: a failed save answered %s %q, want %d and the page reading cart=1", tc.name, resp.Status, body, tc.status)
			}
			for _, kv := range [][2]string{{"cart", "1"}, {"gone", "x"}, {"flash", "try again"}} {
				if v, _ := do(t, c, "GET", s.URL+"/get/"+kv[0], nil); v != kv[1] {
					t.Errorf("%s: after a request answered %s the session reads %s=%q, want %q", tc.name, resp.Status, kv[0], v, kv[1])
				}
			}
		}
	})
}
