package session_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/timeout"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// The error page of a request whose pass through the Manager is left
// running (below a timeout filter, whose chain goes on after the timeout
// answered) is a dispatch of its own: through the Manager
// (dispatcher.WithFilters), and through an area's own inside it, a new
// session it writes gets its cookie on the error page's response, and
// what it wrote is stored. The Manager took the page's pass for one nested
// in the running pass, and bound the session to the timed-out chain's
// Response, which goes nowhere: the page set no cookie and the value was
// stored under an ID no client held.
func TestErrorPageWhileTimedOutPassRuns(t *testing.T) {
	tests := []struct {
		name, area, cookie string
	}{
		{"site", "", "wharf_session"},
		{"area inside the site", "/admin", "admin_session"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var release chan struct{}
			build := func(c *container.Container) {
				rel := make(chan struct{})
				release = rel
				c.Filter(tc.area+"/slow", timeout.New(timeout.Config{Timeout: 20 * time.Millisecond}))
				c.Filter("/*", session.New(session.Config{}))
				c.Filter("/admin/*", session.New(session.Config{CookieName: "admin_session"}))
				c.HandleFunc("GET "+tc.area+"/get/{key}", sessiontest.GetKey)
				c.HandleFunc(tc.area+"/slow", func(w api.Response, r *api.Request) error {
					session.Peek(r) // reads: no session for it
					<-r.Context().Done()
					<-rel // still in the Managers' passes when the error page runs
					return r.Context().Err()
				})
				c.HandleFunc(tc.area+"/sorry", func(w api.Response, r *api.Request) error {
					session.Of(r).Set("flash", "try again")
					_, err := w.WriteString("sorry")
					return err
				})
				c.ErrorPage(http.StatusServiceUnavailable, api.HandlerFunc(func(w api.Response, r *api.Request) error {
					return dispatcher.Forward(w, r, tc.area+"/sorry", dispatcher.WithFilters())
				}))
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				defer close(release)
				c := client(t, s)
				body, resp := wharftest.Send(t, c, "GET", s.URL+tc.area+"/slow", nil)
				names := cookieNames(resp)
				if resp.StatusCode != http.StatusServiceUnavailable || body != "sorry" || len(names) != 1 || names[0] != tc.cookie {
					t.Errorf("GET %s/slow: %s %q, cookies %v; want 503 \"sorry\" with %s alone", tc.area, resp.Status, body, names, tc.cookie)
				}
				if v, _ := do(t, c, "GET", s.URL+tc.area+"/get/flash", nil); v != "try again" {
					t.Errorf("after the error page the session reads flash=%q, want \"try again\"", v)
				}
			})
		})
	}
}

