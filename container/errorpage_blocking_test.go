package container_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestPrepareCountsErrorPages: an error page runs where the failed
// request's chain ran, so a chain that may fail into a page that may
// block is not NonBlocking: the 405 the container answers itself, and a
// NonBlocking handler's error.
func TestPrepareCountsErrorPages(t *testing.T) {
	nb := api.NonBlockingFunc(func(w api.Response, r *api.Request) error { return nil })
	blockingPage := api.HandlerFunc(func(w api.Response, r *api.Request) error { return nil })
	nbPage := api.NonBlockingFunc(func(w api.Response, r *api.Request) error { return nil })
	for _, tc := range []struct {
		name         string
		pages        func(c *container.Container)
		method, path string
		want         api.InvocationType
	}{
		{"no page, 405", func(*container.Container) {}, "DELETE", "/nb", api.NonBlocking},
		{"no page", func(*container.Container) {}, "GET", "/nb", api.NonBlocking},
		{"blocking 405 page, 405", func(c *container.Container) { c.ErrorPage(405, blockingPage) }, "DELETE", "/nb", api.Blocking},
		{"blocking 500 page", func(c *container.Container) { c.ErrorPage(500, blockingPage) }, "GET", "/nb", api.Blocking},
		{"blocking page by error", func(c *container.Container) { container.ErrorPageAs[error](c.Root(), blockingPage) }, "GET", "/nb", api.Blocking},
		{"NonBlocking 405 page, 405", func(c *container.Container) { c.ErrorPage(405, nbPage) }, "DELETE", "/nb", api.NonBlocking},
		{"NonBlocking page by error", func(c *container.Container) { c.ErrorPageFor(io.EOF, nbPage) }, "GET", "/nb", api.NonBlocking},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := container.New()
			c.Handle("GET /nb", nb)
			tc.pages(c)
			c.Start()
			s := &fakeStream{head: api.RequestHead{Method: tc.method, Target: tc.path, Path: tc.path, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}}
			var p connector.Prepared = c.Prepare(s)
			if got := p.InvocationType(); got != tc.want {
				t.Errorf("%s %s: %v, want %v", tc.method, tc.path, got, tc.want)
			}
			p.Start()
		})
	}
}

// TestBlockingErrorPageStallsNothing: while the error page of a 405 waits
// (on a database, a template's lock), the server goes on serving other
// connections. Run on the producer of the epoll connector, as the 405's
// NonBlocking chain was, it held up every connection that producer polls.
func TestBlockingErrorPageStallsNothing(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	c := container.New(modes.Options(modes.H1)...)
	c.HandleFunc("GET /x", func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "x")
		return err
	})
	c.ErrorPage(http.StatusMethodNotAllowed, api.HandlerFunc(func(w api.Response, r *api.Request) error {
		close(entered)
		<-release
		_, err := io.WriteString(w, "not allowed")
		return err
	}))
	s := modes.Start(t, modes.H1, c)
	failed := make(chan int, 1)
	go func() {
		resp, err := s.Client.Post(s.URL+"/x", "text/plain", nil)
		if err != nil {
			failed <- 0
			return
		}
		resp.Body.Close()
		failed <- resp.StatusCode
	}()
	<-entered
	// A bound, not a wait: the answer comes at once unless the page's
	// wait holds the connector up.
	cl := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	for range 4 { // new connections, spread over the selectors
		resp, err := cl.Get(s.URL + "/x")
		if err != nil {
			t.Errorf("GET /x while the 405 page waits: %v", err)
			break
		}
		resp.Body.Close()
	}
	close(release)
	if st := <-failed; st != http.StatusMethodNotAllowed {
		t.Errorf("POST /x = %d, want 405", st)
	}
}
