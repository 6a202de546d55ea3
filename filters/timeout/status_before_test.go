package timeout_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A status set before the filter runs (a handler that answers its own 404
// with a page it forwards to, the page's filters run) is the chain's to
// start from, as the fields are: the chain sees it (static.Handler serves
// an error page without its caching fields by it), and a chain that sets
// none leaves it, where the buffer started at 200 and its copy answered
// the 404 as a 200.
func TestStatusSetBeforeKept(t *testing.T) {
	page := func(seen chan<- int) api.Handler {
		return api.HandlerFunc(func(w api.Response, r *api.Request) error {
			seen <- w.Status()
			_, err := w.WriteString("not here")
			return err
		})
	}
	t.Run("async", func(t *testing.T) {
		seen := make(chan int, 1)
		c := container.New()
		c.Filter("/errors/*", timeout.New(timeout.Config{Timeout: time.Minute}))
		c.Handle("/errors/404", page(seen))
		c.HandleFunc("/users/{id}", func(w api.Response, r *api.Request) error {
			if err := w.SetStatus(http.StatusNotFound); err != nil {
				return err
			}
			return dispatcher.Forward(w, r, "/errors/404", dispatcher.WithFilters())
		})
		s := modes.Start(t, modes.H1, c)
		resp, err := s.Client.Get(s.URL + "/users/7")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := <-seen; got != http.StatusNotFound {
			t.Errorf("the chain saw %d, want 404", got)
		}
		if resp.StatusCode != http.StatusNotFound || string(b) != "not here" {
			t.Errorf("answered %d %q, want 404 %q", resp.StatusCode, b, "not here")
		}
	})
	t.Run("blocking", func(t *testing.T) {
		seen := make(chan int, 1)
		h := api.Compose(page(seen), timeout.New(timeout.Config{Timeout: time.Minute}))
		rec := wharftest.NewRecorder()
		rec.SetStatus(http.StatusNotFound)
		if err := h.Serve(rec, wharftest.Request("GET", "/")); err != nil {
			t.Fatal(err)
		}
		if got := <-seen; got != http.StatusNotFound {
			t.Errorf("the chain saw %d, want 404", got)
		}
		if rec.Status() != http.StatusNotFound {
			t.Errorf("answered %d, want 404", rec.Status())
		}
	})
}