// A chain taken over by its error page's pass (see
// TestErrorPageWhileTimedOutPassRuns) that writes the session afterwards
// writes a Session of its own, detached from every response: a new
// session's cookie it makes is not written into the error page's header
// from its goroutine (a data race, which -race reported), and what it
// writes is not saved with the error page's changes. What it wrote before
// the timeout is the request's, as before: the error page's pass saves it,
// with the cookie that names it, which the chain had set in the timeout's
// buffer alone (discarded with it), so that the page's response named no
// session and the values went to an ID no client held.
func TestTakenOverChainDetached(t *testing.T) {
	tests := []struct {
		name string
		// before: the chain writes a new session before its timeout.
		before bool
		// late: what the chain does once the error page has written.
		late                    func(s *session.Session) error
		wantLate, wantSaveError bool
	}{
		{name: "late Set of a new session", late: func(s *session.Session) error { s.Set("late", "x"); return nil }},
		{name: "late Set and Save of a new session", late: func(s *session.Session) error {
			s.Set("late", "x")
			return s.Save(context.Background())
		}, wantSaveError: true},
		{name: "late RenewID", late: func(s *session.Session) error { return s.RenewID() }, wantSaveError: true},
		{name: "write before the timeout", before: true, late: func(s *session.Session) error { return nil }},
		{name: "write before, late Set", before: true, late: func(s *session.Session) error { s.Set("late", "x"); return nil }},
		{name: "write before, late Set and Save", before: true, late: func(s *session.Session) error {
			s.Set("late", "x")
			return s.Save(context.Background())
		}, wantLate: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var done chan struct{}
			var lateErr error
			build := func(c *container.Container) {
				p, d := make(chan struct{}), make(chan struct{})
				done = d
				c.Filter("/slow", timeout.New(timeout.Config{Timeout: 20 * time.Millisecond}))
				c.Filter("/*", session.New(session.Config{}))
				c.HandleFunc("GET /get/{key}", sessiontest.GetKey)
				c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
					defer close(d)
					s := session.Of(r)
					if tc.before {
						s.Set("early", "y")
					}
					<-r.Context().Done()
					<-p // the error page's pass runs, and has written
					lateErr = tc.late(s)
					return r.Context().Err()
				})
				c.HandleFunc("/sorry", func(w api.Response, r *api.Request) error {
					session.Of(r).Set("flash", "try again")
					close(p)
					// The chain's late write, if it touched this
					// response's header, would race what follows.
					w.Header().Set("X-Page", "sorry")
					_, err := w.WriteString("sorry")
					return err
				})
				c.ErrorPage(http.StatusServiceUnavailable, api.HandlerFunc(func(w api.Response, r *api.Request) error {
					return dispatcher.Forward(w, r, "/sorry", dispatcher.WithFilters())
				}))
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				c := client(t, s)
				body, resp := wharftest.Send(t, c, "GET", s.URL+"/slow", nil)
				<-done
				names := cookieNames(resp)
				if resp.StatusCode != http.StatusServiceUnavailable || body != "sorry" || len(names) != 1 || names[0] != "wharf_session" {
					t.Errorf("GET /slow: %s %q, cookies %v; want 503 \"sorry\" with wharf_session alone", resp.Status, body, names)
				}
				if (lateErr != nil) != tc.wantSaveError {
					t.Errorf("the chain's late call returned %v, want an error: %v", lateErr, tc.wantSaveError)
				}
				want := map[string]string{"flash": "try again", "early": "-", "late": "-"}
				if tc.before {
					want["early"] = "y"
				}
				if tc.wantLate {
					want["late"] = "x"
				}
				for _, k := range []string{"flash", "early", "late"} {
					if v, _ := do(t, c, "GET", s.URL+"/get/"+k, nil); v != want[k] {
						t.Errorf("after the error page the session reads %s=%q, want %q", k, v, want[k])
					}
				}
			})
		})
	}
}

