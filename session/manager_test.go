package session_test

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/session"
)

// serve runs h behind m for one request that sends cookie (a session ID,
// or "" for none), as a container's chain would but without one.
func serve(t *testing.T, m *session.Manager, cookie string, tlsState *tls.ConnectionState, h api.HandlerFunc) (*wharftest.Recorder, error) {
	t.Helper()
	var kv []string
	if cookie != "" {
		kv = []string{"Cookie", "wharf_session=" + cookie}
	}
	head := wharftest.Head("GET", "/", kv...)
	info := *head.Conn // shared: a copy of its own to change
	info.TLS = tlsState
	head.Conn = &info
	w := wharftest.NewRecorder()
	err := api.Compose(h, m).Serve(w, api.NewRequest(t.Context(), head, nil))
	return w, err
}

// setCookie returns the session cookie w was given, or nil.
func setCookie(t *testing.T, w *wharftest.Recorder) *http.Cookie {
	t.Helper()
	var found *http.Cookie
	for _, v := range w.Header().Values("Set-Cookie") {
		c, err := http.ParseSetCookie(v)
		if err != nil {
			t.Fatalf("bad Set-Cookie %q: %v", v, err)
		}
		if c.Name == "wharf_session" {
			if found != nil {
				t.Fatalf("two session cookies: %v", w.Header().Values("Set-Cookie"))
			}
			found = c
		}
	}
	return found
}

func set(k, v string) api.HandlerFunc {
	return func(w api.Response, r *api.Request) error {
		session.Of(r).Set(k, v)
		return nil
	}
}

// get answers with the value under k in the body ("-" if missing) and the
// session's newness.
func get(k string) api.HandlerFunc {
	return func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		v, ok := s.Get(k)
		if !ok {
			v = "-"
		}
		if s.IsNew() {
			v += " new"
		}
		_, err := w.WriteString(v)
		return err
	}
}

func TestCookieAttributes(t *testing.T) {
	tlsState := &tls.ConnectionState{}
	tests := []struct {
		name     string
		cfg      session.Config
		tls      *tls.ConnectionState
		secure   bool
		path     string
		domain   string
		sameSite http.SameSite
	}{
		{"cleartext", session.Config{}, nil, false, "/", "", http.SameSiteLaxMode},
		{"tls", session.Config{}, tlsState, true, "/", "", http.SameSiteLaxMode},
		{"forced secure behind a proxy", session.Config{Secure: session.SecureAlways}, nil, true, "/", "", http.SameSiteLaxMode},
		{"path and domain", session.Config{CookiePath: "/app", CookieDomain: "example.com"}, nil, false, "/app", "example.com", http.SameSiteLaxMode},
		{"strict", session.Config{SameSite: http.SameSiteStrictMode}, tlsState, true, "/", "", http.SameSiteStrictMode},
		// Browsers drop a SameSite=None cookie that lacks Secure.
		{"none over cleartext", session.Config{SameSite: http.SameSiteNoneMode}, nil, true, "/", "", http.SameSiteNoneMode},
		{"none over tls", session.Config{SameSite: http.SameSiteNoneMode}, tlsState, true, "/", "", http.SameSiteNoneMode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := serve(t, session.New(tc.cfg), "", tc.tls, set("k", "v"))
			if err != nil {
				t.Fatal(err)
			}
			c := setCookie(t, w)
			if c == nil {
				t.Fatal("no session cookie")
			}
			if !c.HttpOnly || c.Secure != tc.secure || c.Path != tc.path || c.Domain != tc.domain || c.SameSite != tc.sameSite || c.MaxAge != 0 || len(c.Value) != 26 {
				t.Fatalf("cookie %s: want HttpOnly, Secure=%v, Path=%q, Domain=%q, SameSite=%v, no Max-Age, a 26-character ID",
					c, tc.secure, tc.path, tc.domain, tc.sameSite)
			}
		})
	}
}

// A request that only reads gets no cookie and stores nothing.
func TestReadOnlyCreatesNothing(t *testing.T) {
	store := session.NewMemoryStore(session.MemoryConfig{})
	defer store.Close()
	w, err := serve(t, session.New(session.Config{Store: store}), "", nil, get("k"))
	if err != nil || w.Body() != "- new" {
		t.Fatalf("body %q, err %v", w.Body(), err)
	}
	if c := setCookie(t, w); c != nil || store.Len() != 0 {
		t.Fatalf("cookie %v, %d stored", c, store.Len())
	}
}

