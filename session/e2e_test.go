package session_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
)

// app maps the handlers the end-to-end tests use behind m. barrier, when
// set, holds each /set until every request it counts has loaded the
// session. saved is closed after the session filter's completion hook
// for /async-late ran.
type app struct {
	barrier atomic.Pointer[sync.WaitGroup]
	saved   atomic.Pointer[chan struct{}]
}

func (a *app) build(m *session.Manager) func(c *container.Container) {
	return func(c *container.Container) {
		c.Filter("/*", m)
		c.HandleFunc("POST /login", func(w api.Response, r *api.Request) error {
			s := session.Of(r)
			if err := s.RenewID(); err != nil {
				return err
			}
			s.Set("user", r.FormValue("user"))
			return nil
		})
		c.HandleFunc("POST /logout", func(w api.Response, r *api.Request) error {
			return session.Of(r).Invalidate()
		})
		c.HandleFunc("GET /get/{key}", sessiontest.GetKey)
		c.HandleFunc("POST /set", func(w api.Response, r *api.Request) error {
			s := session.Of(r)
			if b := a.barrier.Load(); b != nil {
				b.Done()
				b.Wait()
			}
			s.Set(r.FormValue("k"), r.FormValue("v"))
			return nil
		})
		// The body is flushed before the handler returns: the cookie must
		// already be in the head.
		c.HandleFunc("GET /stream", func(w api.Response, r *api.Request) error {
			session.Of(r).Set("streamed", "yes")
			w.WriteString(strings.Repeat("x", 64<<10))
			return w.Flush()
		})
		// A new session created by an async task, saved before Complete.
		c.HandleFunc("GET /async", func(w api.Response, r *api.Request) error {
			s := session.Of(r) // in the dispatch: the cookie comes now
			ac, err := async.Start(r)
			if err != nil {
				return err
			}
			go ac.Dispatch(func(w api.Response) {
				s.Set("async", "yes")
				if err := s.Save(r.Context()); err != nil {
					ac.Fail(err)
					return
				}
				w.WriteString("done")
				ac.Complete()
			})
			return nil
		})
		// A re-dispatch sees the session of the first dispatch, with the
		// cookie that dispatch set.
		c.HandleFunc("GET /redispatch", func(w api.Response, r *api.Request) error {
			s := session.Of(r)
			if async.KindOf(r) == async.DispatchInitial {
				s.Set("first", "1")
				ac, err := async.Start(r)
				if err != nil {
					return err
				}
				return ac.Redispatch()
			}
			v, _ := s.Get("first")
			s.Set("second", "2")
			_, err := w.WriteString(v)
			return err
		})
		// An async task's change saved by the Manager at completion.
		c.HandleFunc("GET /async-late", func(w api.Response, r *api.Request) error {
			saved := *a.saved.Load()
			async.OnComplete(r, func(error) { close(saved) }) // after the Manager's hook
			ac, err := async.Start(r)
			if err != nil {
				return err
			}
			go ac.Dispatch(func(w api.Response) {
				session.Of(r).Set("late", "yes")
				ac.Complete()
			})
			return nil
		})
	}
}

// client returns s's client with a cookie jar of its own.
func client(t *testing.T, s *modes.Server) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *s.Client
	c.Jar = jar
	return &c
}

func do(t *testing.T, c *http.Client, method, url string, form url.Values) (string, *http.Response) {
	t.Helper()
	b, resp := wharftest.Send(t, c, method, url, form)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %s %s", method, url, resp.Status, b)
	}
	return b, resp
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "wharf_session" {
			return c
		}
	}
	return nil
}

// Login, reads, logout over every protocol with a browser-like cookie jar:
// the cookie is HttpOnly, Lax, Secure exactly over TLS; login renews the
// ID; logout expires the cookie and the old ID then names nothing.
func TestEndToEnd(t *testing.T) {
	a := &app{}
	modes.Run(t, a.build(session.New(session.Config{})), func(t *testing.T, s *modes.Server) {
		c := client(t, s)
		if v, _ := do(t, c, "GET", s.URL+"/get/user", nil); v != "-" {
			t.Fatalf("before login: %q", v)
		}
		do(t, c, "POST", s.URL+"/set", url.Values{"k": {"theme"}, "v": {"dark"}})
		_, resp := do(t, c, "POST", s.URL+"/login", url.Values{"user": {"alice"}})
		ck := sessionCookie(resp)
		if ck == nil || !ck.HttpOnly || ck.Secure != s.Mode.TLS() || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
			t.Fatalf("login cookie %v (TLS %v)", ck, s.Mode.TLS())
		}
		for key, want := range map[string]string{"user": "alice", "theme": "dark"} {
			if v, _ := do(t, c, "GET", s.URL+"/get/"+key, nil); v != want {
				t.Fatalf("after login %s = %q, want %q", key, v, want)
			}
		}
		_, resp = do(t, c, "POST", s.URL+"/logout", nil)
		if out := sessionCookie(resp); out == nil || out.MaxAge >= 0 {
			t.Fatalf("logout cookie %v, want Max-Age=0", out)
		}
		if v, _ := do(t, c, "GET", s.URL+"/get/user", nil); v != "-" {
			t.Fatalf("after logout: %q", v)
		}
		// The jar dropped the cookie; a client replaying it gets nothing.
		replay := *s.Client
		req, _ := http.NewRequest("GET", s.URL+"/get/user", nil)
		req.AddCookie(&http.Cookie{Name: "wharf_session", Value: ck.Value})
		resp, err := replay.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "-" {
			t.Fatalf("the logged-out ID reads %q", b)
		}
	})
}

