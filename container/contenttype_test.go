package container_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestSetContentType: a type set without a header map reaches the client
// on every protocol as Header().Set's would, and Header shows it as if
// Set had put it there, before the head is sent and after.
func TestSetContentType(t *testing.T) {
	// check makes a handler fail when the Content-Type its Header shows is
	// not want.
	check := func(w api.Response, want string) error {
		if got := w.Header().Get("Content-Type"); got != want {
			return fmt.Errorf("Header().Get(Content-Type) = %q, want %q", got, want)
		}
		return nil
	}
	handlers := map[string]api.HandlerFunc{
		"/plain": func(w api.Response, r *api.Request) error {
			api.SetContentType(w, "text/plain; charset=utf-8")
			_, err := w.WriteString("plain")
			return err
		},
		"/then-header": func(w api.Response, r *api.Request) error {
			api.SetContentType(w, "application/json")
			w.Header().Set("X-A", "1")
			if err := check(w, "application/json"); err != nil {
				return err
			}
			_, err := w.WriteString(`{}`)
			return err
		},
		"/header-first": func(w api.Response, r *api.Request) error {
			w.Header().Set("X-A", "1")
			api.SetContentType(w, "application/json")
			if err := check(w, "application/json"); err != nil {
				return err
			}
			_, err := w.WriteString(`{}`)
			return err
		},
		"/replace": func(w api.Response, r *api.Request) error {
			api.SetContentType(w, "text/css")
			api.SetContentType(w, "text/csv")
			_, err := w.WriteString("a,b")
			return err
		},
		// Reset takes the type with the other fields: the body is sniffed.
		"/reset": func(w api.Response, r *api.Request) error {
			api.SetContentType(w, "application/json")
			if err := w.Reset(); err != nil {
				return err
			}
			_, err := w.WriteString("<html><body>x</body></html>")
			return err
		},
		// A response that goes on after its head keeps the fields sent,
		// the type among them.
		"/stream": func(w api.Response, r *api.Request) error {
			api.SetContentType(w, "text/event-stream")
			if _, err := w.WriteString("data: 1\n\n"); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if err := check(w, "text/event-stream"); err != nil {
				return err
			}
			_, err := w.WriteString("data: 2\n\n")
			return err
		},
		// Once committed, the type is as sent: a later one is ignored.
		"/late": func(w api.Response, r *api.Request) error {
			api.SetContentType(w, "text/plain")
			if err := w.Flush(); err != nil {
				return err
			}
			api.SetContentType(w, "application/json")
			if err := check(w, "text/plain"); err != nil {
				return err
			}
			_, err := w.WriteString("late")
			return err
		},
		// Many types, each its own.
		"/type": func(w api.Response, r *api.Request) error {
			api.SetContentType(w, "application/x-t"+r.QueryValue("n"))
			_, err := w.WriteString(r.QueryValue("n"))
			return err
		},
	}
	build := func(c *container.Container) {
		for p, h := range handlers {
			c.Handle(p, h)
		}
	}
	tests := []struct {
		path, ctype, body, xa string
	}{
		{"/plain", "text/plain; charset=utf-8", "plain", ""},
		{"/then-header", "application/json", "{}", "1"},
		{"/header-first", "application/json", "{}", "1"},
		{"/replace", "text/csv", "a,b", ""},
		{"/reset", "text/html; charset=utf-8", "<html><body>x</body></html>", ""},
		{"/stream", "text/event-stream", "data: 1\n\ndata: 2\n\n", ""},
		{"/late", "text/plain", "late", ""},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tc := range tests {
			code, body, h := get(t, s, tc.path)
			if code != http.StatusOK || body != tc.body || h.Get("Content-Type") != tc.ctype || h.Get("X-A") != tc.xa {
				t.Errorf("GET %s = %d %q, Content-Type %q, X-A %q; want 200 %q, %q, %q", tc.path, code, body, h.Get("Content-Type"), h.Get("X-A"), tc.body, tc.ctype, tc.xa)
			}
			if n := len(h.Values("Content-Type")); n != 1 {
				t.Errorf("GET %s: %d Content-Type fields", tc.path, n)
			}
		}
		// Concurrently, responses of twenty types at once: none takes
		// another's type.
		var wg sync.WaitGroup
		for n := range 40 {
			wg.Go(func() {
				q := strconv.Itoa(n % 20)
				code, body, h := get(t, s, "/type?n="+q)
				if code != http.StatusOK || body != q || h.Get("Content-Type") != "application/x-t"+q {
					t.Errorf("GET /type?n=%s = %d %q, Content-Type %q", q, code, body, h.Get("Content-Type"))
				}
			})
		}
		wg.Wait()
	})
}

