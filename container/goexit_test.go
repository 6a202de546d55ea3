package container_test

import (
	"context"
	"net/http"
	"runtime"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A handler that ends its goroutine with runtime.Goexit (t.FailNow in a
// handler under test) fails its request as a panicking one does, on
// either connector: the client has its 500 rather than waiting for good,
// the request is counted out (or Shutdown would wait for it), and the
// connection and the executor's one worker serve the next request.
func TestHandlerGoexit(t *testing.T) {
	goexit := func(w api.Response, r *api.Request) error {
		runtime.Goexit()
		return nil
	}
	handlers := []struct {
		name string
		h    api.HandlerFunc
	}{
		{"initial dispatch", goexit},
		{"resumed dispatch", func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			if cont.IsInitial() {
				return cont.SuspendThen(func(c continuation.Continuation) { c.Resume() })
			}
			return goexit(w, r)
		}},
		{"dispatch resumed by another goroutine", func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			if cont.IsInitial() {
				return cont.SuspendThen(func(c continuation.Continuation) { go c.Resume() })
			}
			return goexit(w, r)
		}},
	}
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable, modes.H2C} {
		for _, tt := range handlers {
			t.Run(string(m)+"/"+tt.name, func(t *testing.T) {
				ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, MinWorkers: -1})
				t.Cleanup(func() { ex.Close(context.Background()) }) // after the container's, which modes.Start registers later
				c := container.New(append(modes.Options(m), container.WithExecutor(ex), container.WithLogger(wharftest.DiscardLogger()))...)
				c.HandleFunc("/goexit", tt.h)
				c.HandleFunc("/ok", func(w api.Response, r *api.Request) error { _, err := w.WriteString("ok"); return err })
				s := modes.Start(t, m, c)
				wharftest.GetInTurn(t, s.Client, s.URL,
					wharftest.Want{Path: "/goexit", Status: http.StatusInternalServerError},
					wharftest.Want{Path: "/ok", Status: http.StatusOK, Body: "ok"})
				wharftest.WaitFor(t, "no request active", func() bool { return c.Stats().Active == 0 })
			})
		}
	}
}