// The cookie of a session created before the body was flushed is in the
// head; sessions created by async tasks are saved, by Save before
// Complete or by the Manager at completion.
func TestEndToEndCommitAndAsync(t *testing.T) {
	a := &app{}
	modes.Run(t, a.build(session.New(session.Config{})), func(t *testing.T, s *modes.Server) {
		c := client(t, s)
		if _, resp := do(t, c, "GET", s.URL+"/stream", nil); sessionCookie(resp) == nil {
			t.Fatal("no cookie on a flushed response")
		}
		if v, _ := do(t, c, "GET", s.URL+"/get/streamed", nil); v != "yes" {
			t.Fatalf("streamed = %q", v)
		}

		c = client(t, s)
		if v, resp := do(t, c, "GET", s.URL+"/async", nil); v != "done" || sessionCookie(resp) == nil {
			t.Fatalf("async: %q, cookie %v", v, sessionCookie(resp))
		}
		if v, _ := do(t, c, "GET", s.URL+"/get/async", nil); v != "yes" {
			t.Fatalf("async = %q", v)
		}

		c = client(t, s)
		v, resp := do(t, c, "GET", s.URL+"/redispatch", nil)
		if n := len(resp.Header.Values("Set-Cookie")); v != "1" || n != 1 {
			t.Fatalf("redispatch: %q with %d Set-Cookie fields, want \"1\" with one", v, n)
		}
		if v, _ := do(t, c, "GET", s.URL+"/get/second", nil); v != "2" {
			t.Fatalf("second = %q", v)
		}

		saved := make(chan struct{})
		a.saved.Store(&saved)
		do(t, c, "GET", s.URL+"/async-late", nil)
		<-saved
		if v, _ := do(t, c, "GET", s.URL+"/get/late", nil); v != "yes" {
			t.Fatalf("late = %q", v)
		}
	})
}

// Two requests of one session at once, both loaded before either saves:
// different keys both survive, the same key keeps one of the values.
func TestEndToEndConcurrent(t *testing.T) {
	a := &app{}
	modes.Run(t, a.build(session.New(session.Config{})), func(t *testing.T, s *modes.Server) {
		c := client(t, s)
		do(t, c, "POST", s.URL+"/set", url.Values{"k": {"base"}, "v": {"0"}})
		for _, tc := range []struct{ k1, k2 string }{{"x", "y"}, {"z", "z"}} {
			b := new(sync.WaitGroup)
			b.Add(2)
			a.barrier.Store(b)
			var wg sync.WaitGroup
			for i, k := range []string{tc.k1, tc.k2} {
				wg.Go(func() { do(t, c, "POST", s.URL+"/set", url.Values{"k": {k}, "v": {string(rune('1' + i))}}) })
			}
			wg.Wait()
			a.barrier.Store(nil)
			v1, _ := do(t, c, "GET", s.URL+"/get/"+tc.k1, nil)
			v2, _ := do(t, c, "GET", s.URL+"/get/"+tc.k2, nil)
			if tc.k1 != tc.k2 && (v1 != "1" || v2 != "2") || tc.k1 == tc.k2 && v1 != "1" && v1 != "2" {
				t.Fatalf("%s = %q, %s = %q", tc.k1, v1, tc.k2, v2)
			}
		}
		if v, _ := do(t, c, "GET", s.URL+"/get/base", nil); v != "0" {
			t.Fatalf("base = %q", v)
		}
	})
}

// cookieNames returns the names of the cookies resp sets, in order.
func cookieNames(resp *http.Response) []string {
	var names []string
	for _, ck := range resp.Cookies() {
		names = append(names, ck.Name)
	}
	return names
}