// Behind net/http, each response's values are its own in net/http's
// header: code around the container that writes that header in place (a
// middleware, here a recorder's owner) changes only its own response, not
// the type set alone nor a value slice the handler gives every response.
func TestNetHTTPOwnValues(t *testing.T) {
	policy := []string{"no-store"} // the handler's, for every response
	c := container.New()
	defer c.Close()
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		if r.QueryValue("cache") != "" {
			w.Header()["Cache-Control"] = policy
		}
		api.SetContentType(w, "text/plain")
		_, err := w.WriteString("x")
		return err
	})
	for _, target := range []string{"/", "/?cache=1"} {
		first := httptest.NewRecorder()
		c.ServeHTTP(first, httptest.NewRequest("GET", target, nil))
		for _, vs := range first.Header() {
			vs[0] = "evil"
		}
		second := httptest.NewRecorder()
		c.ServeHTTP(second, httptest.NewRequest("GET", target, nil))
		if got := second.Header().Get("Content-Type"); got != "text/plain" {
			t.Errorf("%s: second response's Content-Type = %q, want text/plain", target, got)
		}
		if got := second.Header().Get("Cache-Control"); target != "/" && (got != "no-store" || policy[0] != "no-store") {
			t.Errorf("%s: second response's Cache-Control = %q, the handler's value %q, want no-store", target, got, policy[0])
		}
	}
}

// An empty type is a field of its own, as Header().Set's would be: the
// body is sniffed over it.
func TestSetContentTypeEmpty(t *testing.T) {
	c := container.New()
	defer c.Close()
	c.HandleFunc("/", func(w api.Response, r *api.Request) error {
		api.SetContentType(w, "")
		if vs, ok := w.Header()["Content-Type"]; !ok || len(vs) != 1 || vs[0] != "" {
			return fmt.Errorf("Header after SetContentType(\"\"): %v", w.Header())
		}
		_, err := w.WriteString("<html>x</html>")
		return err
	})
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("%d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

// A Content-Type set to nil, net/http's way to send no type, is not
// sniffed over: a net/http handler mounted gets what net/http's server
// sends, no Content-Type at all.
func TestNilContentTypeNotSniffed(t *testing.T) {
	build := func(c *container.Container) {
		c.Mount("/*", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil
			io.WriteString(w, "<html>x</html>")
		}))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		code, body, h := get(t, s, "/")
		if vs, ok := h["Content-Type"]; code != 200 || body != "<html>x</html>" || ok {
			t.Errorf("%d %q, Content-Type %q (present: %v), want none", code, body, vs, ok)
		}
	})
}

// A Content-Type a net/http handler set empty, or to no values, is not
// sniffed over either: net/http's server sniffs a type only when the
// header has no Content-Type key at all (it sends the empty one as it
// is). Wharf's own empty type is sniffed over (TestSetContentTypeEmpty),
// but a mounted handler gets net/http's rule.
func TestEmptyContentTypeNotSniffedFromHTTP(t *testing.T) {
	set := map[string]func(http.Header){
		"/empty":    func(h http.Header) { h.Set("Content-Type", "") },
		"/novalues": func(h http.Header) { h["Content-Type"] = []string{} },
		"/empties":  func(h http.Header) { h["Content-Type"] = []string{"", ""} },
	}
	build := func(c *container.Container) {
		for path, f := range set {
			c.Mount(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f(w.Header())
				io.WriteString(w, "<html>x</html>")
			}))
		}
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for path := range set {
			code, body, h := get(t, s, path)
			if ct := h.Get("Content-Type"); code != 200 || body != "<html>x</html>" || ct != "" {
				t.Errorf("GET %s: %d %q, Content-Type %q; want 200, the body, no type sniffed", path, code, body, ct)
			}
		}
	})
}
