// Package sessiontest holds the test helpers that the tests of package
// session and of its stores share: they need a container and a Manager,
// which internal/wharftest, imported by the container's own tests, cannot
// import.
package sessiontest

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// StoreFails serves GET / through a Manager of cfg, with a cookie naming
// a session (its load) or without (the save of a new one), and returns
// the answer's status, its Retry-After and the error its error page was
// given (nil if no page ran: the request did not fail), for the tests of
// how a failing store fails the request. The page runs before the answer
// is sent, so it has run once the answer is read.
func StoreFails(t *testing.T, cfg session.Config, cookie bool) (status int, retryAfter string, cause error) {
	t.Helper()
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.Filter("/*", session.New(cfg))
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
	select {
	case cause = <-causes:
	default:
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), cause
}
