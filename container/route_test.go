package container_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
)

// say answers with a fixed body.
func say(body string) api.Handler {
	return api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.Header().Set("X-Handler", body)
		_, err := io.WriteString(w, body)
		return err
	})
}

// routes is the registration every method-routing test serves.
func routes(c *container.Container) {
	c.Handle("GET /items/{id}", say("get-item"))
	c.Handle("PUT /items/{id}", say("put-item"))
	c.Handle("POST /items", say("post-items"))
	c.Handle("GET /items", say("list-items"))
	c.Handle("/items/{id}/photo", say("photo-any"))
	c.Handle("DELETE /items/{id}/photo", say("photo-delete"))
	c.Handle("OPTIONS /custom", say("custom-options"))
	c.Handle("HEAD /head", say("own-head"))
	c.Handle("GET /head", say("get-head"))
	c.Handle("GET /static/*", say("static"))
	c.Handle("GET *.json", say("json"))
	c.Handle("/", say("default"))
	// The context root with a method: net/http's "GET /{$}".
	c.Handle("GET ", say("home"))
	c.Context("/shop").Handle("GET ", say("shop-home"))
}

var routeCases = []struct {
	method, path string
	status       int
	body         string // "" for none expected
	allow        string // the Allow field expected, or ""
}{
	{"GET", "/items/7", 200, "get-item", ""},
	{"PUT", "/items/7", 200, "put-item", ""},
	{"DELETE", "/items/7", 405, "", "GET, HEAD, OPTIONS, PUT"},
	{"POST", "/items/7", 405, "", "GET, HEAD, OPTIONS, PUT"},
	{"HEAD", "/items/7", 200, "", ""},
	{"OPTIONS", "/items/7", 200, "", "GET, HEAD, OPTIONS, PUT"},
	{"POST", "/items", 200, "post-items", ""},
	{"GET", "/items", 200, "list-items", ""},
	{"PATCH", "/items", 405, "", "GET, HEAD, OPTIONS, POST"},
	// A handler without a method takes every method the others leave.
	{"DELETE", "/items/7/photo", 200, "photo-delete", ""},
	{"GET", "/items/7/photo", 200, "photo-any", ""},
	{"OPTIONS", "/items/7/photo", 200, "photo-any", ""},
	// A handler for OPTIONS takes it; others get 405 naming it.
	{"OPTIONS", "/custom", 200, "custom-options", ""},
	{"GET", "/custom", 405, "", "OPTIONS"},
	// HEAD's own handler wins over GET's.
	{"HEAD", "/head", 200, "", ""},
	{"GET", "/head", 200, "get-head", ""},
	// Prefix and extension patterns route by method too, and the path is
	// mapped first: a method the best pattern lacks is 405, not the
	// default handler.
	{"GET", "/static/a/b.css", 200, "static", ""},
	{"POST", "/static/a/b.css", 405, "", "GET, HEAD, OPTIONS"},
	{"GET", "/x/y.json", 200, "json", ""},
	{"DELETE", "/x/y.json", 405, "", "GET, HEAD, OPTIONS"},
	{"DELETE", "/elsewhere", 200, "default", ""},
	// The context root routes by method as any path does.
	{"GET", "/", 200, "home", ""},
	{"HEAD", "/", 200, "", ""},
	{"POST", "/", 405, "", "GET, HEAD, OPTIONS"},
	{"GET", "/shop/", 200, "shop-home", ""},
	{"DELETE", "/shop/", 405, "", "GET, HEAD, OPTIONS"},
}

// TestMethodRoutes runs the routing table on every protocol.
func TestMethodRoutes(t *testing.T) {
	modes.Run(t, routes, func(t *testing.T, s *modes.Server) {
		for _, tc := range routeCases {
			req, _ := http.NewRequest(tc.method, s.URL+tc.path, nil)
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.method, tc.path, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("%s %s = %d %q, want %d", tc.method, tc.path, resp.StatusCode, b, tc.status)
				continue
			}
			if got := resp.Header.Get("Allow"); got != tc.allow {
				t.Errorf("%s %s: Allow = %q, want %q", tc.method, tc.path, got, tc.allow)
			}
			if tc.body != "" && string(b) != tc.body {
				t.Errorf("%s %s: body %q, want %q", tc.method, tc.path, b, tc.body)
			}
			if tc.method == "HEAD" && len(b) != 0 {
				t.Errorf("HEAD %s: body %q, want none", tc.path, b)
			}
		}
	})
}

