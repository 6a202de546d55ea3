package session_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// ErrCookieFixed says why the cookie could no longer be set, and so does
// the log line of a new session dropped for it: a login below a timeout
// filter added after the Manager (the order filters/timeout's docs warn
// against) failed with "the response's cookie can no longer change"
// alone, which sent its reader looking at what the handler had written,
// and the dropped session's log line named no cause at all.
func TestCookieFixedSaysWhy(t *testing.T) {
	logs, logger := wharftest.NewLogRecorder()
	build := func(c *container.Container) {
		c.Filter("/*", session.New(session.Config{Logger: logger}))
		// Added after the Manager: its chain runs once the Manager's pass
		// has returned.
		c.Filter("/late/*", timeout.New(timeout.Config{Timeout: time.Minute}))
		renew := func(w api.Response, r *api.Request) error {
			err := session.Of(r).RenewID()
			if !errors.Is(err, session.ErrCookieFixed) {
				_, werr := w.WriteString("RenewID: " + errText(err) + ", want ErrCookieFixed")
				return werr
			}
			_, werr := w.WriteString(err.Error())
			return werr
		}
		c.HandleFunc("/late/renew", renew)
		c.HandleFunc("/late/set", func(w api.Response, r *api.Request) error {
			session.Of(r).Set("user", "alice")
			_, err := w.WriteString("set")
			return err
		})
		c.HandleFunc("/committed/renew", func(w api.Response, r *api.Request) error {
			if _, err := w.WriteString("committed: "); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			return renew(w, r)
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tc := range []struct {
			path, want string
		}{
			{"/late/renew", "add the timeout filter before the Manager"},
			{"/committed/renew", "committed: session: the response's cookie can no longer change: the response has committed"},
		} {
			body, resp := wharftest.Send(t, client(t, s), "GET", s.URL+tc.path, nil)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, tc.want) {
				t.Errorf("GET %s: %s %q, want 200 with %q", tc.path, resp.Status, body, tc.want)
			}
		}
		body, resp := wharftest.Send(t, client(t, s), "GET", s.URL+"/late/set", nil)
		if resp.StatusCode != http.StatusOK || body != "set" || sessionCookie(resp) != nil {
			t.Errorf("GET /late/set: %s %q, cookie %v; want 200 \"set\" with no cookie", resp.Status, body, sessionCookie(resp))
		}
		const dropped = "session: a new session was written after its cookie could no longer be set; it is not stored"
		var why string
		if !wharftest.Poll(func() bool {
			recs := logs.RecordsOf(dropped)
			if len(recs) == 0 {
				return false
			}
			why = recs[len(recs)-1].Attrs["err"].String()
			return true
		}) {
			t.Fatalf("no %q logged", dropped)
		}
		if !strings.Contains(why, "add the timeout filter before the Manager") {
			t.Errorf("the dropped session's log line says err=%q, want the cause", why)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}
