package session_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/session"
)

// A response on which the Manager sets or clears the session cookie (a
// new session, RenewID, Invalidate) tells shared caches not to reuse its
// Set-Cookie field, after the handler's own Cache-Control (set before the
// session call, or after it, or before a flush that commits the head
// during the handler), on every protocol; one that sets no cookie keeps
// the handler's field as it was.
func TestSessionCookieNotCached(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", session.New(session.Config{}))
		c.HandleFunc("POST /act", func(w api.Response, r *api.Request) error {
			cc, when := r.QueryValue("cc"), r.QueryValue("when")
			policy := func() {
				if cc != "" {
					w.Header().Set("Cache-Control", cc)
				}
			}
			if when != "after" {
				policy()
			}
			s := session.Of(r)
			var err error
			switch r.QueryValue("op") {
			case "new":
				s.Set("k", "v")
			case "renew":
				err = s.RenewID()
			case "invalidate":
				err = s.Invalidate()
			case "read":
				s.Get("k")
			}
			if err != nil {
				return err
			}
			if when == "after" {
				policy()
			}
			if when == "flush" {
				w.WriteString(strings.Repeat("x", 64<<10))
				return w.Flush()
			}
			return nil
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tc := range []struct {
			op, cc string
			cookie bool     // the response sets or clears the session cookie
			want   []string // its Cache-Control fields
		}{
			{"new", "", true, []string{`no-cache="Set-Cookie"`}},
			{"new", "public, max-age=60", true, []string{`public, max-age=60, no-cache="Set-Cookie"`}},
			{"new", "no-store", true, []string{"no-store"}},
			{"renew", "", true, []string{`no-cache="Set-Cookie"`}},
			{"renew", "public, max-age=60", true, []string{`public, max-age=60, no-cache="Set-Cookie"`}},
			{"renew", "no-store", true, []string{"no-store"}},
			{"invalidate", "", true, []string{`no-cache="Set-Cookie"`}},
			{"invalidate", "public, max-age=60", true, []string{`public, max-age=60, no-cache="Set-Cookie"`}},
			{"invalidate", "no-store", true, []string{"no-store"}},
			{"read", "", false, nil},
			{"read", "public, max-age=60", false, []string{"public, max-age=60"}},
			{"read", "no-store", false, []string{"no-store"}},
		} {
			for _, when := range []string{"before", "after", "flush"} {
				c := client(t, s)
				if tc.op == "renew" || tc.op == "invalidate" || tc.op == "read" {
					// A live session for the request's cookie to name.
					do(t, c, "POST", s.URL+"/act?op=new", nil)
				}
				q := url.Values{"op": {tc.op}, "cc": {tc.cc}, "when": {when}}
				_, resp := do(t, c, "POST", s.URL+"/act?"+q.Encode(), nil)
				got := resp.Header.Values("Cache-Control")
				if (sessionCookie(resp) != nil) != tc.cookie || !slices.Equal(got, tc.want) {
					t.Errorf("%s, handler's %q %s: cookie %v, Cache-Control %q; want cookie %v, %q",
						tc.op, tc.cc, when, sessionCookie(resp), got, tc.cookie, tc.want)
				}
			}
		}
	})
}

// A client that sends no cookie and gets none has nothing to share: its
// response keeps no Cache-Control when the handler set none.
func TestNoSessionCookieNoCacheControl(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", session.New(session.Config{}))
		c.HandleFunc("GET /", func(w api.Response, r *api.Request) error {
			session.Of(r).Get("k")
			return nil
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		_, resp := do(t, s.Client, "GET", s.URL+"/", nil)
		if v, ok := resp.Header["Cache-Control"]; ok || len(resp.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("Cache-Control %q (set: %v), Set-Cookie %q; want none", v, ok, resp.Header.Values("Set-Cookie"))
		}
	})
}