// countingStore counts saves.
type countingStore struct {
	session.Store
	saves atomic.Int32
}

func (s *countingStore) Save(ctx context.Context, id string, rec session.Record) (uint64, error) {
	s.saves.Add(1)
	return s.Store.Save(ctx, id, rec)
}

// Expiry: idle and absolute; a session in use is kept alive by the
// last-access writes, which come at most once per quarter of IdleTimeout.
func TestExpiry(t *testing.T) {
	tests := []struct {
		name  string
		every time.Duration // between requests after the first
		n     int           // requests after the first
		alive bool          // after the last
		saves int32         // at most, the first included
	}{
		{"used every minute", time.Minute, 60, true, 1 + 60/7},
		{"used every 29 minutes", 29 * time.Minute, 4, true, 5},
		{"idle 30 minutes", 30 * time.Minute, 1, false, 1},
		{"idle a day", 24 * time.Hour, 1, false, 1},
		{"used every 20 minutes past the lifetime", 20 * time.Minute, 3 * 24, false, 1 + 3*24},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mem := session.NewMemoryStore(session.MemoryConfig{})
				defer mem.Close()
				store := &countingStore{Store: mem}
				m := session.New(session.Config{Store: store, IdleTimeout: 30 * time.Minute, MaxLifetime: 24 * time.Hour})
				w, _ := serve(t, m, "", nil, set("k", "v"))
				id := setCookie(t, w).Value
				alive := true
				for range tc.n {
					time.Sleep(tc.every)
					w, err := serve(t, m, id, nil, get("k"))
					if err != nil {
						t.Fatal(err)
					}
					alive = w.Body() == "v"
				}
				if alive != tc.alive {
					t.Fatalf("alive = %v, want %v", alive, tc.alive)
				}
				if got := store.saves.Load(); got > tc.saves {
					t.Fatalf("%d saves, want at most %d", got, tc.saves)
				}
			})
		})
	}
}

