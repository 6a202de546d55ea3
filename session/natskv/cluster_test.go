package natskv_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/session/internal/sessiontest"
	"github.com/wharf-go/wharf/session/natskv"
)

// instance is one server of the application, with its own NATS
// connection and Store; barrier, when set, holds each /set until every
// request it counts (on either instance) has loaded the session.
type instance struct {
	*modes.Server
	barrier *atomic.Pointer[sync.WaitGroup]
}

func start(t *testing.T, m modes.Mode, b *natstest.Broker, barrier *atomic.Pointer[sync.WaitGroup]) instance {
	st, err := natskv.New(t.Context(), b.JetStream(t), natskv.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := container.New(modes.Options(m)...)
	c.Filter("/*", session.New(session.Config{Store: st}))
	c.HandleFunc("GET /get/{key}", sessiontest.GetKey)
	c.HandleFunc("POST /set", func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		if wg := barrier.Load(); wg != nil {
			wg.Done()
			wg.Wait()
		}
		s.Set(r.FormValue("k"), r.FormValue("v"))
		return nil
	})
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
	return instance{Server: modes.Start(t, m, c), barrier: barrier}
}

// call sends one request through client c (whose jar holds the cookie for
// both instances: cookies do not depend on the port) and returns the body.
func call(t *testing.T, c *http.Client, method, u string, form url.Values) string {
	t.Helper()
	b, resp := wharftest.Send(t, c, method, u, form)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s %s", method, u, resp.Status, b)
	}
	return b
}

// Two instances, each with its own connection to one broker: a session
// created through one is seen through the other, a logout on one ends it
// on both, and concurrent writes through both keep both keys.
func TestTwoInstances(t *testing.T) {
	for _, m := range modes.All {
		t.Run(string(m), func(t *testing.T) {
			b := natstest.ForTestJetStream(t)
			barrier := new(atomic.Pointer[sync.WaitGroup])
			a, z := start(t, m, b, barrier), start(t, m, b, barrier)
			jar, err := cookiejar.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			ca, cz := *a.Client, *z.Client
			ca.Jar, cz.Jar = jar, jar

			call(t, &ca, "POST", a.URL+"/login", url.Values{"user": {"alice"}})
			if v := call(t, &cz, "GET", z.URL+"/get/user", nil); v != "alice" {
				t.Fatalf("the other instance reads user %q", v)
			}

			for _, keys := range [][2]string{{"x", "y"}, {"z", "z"}} {
				wg := new(sync.WaitGroup)
				wg.Add(2)
				barrier.Store(wg)
				var done sync.WaitGroup
				done.Go(func() { call(t, &ca, "POST", a.URL+"/set", url.Values{"k": {keys[0]}, "v": {"1"}}) })
				done.Go(func() { call(t, &cz, "POST", z.URL+"/set", url.Values{"k": {keys[1]}, "v": {"2"}}) })
				done.Wait()
				barrier.Store(nil)
			}
			for _, in := range []struct {
				c   *http.Client
				url string
			}{{&ca, a.URL}, {&cz, z.URL}} {
				var got string
				for _, k := range []string{"x", "y", "z", "user"} {
					got += call(t, in.c, "GET", in.url+"/get/"+k, nil) + " "
				}
				if got != "1 2 1 alice " && got != "1 2 2 alice " {
					t.Fatalf("%s reads x, y, z, user = %q, want 1 2 1|2 alice", in.url, got)
				}
			}

			au, _ := url.Parse(a.URL)
			old := jar.Cookies(au)
			call(t, &cz, "POST", z.URL+"/logout", nil)
			if len(jar.Cookies(au)) != 0 {
				t.Fatal("the logout did not expire the cookie")
			}
			// Replay the old cookie, as a stolen one would be.
			replay, _ := cookiejar.New(nil)
			replay.SetCookies(au, old)
			cr := *a.Client
			cr.Jar = replay
			if v := call(t, &cr, "GET", a.URL+"/get/user", nil); v != "-" {
				t.Fatalf("after a logout on the other instance, user = %q", v)
			}
		})
	}
}
