package container_test

import (
	"errors"
	"net/http"
	"runtime"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// An error page that ends its goroutine with runtime.Goexit (t.FailNow in
// a page under test) fails as a panicking page does: the client has the
// plain 500 it was rendering, and the request is counted out. Before,
// nothing finished the response or settled the request: the client
// waited for good and Shutdown waited for the request.
//
// A page whose deferred cleanup panics once Goexit began unwinding it
// fails the same way: the panic is recovered, but the Goexit goes on.
func TestErrorPageGoexit(t *testing.T) {
	pages := []struct {
		name string
		page func()
	}{
		{"Goexit", func() { runtime.Goexit() }},
		{"Goexit then panic", func() {
			defer func() { panic("cleanup") }()
			runtime.Goexit()
		}},
	}
	for _, pg := range pages {
		for _, m := range []modes.Mode{modes.H1, modes.H1Portable, modes.H2C} {
			t.Run(pg.name+"/"+string(m), func(t *testing.T) {
				c := container.New(append(modes.Options(m), container.WithLogger(wharftest.DiscardLogger()))...)
				c.HandleFunc("/fail", func(w api.Response, r *api.Request) error { return errors.New("boom") })
				c.HandleFunc("/ok", func(w api.Response, r *api.Request) error { _, err := w.WriteString("ok"); return err })
				c.ErrorPage(http.StatusInternalServerError, api.HandlerFunc(func(w api.Response, r *api.Request) error {
					w.WriteString("half a page")
					pg.page()
					return nil
				}))
				s := modes.Start(t, m, c)
				wharftest.GetInTurn(t, s.Client, s.URL,
					wharftest.Want{Path: "/fail", Status: http.StatusInternalServerError, Body: "500 Internal Server Error\n"},
					wharftest.Want{Path: "/ok", Status: http.StatusOK, Body: "ok"})
				wharftest.WaitFor(t, "no request active", func() bool { return c.Stats().Active == 0 })
			})
		}
	}
}