// TestHeadNoBodyOnTheWire: on HTTP/1.1 the bytes after a HEAD's answer
// are the next answer's: no body leaked (Go's client would not read one,
// so TestHeadFromGet cannot see a leak).
func TestHeadNoBodyOnTheWire(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("GET /doc", func(w api.Response, r *api.Request) error {
			_, err := io.WriteString(w, strings.Repeat("x", 1234))
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		nc := s.DialHTTP1(t)
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(nc, "HEAD /doc HTTP/1.1\r\nHost: x\r\n\r\nGET /doc HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(nc)
		head, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
		if err != nil {
			t.Fatal(err)
		}
		head.Body.Close()
		if head.StatusCode != 200 || head.ContentLength != 1234 {
			t.Errorf("HEAD = %d, Content-Length %d", head.StatusCode, head.ContentLength)
		}
		next, err := br.Peek(len("HTTP/1.1 200"))
		if err != nil || string(next) != "HTTP/1.1 200" {
			t.Fatalf("after the HEAD answer: %q, %v; want the GET's status line", next, err)
		}
		get, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(get.Body)
		get.Body.Close()
		if len(b) != 1234 {
			t.Errorf("GET body %d bytes", len(b))
		}
	})
}

// TestHeadFromGet: GET's handler serves HEAD with its headers and its
// Content-Length, and no body, on every protocol.
func TestHeadFromGet(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("GET /doc", func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Type", "text/markdown")
			w.Header().Set("ETag", `"v1"`)
			_, err := io.WriteString(w, strings.Repeat("x", 1234))
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		resp, err := s.Client.Head(s.URL + "/doc")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(b) != 0 {
			t.Fatalf("HEAD = %d with %d body bytes", resp.StatusCode, len(b))
		}
		if resp.ContentLength != 1234 || resp.Header.Get("Content-Type") != "text/markdown" || resp.Header.Get("ETag") != `"v1"` {
			t.Errorf("HEAD: Content-Length %d, header %v; want GET's", resp.ContentLength, resp.Header)
		}
	})
}

// TestMethodNotAllowedErrorPage: the 405 goes through the error pages,
// which see the Allow field.
func TestMethodNotAllowedErrorPage(t *testing.T) {
	c := container.New()
	c.Handle("GET /x", say("x"))
	c.ErrorPage(http.StatusMethodNotAllowed, api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := io.WriteString(w, "not here; try "+w.Header().Get("Allow"))
		return err
	}))
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("POST", "/x", nil))
	if rec.Code != 405 || rec.Body.String() != "not here; try GET, HEAD, OPTIONS" || rec.Header().Get("Allow") != "GET, HEAD, OPTIONS" {
		t.Errorf("POST /x = %d %q Allow %q", rec.Code, rec.Body, rec.Header().Get("Allow"))
	}
}

// TestMethodFilters: a filter with a method sees only that method (and
// HEAD for GET); one without sees all.
func TestMethodFilters(t *testing.T) {
	c := container.New()
	c.Handle("/api/*", say("api"))
	mark := func(name string) api.Filter {
		return api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			w.Header().Add("X-Filters", name)
			return next.Next(w, r)
		})
	}
	c.Filter("POST /api/*", mark("post"))
	c.Filter("/api/*", mark("all"))
	c.Filter("GET /api/*", mark("get"))
	for _, tc := range []struct{ method, want string }{
		{"POST", "post,all"},
		{"GET", "all,get"},
		{"HEAD", "all,get"},
		{"PUT", "all"},
	} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest(tc.method, "/api/items", nil))
		if got := strings.Join(rec.Header().Values("X-Filters"), ","); got != tc.want {
			t.Errorf("%s: filters %q, want %q", tc.method, got, tc.want)
		}
	}
}

// TestForwardRoutesByMethod: a forward keeps the method, and the target
// path's handler for it serves.
func TestForwardRoutesByMethod(t *testing.T) {
	c := container.New()
	c.Handle("GET /target", say("get-target"))
	c.Handle("POST /target", say("post-target"))
	c.HandleFunc("/from", func(w api.Response, r *api.Request) error {
		return dispatcher.Forward(w, r, "/target")
	})
	for _, m := range []string{"GET", "POST"} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest(m, "/from", nil))
		if want := strings.ToLower(m) + "-target"; rec.Body.String() != want {
			t.Errorf("%s /from forwarded = %d %q, want %q", m, rec.Code, rec.Body, want)
		}
	}
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("DELETE", "/from", nil))
	if rec.Code != 405 {
		t.Errorf("DELETE /from forwarded = %d, want 405", rec.Code)
	}
}