// Session fixation: an ID the client chose is never adopted, and RenewID
// moves the session to a new ID and makes the old one useless.
func TestFixation(t *testing.T) {
	m := session.New(session.Config{})
	planted := strings.Repeat("A", 26)
	w, err := serve(t, m, planted, nil, set("user", "alice"))
	if err != nil {
		t.Fatal(err)
	}
	c := setCookie(t, w)
	if c == nil || c.Value == planted {
		t.Fatalf("cookie %v: the planted ID was adopted", c)
	}
	if w, _ := serve(t, m, planted, nil, get("user")); w.Body() != "- new" {
		t.Fatalf("planted ID reads %q", w.Body())
	}
	old := c.Value
	w, err = serve(t, m, old, nil, func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		if err := s.RenewID(); err != nil {
			return err
		}
		if s.ID() == old {
			t.Error("ID() did not change")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c = setCookie(t, w)
	if c == nil || c.Value == old || c.Value == "" {
		t.Fatalf("RenewID set cookie %v", c)
	}
	if w, _ := serve(t, m, old, nil, get("user")); w.Body() != "- new" {
		t.Fatalf("the old ID still reads %q", w.Body())
	}
	if w, _ := serve(t, m, c.Value, nil, get("user")); w.Body() != "alice" {
		t.Fatalf("the new ID reads %q", w.Body())
	}
}

// Invalidate deletes the session and expires the cookie; a Set after it
// starts a new session under a new ID.
func TestInvalidate(t *testing.T) {
	store := session.NewMemoryStore(session.MemoryConfig{})
	defer store.Close()
	m := session.New(session.Config{Store: store})
	w, _ := serve(t, m, "", nil, set("user", "alice"))
	id := setCookie(t, w).Value
	tests := []struct {
		name    string
		after   func(s *session.Session)
		wantNew bool   // a new session's cookie, rather than an expired one
		stale   string // the request's cookie names no live session: this ID
	}{
		{name: "logout", after: func(*session.Session) {}},
		{name: "logout with a message", after: func(s *session.Session) { s.Set("flash", "bye") }, wantNew: true},
		// A cookie the store does not know (the server restarted, the
		// session was ended elsewhere) is dropped as well.
		{name: "logout with an unknown ID", after: func(*session.Session) {}, stale: "AAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{name: "logout with a malformed ID", after: func(*session.Session) {}, stale: "not an ID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := serve(t, m, "", nil, set("user", "alice"))
			id = setCookie(t, w).Value
			if tc.stale != "" {
				id = tc.stale
			}
			w, err := serve(t, m, id, nil, func(w api.Response, r *api.Request) error {
				s := session.Of(r)
				if err := s.Invalidate(); err != nil {
					return err
				}
				if _, ok := s.Get("user"); ok || !s.IsNew() || s.ID() != "" {
					t.Error("the session still has its values or ID after Invalidate")
				}
				tc.after(s)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			c := setCookie(t, w)
			switch {
			case c == nil:
				t.Fatal("no cookie")
			case tc.wantNew && (c.Value == id || c.MaxAge != 0):
				t.Fatalf("cookie %s, want a new session's", c)
			case !tc.wantNew && (c.MaxAge >= 0 || c.Value != ""):
				t.Fatalf("cookie %s, want Max-Age=0", c)
			}
			if w, _ := serve(t, m, id, nil, get("user")); w.Body() != "- new" {
				t.Fatalf("the invalidated ID reads %q", w.Body())
			}
		})
	}
}

// Two requests of one session, both loaded before either saves: keys they
// set apart both survive; a key both set keeps one of the two values.
func TestConcurrentWrites(t *testing.T) {
	tests := []struct {
		name       string
		a, b       [2]string // key, value
		want       map[string][]string
		wantAbsent string
	}{
		{"different keys", [2]string{"x", "1"}, [2]string{"y", "2"}, map[string][]string{"x": {"1"}, "y": {"2"}, "base": {"0"}}, ""},
		{"same key", [2]string{"x", "1"}, [2]string{"x", "2"}, map[string][]string{"x": {"1", "2"}, "base": {"0"}}, ""},
		{"set and delete", [2]string{"x", "1"}, [2]string{"base", ""}, map[string][]string{"x": {"1"}}, "base"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := session.New(session.Config{})
			w, _ := serve(t, m, "", nil, set("base", "0"))
			id := setCookie(t, w).Value
			var loaded sync.WaitGroup
			loaded.Add(2)
			write := func(kv [2]string) api.HandlerFunc {
				return func(w api.Response, r *api.Request) error {
					s := session.Of(r)
					loaded.Done()
					loaded.Wait() // both loaded the same revision
					if kv[1] == "" {
						s.Delete(kv[0])
					} else {
						s.Set(kv[0], kv[1])
					}
					return nil
				}
			}
			var wg sync.WaitGroup
			for _, kv := range [][2]string{tc.a, tc.b} {
				wg.Go(func() {
					if _, err := serve(t, m, id, nil, write(kv)); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			serve(t, m, id, nil, func(w api.Response, r *api.Request) error {
				s := session.Of(r)
				for k, want := range tc.want {
					if v, ok := s.Get(k); !ok || !contains(want, v) {
						t.Errorf("%s = %q, %v; want one of %q", k, v, ok, want)
					}
				}
				if tc.wantAbsent != "" {
					if _, ok := s.Get(tc.wantAbsent); ok {
						t.Errorf("%s survived its deletion", tc.wantAbsent)
					}
				}
				return nil
			})
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A request on a session another request invalidated meanwhile does not
// bring it back.
func TestWriteAfterConcurrentInvalidate(t *testing.T) {
	m := session.New(session.Config{})
	w, _ := serve(t, m, "", nil, set("user", "alice"))
	id := setCookie(t, w).Value
	_, err := serve(t, m, id, nil, func(w api.Response, r *api.Request) error {
		session.Of(r).Set("x", "1")
		_, err := serve(t, m, id, nil, func(w api.Response, r *api.Request) error { return session.Of(r).Invalidate() })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := serve(t, m, id, nil, get("user")); w.Body() != "- new" {
		t.Fatalf("the invalidated session came back: %q", w.Body())
	}
}

// A login (RenewID) racing a logout in another tab does not bring the
// logged-out values back under the new ID: the session stays invalid,
// and the renewing request starts a new, empty one.
func TestRenewAfterConcurrentInvalidate(t *testing.T) {
	m := session.New(session.Config{})
	w, _ := serve(t, m, "", nil, set("cart", "secret"))
	id := setCookie(t, w).Value
	w, err := serve(t, m, id, nil, func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		s.Keys() // loaded before the logout
		if _, err := serve(t, m, id, nil, func(w api.Response, r *api.Request) error { return session.Of(r).Invalidate() }); err != nil {
			return err
		}
		if err := s.RenewID(); err != nil {
			return err
		}
		_, ok := s.Get("cart")
		fmt.Fprintf(w, "%v", ok)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.Body() != "false" {
		t.Fatal("the renewed session kept the invalidated values")
	}
	if c := (&http.Response{Header: w.Result()}).Cookies(); len(c) > 0 && c[len(c)-1].MaxAge >= 0 {
		if w, _ := serve(t, m, c[len(c)-1].Value, nil, get("cart")); w.Body() != "- new" {
			t.Fatalf("the invalidated values came back under the new ID: %q", w.Body())
		}
	}
	if w, _ := serve(t, m, id, nil, get("cart")); w.Body() != "- new" {
		t.Fatalf("the invalidated session came back: %q", w.Body())
	}
}

// Once the response has committed, a new session cannot get its cookie:
// it is not stored, and RenewID refuses.
func TestAfterCommit(t *testing.T) {
	store := session.NewMemoryStore(session.MemoryConfig{})
	defer store.Close()
	m := session.New(session.Config{Store: store, Logger: wharftest.DiscardLogger()})
	w, err := serve(t, m, "", nil, func(w api.Response, r *api.Request) error {
		w.Flush()
		session.Of(r).Set("k", "v")
		return nil
	})
	if err != nil || setCookie(t, w) != nil || store.Len() != 0 {
		t.Fatalf("err %v, cookie %v, %d stored", err, setCookie(t, w), store.Len())
	}
	w, _ = serve(t, m, "", nil, set("k", "v"))
	id := setCookie(t, w).Value
	_, err = serve(t, m, id, nil, func(w api.Response, r *api.Request) error {
		w.Flush()
		if err := session.Of(r).RenewID(); !errors.Is(err, session.ErrCookieFixed) {
			t.Errorf("RenewID after commit: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := serve(t, m, id, nil, get("k")); w.Body() != "v" {
		t.Fatalf("a refused RenewID lost the session: %q", w.Body())
	}
}

// Of and Peek panic on a request no Manager filtered, each naming itself
// (Peek's panic named Of), the Manager, and the filters' order.
func TestOfWithoutManager(t *testing.T) {
	for _, tt := range []struct {
		fn   string
		call func(*api.Request) *session.Session
	}{
		{"Of", session.Of},
		{"Peek", session.Peek},
	} {
		t.Run(tt.fn, func(t *testing.T) {
			defer func() {
				p, _ := recover().(string)
				if !strings.HasPrefix(p, "session: "+tt.fn+" on a request") {
					t.Fatalf("panic %q, want one naming %s", p, tt.fn)
				}
				if !strings.Contains(p, "session.Manager") {
					t.Fatalf("panic %q, want one naming session.Manager", p)
				}
				// The Manager is usually mapped, but added after the
				// filter that asks: the message must point there too.
				if !strings.Contains(p, "order") {
					t.Fatalf("panic %q says nothing of the filters' order", p)
				}
			}()
			tt.call(wharftest.Request("GET", "/"))
		})
	}
}

// A store that fails makes the request fail rather than lose the session
// silently.
func TestStoreErrors(t *testing.T) {
	boom := errors.New("boom")
	mem := session.NewMemoryStore(session.MemoryConfig{})
	defer mem.Close()
	m := session.New(session.Config{Store: mem})
	w, _ := serve(t, m, "", nil, set("k", "v"))
	id := setCookie(t, w).Value
	bad := session.New(session.Config{Store: failingStore{boom}})
	if _, err := serve(t, bad, id, nil, get("k")); !errors.Is(err, boom) {
		t.Fatalf("load: err = %v", err)
	}
	w, err := serve(t, bad, "", nil, set("k", "v"))
	if !errors.Is(err, boom) {
		t.Fatalf("save: err = %v", err)
	}
	// The new session was never stored: its cookie would name nothing.
	if c := setCookie(t, w); c != nil {
		t.Fatalf("a session never stored was given a cookie: %v", c)
	}
}

type failingStore struct{ err error }

func (f failingStore) Load(context.Context, string) (session.Record, error) {
	return session.Record{}, f.err
}
func (f failingStore) Save(context.Context, string, session.Record) (uint64, error) {
	return 0, f.err
}
func (f failingStore) Delete(context.Context, string) error { return f.err }

// A session ended elsewhere (a logout in another tab) while this request
// ran, found so when the request saves, leaves the request's cookie naming
// no live session: a logout in the same request drops it too.
func TestInvalidateAfterEndedElsewhere(t *testing.T) {
	store := session.NewMemoryStore(session.MemoryConfig{})
	defer store.Close()
	m := session.New(session.Config{Store: store})
	w, _ := serve(t, m, "", nil, set("user", "alice"))
	id := setCookie(t, w).Value
	w, err := serve(t, m, id, nil, func(w api.Response, r *api.Request) error {
		s := session.Of(r)
		s.Set("seen", "1")
		if err := store.Delete(context.Background(), id); err != nil { // the other tab's logout
			return err
		}
		// Its changes are dropped, and Save says so (TestSaveAfterInvalidation).
		if err := s.Save(context.Background()); !errors.Is(err, session.ErrNotFound) {
			return fmt.Errorf("Save: %v, want ErrNotFound", err)
		}
		return s.Invalidate()
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := setCookie(t, w); c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Fatalf("cookie %v, want the stale one dropped (Max-Age=0)", c)
	}
}

// A cookie named with a __Host- or __Secure- prefix is one a browser keeps
// only with Secure (and, for __Host-, Path "/" and no Domain): the Manager
// marks it so on cleartext requests too, as behind a TLS-terminating
// proxy, and refuses a __Host- configuration no browser would keep.
func TestPrefixedCookieNames(t *testing.T) {
	for _, name := range []string{"__Host-session", "__Secure-session", "__host-session"} {
		t.Run(name, func(t *testing.T) {
			m := session.New(session.Config{CookieName: name})
			w, err := serve(t, m, "", nil, set("k", "v"))
			if err != nil {
				t.Fatal(err)
			}
			var c *http.Cookie
			for _, v := range w.Header().Values("Set-Cookie") {
				if p, err := http.ParseSetCookie(v); err == nil && p.Name == name {
					c = p
				}
			}
			if c == nil {
				t.Fatalf("no %s cookie in %q", name, w.Header().Values("Set-Cookie"))
			}
			if !c.Secure || c.Path != "/" || c.Domain != "" {
				t.Fatalf("cookie %s: want Secure, Path=/, no Domain", c)
			}
		})
	}
	for _, cfg := range []session.Config{
		{CookieName: "__Host-session", CookieDomain: "example.com"},
		{CookieName: "__Host-session", CookiePath: "/app"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", cfg)
				}
			}()
			session.New(cfg)
		}()
	}
	session.New(session.Config{CookieName: "__Secure-session", CookiePath: "/app", CookieDomain: "example.com"})
}

// loadCountingStore counts loads.
type loadCountingStore struct {
	session.Store
	loads atomic.Int32
}

func (s *loadCountingStore) Load(ctx context.Context, id string) (session.Record, error) {
	s.loads.Add(1)
	return s.Store.Load(ctx, id)
}

// A browser sends every session cookie whose Path matches, the narrowest
// first: one left on a narrower Path must not hide the live session (a new
// session on every request), and the IDs looked up per request are
// bounded.
func TestSeveralSessionCookies(t *testing.T) {
	mem := session.NewMemoryStore(session.MemoryConfig{})
	defer mem.Close()
	store := &loadCountingStore{Store: mem}
	m := session.New(session.Config{Store: store})
	w, _ := serve(t, m, "", nil, set("k", "live"))
	live := setCookie(t, w).Value
	w, _ = serve(t, m, "", nil, set("k", "other"))
	other := setCookie(t, w).Value
	unknown := func(c byte) string { return strings.Repeat(string(c), 26) }

	tests := []struct {
		name  string
		ids   []string // the cookies' values, in the order sent
		want  string   // the body: the value under "k", or "- new"
		loads int32
	}{
		{"stale before live", []string{unknown('A'), live}, "live", 2},
		{"live before stale", []string{live, unknown('A')}, "live", 1},
		{"first live wins", []string{other, live}, "other", 1},
		{"malformed skipped unread", []string{"bad", "x", live}, "live", 1},
		{"a repeated ID read once", []string{unknown('A'), unknown('A'), unknown('A'), unknown('A'), live}, "live", 2},
		{"bounded", []string{unknown('A'), unknown('B'), unknown('C'), unknown('D'), live}, "- new", 4},
		{"none live", []string{unknown('A'), unknown('B')}, "- new", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store.loads.Store(0)
			// serve sends "wharf_session=" and its argument: the rest
			// of the Cookie field carries the others.
			w, err := serve(t, m, strings.Join(tt.ids, "; wharf_session="), nil, get("k"))
			if err != nil {
				t.Fatal(err)
			}
			if w.Body() != tt.want {
				t.Errorf("body %q, want %q", w.Body(), tt.want)
			}
			if got := store.loads.Load(); got != tt.loads {
				t.Errorf("%d loads, want %d", got, tt.loads)
			}
			if c := setCookie(t, w); c != nil && c.MaxAge >= 0 {
				t.Errorf("Set-Cookie %v on a read", c)
			}
		})
	}
}

// TestInvalidCookieName: a CookieName net/http cannot put in a Set-Cookie
// field (a space, a separator, a control character) is refused by New,
// as a __Host- cookie browsers would drop is: http.Cookie.String gives ""
// for it, so every session would go out as an empty Set-Cookie field and
// every request would start a new session, each one stored.
func TestInvalidCookieName(t *testing.T) {
	for _, tt := range []struct {
		name  string
		valid bool
	}{
		{"wharf_session", true},
		{"__Host-session", true},
		{"my session", false},
		{"a;b", false},
		{"a=b", false},
		{"a\x00b", false},
		{"séance", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				m := session.New(session.Config{CookieName: tt.name})
				w, err := serve(t, m, "", nil, set("k", "v"))
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range w.Header().Values("Set-Cookie") {
					if c, err := http.ParseSetCookie(v); err != nil || c.Name != tt.name {
						t.Errorf("Set-Cookie %q for cookie name %q (%v)", v, tt.name, err)
					}
				}
				return false
			}()
			if panicked == tt.valid {
				t.Errorf("New with CookieName %q: panicked = %v, want %v", tt.name, panicked, !tt.valid)
			}
		})
	}
}

// Behind a proxy that terminated TLS the cookie follows the scheme the
// proxy reported (Request.Scheme, which filters/forwarded sets), not the
// cleartext connection's; and a proxy that says its client used http
// gets no Secure cookie over a TLS connection, which the browser's http
// page would not keep.
func TestCookieSecureFollowsScheme(t *testing.T) {
	tests := []struct {
		name   string
		conn   api.ConnInfo
		secure bool
	}{
		{"proxy said https", api.ConnInfo{Scheme: api.SchemeHTTPS}, true},
		{"proxy said http over tls", api.ConnInfo{Scheme: api.SchemeHTTP, TLS: &tls.ConnectionState{}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			head := wharftest.Head("GET", "/")
			head.Conn = &tc.conn
			w := wharftest.NewRecorder()
			if err := api.Compose(set("k", "v"), session.New(session.Config{})).Serve(w, api.NewRequest(t.Context(), head, nil)); err != nil {
				t.Fatal(err)
			}
			if c := setCookie(t, w); c == nil || c.Secure != tc.secure {
				t.Fatalf("cookie %v, want Secure=%v", c, tc.secure)
			}
		})
	}
}

// New panics on a CookiePath or CookieDomain the cookie could not carry as
// given, as on a bad CookieName: net/http dropped an invalid Domain
// ("example.com:8080", a host-only cookie where one for the domain was
// configured) and a Path's invalid bytes, logging every response, and a
// Path without its leading "/", which browsers ignore, scoped the cookie
// to the directory of whichever URL first set it.
func TestInvalidCookiePathDomain(t *testing.T) {
	for _, tt := range []struct {
		path, domain string
		valid        bool
	}{
		{"", "", true},
		{"/app", "", true},
		{"/", "example.com", true},
		{"/", ".example.com", true},
		{"/", "127.0.0.1", true},
		{"app", "", false},
		{"/a;b", "", false},
		{"/a\nb", "", false},
		{"/", "example.com:8080", false},
		{"/", "exa mple.com", false},
	} {
		t.Run(tt.path+"|"+tt.domain, func(t *testing.T) {
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				m := session.New(session.Config{CookiePath: tt.path, CookieDomain: tt.domain})
				w, err := serve(t, m, "", nil, set("k", "v"))
				if err != nil {
					t.Fatal(err)
				}
				c := setCookie(t, w)
				if want := cmp.Or(tt.path, "/"); c == nil || c.Path != want || c.Domain != strings.TrimPrefix(tt.domain, ".") {
					t.Errorf("Set-Cookie %v, want Path %q, Domain %q", c, want, tt.domain)
				}
				return false
			}()
			if panicked == tt.valid {
				t.Errorf("New with CookiePath %q, CookieDomain %q: panicked = %v, want %v", tt.path, tt.domain, panicked, !tt.valid)
			}
		})
	}
}
