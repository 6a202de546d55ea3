package container_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
)

// lookup returns a *api.StatusError where an error is meant: a nil one,
// returned as an error, is not a nil error.
func lookup() *api.StatusError { return nil }

// A request that fails with a nil pointer for its error (the typed-nil
// mistake, with Wharf's own *api.StatusError, bare or wrapped, from a
// handler, async's Fail or an error page) is answered as a failure, and
// the container goes on: asked for its Unwrap or its Code, the nil pointer
// panicked where no recover was, with the exchange's lock held, and took
// the process down (where a connector recovered it, Shutdown then waited
// on that lock forever), or the request never completed.
func TestNilPointerError(t *testing.T) {
	for _, tt := range []struct {
		name string
		h    api.HandlerFunc
		page api.HandlerFunc // the 404 page, if any
		want int
	}{
		{"returned", func(w api.Response, r *api.Request) error { return lookup() }, nil, 500},
		{"wrapped", func(w api.Response, r *api.Request) error {
			var err error = lookup()
			return fmt.Errorf("lookup: %w", err)
		}, nil, 500},
		{"joined", func(w api.Response, r *api.Request) error {
			var err error = lookup()
			return fmt.Errorf("lookup: %w, %w", api.ErrShutdown, err)
		}, nil, 500},
		{"async Fail", func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			a.Fail(lookup())
			return nil
		}, nil, 500},
		{"error page", func(w api.Response, r *api.Request) error { return api.Error(404, "") },
			func(w api.Response, r *api.Request) error { return lookup() }, 404}, // the page failed: the status stands
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := container.New() // no deferred Close: it would wait on the lock a panic left held
			c.Handle("/fail", tt.h)
			if tt.page != nil {
				c.ErrorPage(404, tt.page)
			}
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, httptest.NewRequest("GET", "/fail", nil))
			if rec.Code != tt.want {
				t.Errorf("answered %d, want %d", rec.Code, tt.want)
			}
			// Its exchange was left locked: Shutdown waited on it forever.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := c.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
	}
}
