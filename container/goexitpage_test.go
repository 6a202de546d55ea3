package container_test

import (
	"context"
	"errors"
	"io"
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
				ctx, cancel := context.WithTimeout(context.Background(), wharftest.Patience)
				defer cancel()
				for _, want := range []struct {
					path   string
					status int
					body   string
				}{{"/fail", http.StatusInternalServerError, "500 Internal Server Error\n"}, {"/ok", http.StatusOK, "ok"}} {
					req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+want.path, nil)
					resp, err := s.Client.Do(req)
					if err != nil {
						t.Fatalf("GET %s: %v", want.path, err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != want.status || string(body) != want.body {
						t.Fatalf("GET %s: %d %q, want %d %q", want.path, resp.StatusCode, body, want.status, want.body)
					}
				}
				wharftest.WaitFor(t, "no request active", func() bool { return c.Stats().Active == 0 })
			})
		}
	}
}