// TestRegistrationPanics: what net/http refuses loudly is refused loudly,
// and the message names both registrations.
func TestRegistrationPanics(t *testing.T) {
	ok := api.HandlerFunc(func(api.Response, *api.Request) error { return nil })
	okf := api.FilterFunc(func(w api.Response, r *api.Request, n api.Chain) error { return n.Next(w, r) })
	for _, tc := range []struct {
		name  string
		setup func(c *container.Container)
		want  []string // substrings of the panic message
	}{
		{"same path other names", func(c *container.Container) {
			c.Handle("/a/{id}", ok)
			c.Handle("/a/{name}", ok)
		}, []string{`"/a/{name}"`, `"/a/{id}"`}},
		{"same path other names, same method", func(c *container.Container) {
			c.Handle("GET /a/{id}", ok)
			c.Handle("GET /a/{name}", ok)
		}, []string{`"GET /a/{name}"`, `"GET /a/{id}"`}},
		{"same path other names, any and any", func(c *container.Container) {
			c.Handle("/a/{id}/*", ok)
			c.Handle("/a/{name}/*", ok)
		}, []string{`"/a/{name}/*"`, `"/a/{id}/*"`}},
		{"same method twice", func(c *container.Container) {
			c.Handle("GET /x", ok)
			c.Handle("GET  /x", ok)
		}, []string{`"GET  /x"`, `"GET /x"`}},
		{"any method twice", func(c *container.Container) {
			c.Handle("/x/*", ok)
			c.Handle("/x/*", ok)
		}, []string{`"/x/*"`}},
		{"prefix templates same shape", func(c *container.Container) {
			c.Handle("/u/{a}/*", ok)
			c.Handle("/u/{b}/*", ok)
		}, []string{`"/u/{a}/*"`, `"/u/{b}/*"`}},
		{"nil handler", func(c *container.Container) { c.Handle("/x", nil) }, []string{"nil handler", `"/x"`}},
		{"nil handler func", func(c *container.Container) { c.HandleFunc("/x", nil) }, []string{"nil handler", `"/x"`}},
		{"nil filter func", func(c *container.Container) { c.FilterFunc("/x", nil) }, []string{"nil filter", `"/x"`}},
		{"nil mount", func(c *container.Container) { c.Mount("/x/*", nil) }, []string{"nil handler", `"/x/*"`}},
		{"nil filter", func(c *container.Container) { c.Filter("/x", nil) }, []string{"nil filter", `"/x"`}},
		{"trailing slash handler", func(c *container.Container) { c.Handle("/api/", ok) }, []string{`"/api/*"`, `"/api"`}},
		{"trailing slash filter", func(c *container.Container) { c.Filter("/api/", okf) }, []string{`"/api/*"`, `"/api"`}},
		{"trailing slash with method", func(c *container.Container) { c.Handle("GET /api/", ok) }, []string{`"/api/*"`}},
		{"lower-case method", func(c *container.Container) { c.Handle("get /x", ok) }, []string{`"get"`}},
		{"host pattern", func(c *container.Container) { c.Handle("GET example.com/x", ok) }, []string{"must start with '/'", `"example.com"`, `map "/x"`}},
		{"space in path", func(c *container.Container) { c.Handle("GET /a b", ok) }, []string{"space in the path"}},
		// A path alone with a space in it has no method: the text before
		// the space is not one, and the message says where the space is.
		{"space in path without method", func(c *container.Container) { c.Handle("/x/{ id }", ok) }, []string{"space in the path", `"/x/{ id }"`}},
		{"space in extension pattern", func(c *container.Container) { c.Handle("*.a b", ok) }, []string{"space in the path"}},
		{"space in filter path", func(c *container.Container) { c.Filter("/my files/*", okf) }, []string{"space in the path"}},
		{"leading space", func(c *container.Container) { c.Handle(" /x", ok) }, []string{"space before"}},
		{"bad servlet pattern", func(c *container.Container) { c.Handle("/a/*/b", ok) }, []string{`"/a/*/b"`}},
		// Paths are cleaned before mapping: a dot segment never matches,
		// and a filter on it would guard nothing.
		{"dot segment filter", func(c *container.Container) { c.Filter("/admin/./*", okf) }, []string{`"/admin/./*"`}},
		{"dot-dot segment handler", func(c *container.Container) { c.Handle("GET /a/../b", ok) }, []string{`"GET /a/../b"`}},
		// Paths are decoded before mapping: an escape would match only a
		// path encoded twice ("/caf%25C3%25A9").
		{"escape handler", func(c *container.Container) { c.Handle("GET /caf%C3%A9", ok) }, []string{`"GET /caf%C3%A9"`, `"%C3"`, `"/café"`}},
		{"escape filter", func(c *container.Container) { c.Filter("/a%2Fb/*", okf) }, []string{`"/a%2Fb/*"`, `"/a/b/*"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := func() (msg string) {
				defer func() {
					p := recover()
					if p == nil {
						return
					}
					msg, _ = p.(string)
					if msg == "" {
						t.Fatalf("panic value %#v is not a message", p)
					}
				}()
				tc.setup(container.New())
				return ""
			}()
			if msg == "" {
				t.Fatal("registration did not panic")
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("panic %q does not mention %s", msg, w)
				}
			}
		})
	}
}

// TestRegistrationsThatCoexist: method handlers and a handler for every
// method share a path; templates of other shapes coexist.
func TestRegistrationsThatCoexist(t *testing.T) {
	ok := api.HandlerFunc(func(api.Response, *api.Request) error { return nil })
	c := container.New()
	c.Handle("GET /a/{id}", ok)
	c.Handle("PUT /a/{id}", ok)
	c.Handle("/a/{id}", ok)
	c.Handle("/a/{id}/*", ok)
	c.Handle("/{x}/b", ok)
	c.Filter("GET /a/{id}", api.FilterFunc(func(w api.Response, r *api.Request, n api.Chain) error { return n.Next(w, r) }))
	c.Filter("/a/{id}", api.FilterFunc(func(w api.Response, r *api.Request, n api.Chain) error { return n.Next(w, r) }))
	c.Filter("/a/{other}", api.FilterFunc(func(w api.Response, r *api.Request, n api.Chain) error { return n.Next(w, r) }))
}

// TestParamNamesPerMethod: handlers of one path for different methods may
// name its parameters differently, as in net/http; each sees its own
// names, forwarded to or not.
func TestParamNamesPerMethod(t *testing.T) {
	show := func(name string) api.Handler {
		return api.HandlerFunc(func(w api.Response, r *api.Request) error {
			_, err := fmt.Fprintf(w, "%s %s", r.PathParam(name), r.Mapping().Params)
			return err
		})
	}
	c := container.New()
	c.Handle("GET /items/{id}", show("id"))
	c.Handle("DELETE /items/{itemID}", show("itemID"))
	c.Handle("/items/{any}", show("any"))
	c.HandleFunc("/fwd/{x}", func(w api.Response, r *api.Request) error {
		return dispatcher.Forward(w, r, "/items/"+r.PathParam("x"))
	})
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/items/7", "7 [{id 7}]"},
		{"DELETE", "/items/7", "7 [{itemID 7}]"},
		{"PUT", "/items/7", "7 [{any 7}]"},
		{"DELETE", "/fwd/8", "8 [{itemID 8}]"},
		{"GET", "/fwd/8", "8 [{id 8}]"},
	} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != 200 || rec.Body.String() != tc.want {
			t.Errorf("%s %s = %d %q, want %q", tc.method, tc.path, rec.Code, rec.Body, tc.want)
		}
	}
}

// TestFilterSlashBypass is the finding behind the trailing-slash rule:
// "/api/" guarded only the path "/api/", and "/api/items/1" was served
// unguarded. Now "/api/" is refused and "/api/*" guards the subtree.
func TestFilterSlashBypass(t *testing.T) {
	c := container.New()
	c.Handle("/api/*", say("secret"))
	auth := api.FilterFunc(func(w api.Response, r *api.Request, n api.Chain) error {
		if r.Header().Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			return api.Error(http.StatusUnauthorized, "")
		}
		return n.Next(w, r)
	})
	func() {
		defer func() {
			if recover() == nil {
				t.Error(`Filter("/api/") did not panic`)
			}
		}()
		c.Filter("/api/", auth)
	}()
	c.Filter("/api/*", auth)
	for _, p := range []string{"/api", "/api/", "/api/items/1"} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("GET %s unauthenticated = %d %q, WWW-Authenticate %q", p, rec.Code, rec.Body, rec.Header().Get("WWW-Authenticate"))
		}
	}
}

// TestContainerHasContextMethods: the root context's registration
// methods are on the container too.
func TestContainerHasContextMethods(t *testing.T) {
	c := container.New()
	c.Mount("/nh/*", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "nethttp") }))
	c.FilterFunc("/nh/*", func(w api.Response, r *api.Request, n api.Chain) error {
		w.Header().Set("X-F", "1")
		return n.Next(w, r)
	})
	c.SetInitParam("k", "v")
	c.ErrorPage(404, say("custom 404"))
	errTeapot := errors.New("teapot")
	c.ErrorPageFor(errTeapot, say("custom teapot"))
	c.HandleFunc("/teapot", func(api.Response, *api.Request) error { return errTeapot })
	if c.InitParam("k") != "v" || c.Root().InitParam("k") != "v" {
		t.Error("InitParam")
	}
	for _, tc := range []struct{ path, body string }{
		{"/nh/x", "nethttp"},
		{"/missing", "custom 404"},
		{"/teapot", "custom teapot"},
	} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Body.String() != tc.body {
			t.Errorf("GET %s = %d %q, want %q", tc.path, rec.Code, rec.Body, tc.body)
		}
	}
}