// A chain taken over by its error page's pass (see
// TestTakenOverChainDetached), below both Managers of a site and its area,
// that includes or forwards to a page through the filters afterwards, while the error
// page runs, keeps its own sessions: the include leaves the error page the
// session it took over, whose cookie its response sets and whose write is
// stored. The chain's include met a Manager whose request carried the
// chain's detached session, took it for a dispatch of its own and took the
// session over from the error page in turn: the page's response named no
// session, and its write was dropped with its pass.
func TestTakenOverChainIncludes(t *testing.T) {
	tests := []struct {
		errorPage, include, cookie, get string
		forward                         bool
	}{
		{errorPage: "/sorry", include: "/frag", cookie: "wharf_session", get: "/get/flash"},
		{errorPage: "/sorry", include: "/admin/frag", cookie: "wharf_session", get: "/get/flash"},
		{errorPage: "/sorry", include: "/admin/frag", cookie: "wharf_session", get: "/get/flash", forward: true},
		{errorPage: "/admin/sorry", include: "/frag", cookie: "admin_session", get: "/admin/get/flash"},
		{errorPage: "/admin/sorry", include: "/admin/frag", cookie: "admin_session", get: "/admin/get/flash"},
		{errorPage: "/admin/sorry", include: "/admin/frag", cookie: "admin_session", get: "/admin/get/flash", forward: true},
		{errorPage: "/admin/sorry", include: "/other/frag", cookie: "admin_session", get: "/admin/get/flash"},
	}
	for _, tc := range tests {
		verb := " includes "
		if tc.forward {
			verb = " forwards to "
		}
		t.Run(tc.errorPage+" while the chain"+verb+tc.include, func(t *testing.T) {
			var done chan struct{}
			var incErr error
			build := func(c *container.Container) {
				page, included, d := make(chan struct{}), make(chan struct{}), make(chan struct{})
				done = d
				c.Filter("/admin/slow", timeout.New(timeout.Config{Timeout: 20 * time.Millisecond}))
				c.Filter("/*", session.New(session.Config{}))
				c.Filter("/admin/*", session.New(session.Config{CookieName: "admin_session"}))
				c.Filter("/other/*", session.New(session.Config{CookieName: "other_session"}))
				c.HandleFunc("GET /get/{key}", sessiontest.GetKey)
				c.HandleFunc("GET /admin/get/{key}", sessiontest.GetKey)
				for _, p := range []string{"/frag", "/admin/frag", "/other/frag"} {
					c.HandleFunc(p, func(w api.Response, r *api.Request) error {
						session.Peek(r) // reads
						return nil
					})
				}
				c.HandleFunc("/admin/slow", func(w api.Response, r *api.Request) error {
					defer close(d)
					<-r.Context().Done()
					<-page // the error page's pass runs
					if tc.forward {
						incErr = dispatcher.Forward(w, r, tc.include, dispatcher.WithFilters())
					} else {
						incErr = dispatcher.Include(w, r, tc.include, dispatcher.WithFilters())
					}
					close(included)
					return r.Context().Err()
				})
				sorry := func(w api.Response, r *api.Request) error {
					close(page)
					<-included
					session.Of(r).Set("flash", "try again")
					_, err := w.WriteString("sorry")
					return err
				}
				c.HandleFunc("/sorry", sorry)
				c.HandleFunc("/admin/sorry", sorry)
				c.ErrorPage(http.StatusServiceUnavailable, api.HandlerFunc(func(w api.Response, r *api.Request) error {
					return dispatcher.Forward(w, r, tc.errorPage, dispatcher.WithFilters())
				}))
			}
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				c := client(t, s)
				body, resp := wharftest.Send(t, c, "GET", s.URL+"/admin/slow", nil)
				<-done
				names := cookieNames(resp)
				if resp.StatusCode != http.StatusServiceUnavailable || body != "sorry" || len(names) != 1 || names[0] != tc.cookie {
					t.Errorf("GET /admin/slow: %s %q, cookies %v; want 503 \"sorry\" with %s alone", resp.Status, body, names, tc.cookie)
				}
				if incErr != nil {
					t.Errorf("the chain's%s%s returned %v", verb, tc.include, incErr)
				}
				if v, _ := do(t, c, "GET", s.URL+tc.get, nil); v != "try again" {
					t.Errorf("after the error page the session reads flash=%q, want \"try again\"", v)
				}
			})
		})
	}
}

// A logout in a chain taken over (see TestTakenOverChainDetached) ends
// the session the error page's pass stored: the chain's Session, new when
// the pass took it over, was never stored by the chain itself, and its
// Invalidate skipped the store, returning nil with the session (a
// login's, say) still alive under the cookie the client holds.
func TestTakenOverChainLogout(t *testing.T) {
	var answered, done chan struct{}
	var logoutErr error
	build := func(c *container.Container) {
		a, d := make(chan struct{}), make(chan struct{})
		answered, done = a, d
		c.Filter("/slow", timeout.New(timeout.Config{Timeout: 20 * time.Millisecond}))
		c.Filter("/*", session.New(session.Config{}))
		c.HandleFunc("GET /get/{key}", sessiontest.GetKey)
		c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
			defer close(d)
			s := session.Of(r)
			s.Set("user", "alice")
			<-r.Context().Done()
			<-a // the error page's pass stored the session, and answered
			logoutErr = s.Invalidate()
			return r.Context().Err()
		})
		c.HandleFunc("/sorry", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("sorry")
			return err
		})
		c.ErrorPage(http.StatusServiceUnavailable, api.HandlerFunc(func(w api.Response, r *api.Request) error {
			return dispatcher.Forward(w, r, "/sorry", dispatcher.WithFilters())
		}))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		c := client(t, s)
		body, resp := wharftest.Send(t, c, "GET", s.URL+"/slow", nil)
		close(answered)
		<-done
		if names := cookieNames(resp); resp.StatusCode != http.StatusServiceUnavailable || body != "sorry" || len(names) != 1 {
			t.Fatalf("GET /slow: %s %q, cookies %v; want 503 \"sorry\" with the session's", resp.Status, body, names)
		}
		if logoutErr != nil {
			t.Errorf("the chain's Invalidate: %v", logoutErr)
		}
		if v, _ := do(t, c, "GET", s.URL+"/get/user", nil); v != "-" {
			t.Errorf("after the chain's logout the session reads user=%q, want it ended", v)
		}
	})
}
