package session_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// A store closed as the program shuts down fails the requests still
// served with 503, as api.ErrShutdown: the instance is going away, which is
// no fault of the program's (500) and no outage to wait out here
// (ErrUnavailable's Retry-After), whether the load or the save found it
// closed.
func TestStoreClosed(t *testing.T) {
	for _, cookie := range []bool{true, false} {
		name := map[bool]string{true: "load", false: "save"}[cookie]
		t.Run(name, func(t *testing.T) {
			store := session.NewMemoryStore(session.MemoryConfig{})
			store.Close()
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			c.Filter("/*", session.New(session.Config{Store: store}))
			c.HandleFunc("/", func(w api.Response, r *api.Request) error {
				session.Of(r).Set("user", "alice")
				return nil
			})
			causes := make(chan error, 1)
			container.ErrorPageAs[error](c.Root(), api.HandlerFunc(func(w api.Response, r *api.Request) error {
				causes <- container.ErrorOf(r)
				_, err := fmt.Fprintf(w, "%d", w.Status())
				return err
			}))
			req, err := http.NewRequest("GET", "http://"+wharftest.Listen(t, c)+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			if cookie {
				req.AddCookie(&http.Cookie{Name: "wharf_session", Value: "AAAAAAAAAAAAAAAAAAAAAAAAAA"})
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "" {
				t.Errorf("answered %d with Retry-After %q, want 503 without", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			cause := <-causes
			if !errors.Is(cause, session.ErrClosed) || !errors.Is(cause, api.ErrShutdown) || errors.Is(cause, session.ErrUnavailable) {
				t.Errorf("error page given %v, want session.ErrClosed and api.ErrShutdown, not ErrUnavailable", cause)
			}
		})
	}
}
