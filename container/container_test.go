package container_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func get(t *testing.T, s *modes.Server, path string) (int, string, http.Header) {
	t.Helper()
	resp, err := s.Client.Get(s.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", path, err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// named answers with its name and the mapping it was reached through.
func named(name string) api.Handler {
	return api.HandlerFunc(func(w api.Response, r *api.Request) error {
		m := r.Mapping()
		fmt.Fprintf(w, "%s cp=%q pattern=%q sp=%q pi=%q id=%q", name, m.ContextPath, m.Pattern, m.ServletPath, m.PathInfo, r.PathParam("id"))
		return nil
	})
}

func TestMapping(t *testing.T) {
	build := func(c *container.Container) {
		c.Handle("/exact", named("exact"))
		c.Handle("/a/*", named("prefixA"))
		c.Handle("/a/b/*", named("prefixAB"))
		c.Handle("*.jsp", named("ext"))
		c.Handle("/", named("default"))
		c.Handle("/users/{id}", named("user"))
		shop := c.Context("/shop")
		shop.Handle("", named("shopRoot"))
		shop.Handle("/cart", named("cart"))
		shop.Handle("/items/{id}/*", named("item"))
	}
	tests := []struct {
		path, want string
	}{
		{"/exact", `exact cp="" pattern="/exact" sp="/exact" pi="" id=""`},
		{"/a/x", `prefixA cp="" pattern="/a/*" sp="/a" pi="/x" id=""`},
		{"/a", `prefixA cp="" pattern="/a/*" sp="/a" pi="" id=""`},
		{"/a/b/c/d", `prefixAB cp="" pattern="/a/b/*" sp="/a/b" pi="/c/d" id=""`},
		{"/a/b.jsp", `prefixA cp="" pattern="/a/*" sp="/a" pi="/b.jsp" id=""`},
		{"/x/y.jsp", `ext cp="" pattern="*.jsp" sp="/x/y.jsp" pi="" id=""`},
		{"/nothing/here", `default cp="" pattern="/" sp="/nothing/here" pi="" id=""`},
		{"/users/42", `user cp="" pattern="/users/{id}" sp="/users/42" pi="" id="42"`},
		{"/shop/", `shopRoot cp="/shop" pattern="" sp="" pi="/" id=""`},
		{"/shop/cart", `cart cp="/shop" pattern="/cart" sp="/cart" pi="" id=""`},
		{"/shop/items/7/photo", `item cp="/shop" pattern="/items/{id}/*" sp="/items/7" pi="/photo" id="7"`},
		{"/shopping", `default cp="" pattern="/" sp="/shopping" pi="" id=""`},
		{"/a/./b/../x", `prefixA cp="" pattern="/a/*" sp="/a" pi="/x" id=""`},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			code, body, _ := get(t, s, tt.path)
			if code != 200 || body != tt.want {
				t.Errorf("GET %s = %d %s\n want %s", tt.path, code, body, tt.want)
			}
		}
		if code, _, _ := get(t, s, "/shop/none"); code != 404 {
			t.Errorf("unmapped path in a context without default: %d, want 404", code)
		}
	})
}

func TestFiltersInOrder(t *testing.T) {
	tag := func(name string) api.Filter {
		return api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			w.Header().Add("X-Filters", name)
			return next.Next(w, r)
		})
	}
	build := func(c *container.Container) {
		c.Filter("/*", tag("all"))
		c.Filter("/api/*", tag("api"))
		c.Filter("*.json", tag("json"))
		c.Filter("/*", tag("all2"))
		c.Handle("/", named("default"))
	}
	tests := []struct{ path, want string }{
		{"/x", "all,all2"},
		{"/api/v", "all,api,all2"},
		{"/api/v.json", "all,api,json,all2"},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			_, _, h := get(t, s, tt.path)
			if got := strings.Join(h.Values("X-Filters"), ","); got != tt.want {
				t.Errorf("%s: filters %q, want %q", tt.path, got, tt.want)
			}
		}
	})
}

type teapotError struct{}

func (teapotError) Error() string { return "short and stout" }

var errPayment = errors.New("pay first")

func TestErrorPages(t *testing.T) {
	build := func(c *container.Container) {
		root := c.Root()
		root.HandleFunc("/notfound", func(w api.Response, r *api.Request) error { return api.Error(404, "gone") })
		root.HandleFunc("/fail", func(w api.Response, r *api.Request) error { return errors.New("secret detail") })
		root.HandleFunc("/panic", func(w api.Response, r *api.Request) error { panic("boom") })
		root.HandleFunc("/typed", func(w api.Response, r *api.Request) error { return fmt.Errorf("wrapped: %w", teapotError{}) })
		root.HandleFunc("/sentinel", func(w api.Response, r *api.Request) error { return fmt.Errorf("x: %w", errPayment) })
		root.HandleFunc("/bad", func(w api.Response, r *api.Request) error { return api.Error(400, "missing name") })
		root.ErrorPage(404, api.HandlerFunc(func(w api.Response, r *api.Request) error {
			_, err := fmt.Fprintf(w, "custom 404 for %s: %v", r.Path(), container.ErrorOf(r))
			return err
		}))
		container.ErrorPageAs[teapotError](root, api.HandlerFunc(func(w api.Response, r *api.Request) error {
			w.SetStatus(418)
			_, err := w.WriteString("teapot page")
			return err
		}))
		root.ErrorPageFor(errPayment, api.HandlerFunc(func(w api.Response, r *api.Request) error {
			w.SetStatus(402)
			_, err := w.WriteString("payment page")
			return err
		}))
	}
	tests := []struct {
		path     string
		code     int
		contains string
		hidden   string
	}{
		{"/notfound", 404, "custom 404 for /notfound: 404 Not Found: gone", ""},
		{"/unmapped", 404, "custom 404 for /unmapped", ""},
		{"/fail", 500, "500 Internal Server Error", "secret"},
		{"/panic", 500, "500 Internal Server Error", "boom"},
		{"/typed", 418, "teapot page", ""},
		{"/sentinel", 402, "payment page", ""},
		{"/bad", 400, "400 Bad Request: missing name", ""},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			code, body, _ := get(t, s, tt.path)
			if code != tt.code || !strings.Contains(body, tt.contains) || (tt.hidden != "" && strings.Contains(body, tt.hidden)) {
				t.Errorf("GET %s = %d %q, want %d containing %q", tt.path, code, body, tt.code, tt.contains)
			}
		}
	}, container.WithLogger(wharftest.DiscardLogger()))
}

func TestPanicAfterCommitAborts(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			w.WriteString("partial")
			w.Flush()
			panic("late")
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		resp, err := s.Client.Get(s.URL + "/")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if err == nil {
			t.Fatal("a response committed before a panic must be cut off, not completed")
		}
	}, container.WithLogger(wharftest.DiscardLogger()))
}

type eventKey struct{}

// testSuspendResume is the continuation semantics on a live server.
func TestSuspendResume(t *testing.T) {
	var mu sync.Mutex
	waiting := map[string]continuation.Continuation{}
	build := func(c *container.Container) {
		c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			switch {
			case cont.IsInitial():
				cont.SetTimeout(time.Minute)
				if err := cont.Suspend(); err != nil {
					return err
				}
				mu.Lock()
				waiting[r.QueryValue("id")] = cont
				mu.Unlock()
				return nil
			case cont.IsResumed():
				_, err := fmt.Fprintf(w, "resumed with %v", r.Attribute(eventKey{}))
				return err
			}
			return errors.New("unexpected")
		})
		c.HandleFunc("/wake", func(w api.Response, r *api.Request) error {
			mu.Lock()
			cont, ok := waiting[r.QueryValue("id")]
			delete(waiting, r.QueryValue("id"))
			mu.Unlock()
			if !ok {
				return api.Error(404, "nobody waits")
			}
			return cont.Resume(api.Attr{Key: eventKey{}, Value: r.QueryValue("ev")})
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		const n = 20
		var wg sync.WaitGroup
		bodies := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, bodies[i], _ = get(t, s, fmt.Sprintf("/wait?id=%d", i))
			}()
		}
		wharftest.WaitFor(t, "every request to suspend", func() bool { return s.Container.Stats().Suspended >= n })
		if s.Mode == modes.H1 || s.Mode == modes.H1Portable {
			// A request counts as suspended from inside its handler; its
			// connection turns detached once the handler has returned.
			wharftest.WaitFor(t, fmt.Sprintf("%d connections detached (a suspended request holds no goroutine)", n), func() bool {
				return s.Container.Stats().Connections.Detached == n
			})
		}
		for i := range n {
			if code, _, _ := get(t, s, fmt.Sprintf("/wake?id=%d&ev=e%d", i, i)); code != 200 {
				t.Errorf("wake %d: %d", i, code)
			}
		}
		wg.Wait()
		for i, b := range bodies {
			if want := fmt.Sprintf("resumed with e%d", i); b != want {
				t.Errorf("poll %d got %q, want %q", i, b, want)
			}
		}
	})
}

func TestForwardKeepsOriginal(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/a/*", func(w api.Response, r *api.Request) error {
			before := r.Path() + "|" + r.Mapping().Pattern + "|" + r.RawQuery()
			err := dispatcher.Forward(w, r, "/b/info?y=2")
			w.Header().Set("X-Original", before+" after="+r.Path()+"|"+r.Mapping().Pattern+"|"+r.RawQuery())
			return err
		})
		c.HandleFunc("/b/*", func(w api.Response, r *api.Request) error {
			_, err := fmt.Fprintf(w, "b sp=%s pi=%s q=%s", r.Mapping().ServletPath, r.Mapping().PathInfo, r.RawQuery())
			return err
		})
		c.HandleFunc("/inc", func(w api.Response, r *api.Request) error {
			w.WriteString("[")
			if err := dispatcher.Include(w, r, "/b/x"); err != nil {
				return err
			}
			w.WriteString("]")
			return nil
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		code, body, h := get(t, s, "/a/z?x=1")
		if code != 200 || body != "b sp=/b pi=/info q=y=2&x=1" {
			t.Errorf("forward: %d %q", code, body)
		}
		if got := h.Get("X-Original"); got != "/a/z|/a/*|x=1 after=/a/z|/a/*|x=1" {
			t.Errorf("original request changed: %q", got)
		}
		if _, body, _ := get(t, s, "/inc"); body != "[b sp=/b pi=/x q=]" {
			t.Errorf("include: %q", body)
		}
	})
}

// A forward clears the body written before it and the fields that describe
// that body, and keeps the status and the other header fields: those a
// filter set on the way in (a security header, a cookie) reach the client
// with the target's answer, as with the Servlet API's forward.
func TestForwardKeepsHeaderFields(t *testing.T) {
	build := func(c *container.Container) {
		c.FilterFunc("/*", func(w api.Response, r *api.Request, next api.Chain) error {
			w.Header().Set("X-Frame-Options", "DENY")
			w.Header().Add("Set-Cookie", "s=1")
			return next.Next(w, r)
		})
		c.HandleFunc("/a", func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Etag", `"a"`)
			io.WriteString(w, "discarded")
			return dispatcher.Forward(w, r, "/b")
		})
		c.HandleFunc("/gone", func(w api.Response, r *api.Request) error {
			w.SetStatus(http.StatusNotFound)
			return dispatcher.Forward(w, r, "/b")
		})
		c.HandleFunc("/b", func(w api.Response, r *api.Request) error {
			_, err := io.WriteString(w, "from b")
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		code, body, h := get(t, s, "/a")
		if code != 200 || body != "from b" {
			t.Errorf("forward: %d %q", code, body)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Set-Cookie") != "s=1" {
			t.Errorf("a filter's fields were lost in the forward: %v", h)
		}
		if h.Get("Etag") != "" || strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("the discarded body's fields were sent with the target's: %v", h)
		}
		if code, body, _ := get(t, s, "/gone"); code != http.StatusNotFound || body != "from b" {
			t.Errorf("status set before the forward: %d %q, want 404 %q", code, body, "from b")
		}
	})
}

// A mounted net/http handler's trailers reach the client, declared in the
// Trailer field or set with http.TrailerPrefix, whether or not the body was
// flushed before they were set, and are not header fields.
func TestMountTrailers(t *testing.T) {
	tests := []struct {
		name  string
		serve func(w http.ResponseWriter)
	}{
		{"declared, flushed", func(w http.ResponseWriter) {
			w.Header().Set("Trailer", "X-Checksum")
			w.WriteHeader(200)
			io.WriteString(w, "body")
			w.(http.Flusher).Flush()
			w.Header().Set("X-Checksum", "abc")
		}},
		{"declared, not flushed", func(w http.ResponseWriter) {
			w.Header().Set("Trailer", "X-Checksum")
			w.WriteHeader(200)
			io.WriteString(w, "body")
			w.Header().Set("X-Checksum", "abc")
		}},
		{"declared in a map kept from before the head", func(w http.ResponseWriter) {
			h := w.Header()
			h.Set("Trailer", "x-checksum")
			io.WriteString(w, "body")
			h.Set("X-Checksum", "abc")
		}},
		{"prefixed, flushed", func(w http.ResponseWriter) {
			io.WriteString(w, "body")
			w.(http.Flusher).Flush()
			w.Header().Set(http.TrailerPrefix+"X-Checksum", "abc")
		}},
		{"prefixed, not flushed", func(w http.ResponseWriter) {
			io.WriteString(w, "body")
			w.Header().Set(http.TrailerPrefix+"X-Checksum", "abc")
		}},
	}
	build := func(c *container.Container) {
		for i, tt := range tests {
			c.Mount(fmt.Sprintf("/t%d", i), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tt.serve(w) }))
		}
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for i, tt := range tests {
			resp, err := s.Client.Get(fmt.Sprintf("%s/t%d", s.URL, i))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(b) != "body" || resp.Trailer.Get("X-Checksum") != "abc" {
				t.Errorf("%s: body %q (%v), trailer %v", tt.name, b, err, resp.Trailer)
			}
			for k := range resp.Header {
				if k == "X-Checksum" || strings.HasPrefix(k, http.TrailerPrefix) {
					t.Errorf("%s: header has %s: %v", tt.name, k, resp.Header)
				}
			}
		}
	})
}

// A mounted net/http handler's header is sent as it was at WriteHeader, or
// at the first write: a field set afterwards is not sent, as with net/http,
// even through a map the handler kept from before.
func TestMountHeaderSentAtWriteHeader(t *testing.T) {
	build := func(c *container.Container) {
		c.Mount("/written", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Early", "1")
			w.WriteHeader(200)
			w.Header().Set("X-Late", "1")
			io.WriteString(w, "x")
		}))
		c.Mount("/kept", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("X-Early", "1")
			io.WriteString(w, "x")
			h.Set("X-Late", "1")
			h.Del("X-Early")
		}))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, path := range []string{"/written", "/kept"} {
			code, body, h := get(t, s, path)
			if code != 200 || body != "x" || h.Get("X-Early") != "1" || h.Get("X-Late") != "" {
				t.Errorf("%s: %d %q, header %v", path, code, body, h)
			}
		}
	})
}

// A net/http handler keeps Flusher and Hijacker when mounted, and reads
// the pattern's {name} parameters with PathValue.
func TestMountNetHTTP(t *testing.T) {
	build := func(c *container.Container) {
		mux := http.NewServeMux()
		mux.HandleFunc("/std/flush", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "one ")
			w.(http.Flusher).Flush()
			fmt.Fprint(w, "two")
		})
		mux.HandleFunc("/std/hijack", func(w http.ResponseWriter, r *http.Request) {
			nc, rw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			defer nc.Close()
			rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
			rw.Flush()
		})
		c.Root().Mount("/std/*", mux)
		c.Root().Mount("/notes/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "note ", r.PathValue("id"))
		}))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		if code, body, _ := get(t, s, "/std/flush"); code != 200 || body != "one two" {
			t.Errorf("flush: %d %q", code, body)
		}
		if code, body, _ := get(t, s, "/notes/42"); code != 200 || body != "note 42" {
			t.Errorf("PathValue: %d %q", code, body)
		}
		nc := s.DialHTTP1(t)
		defer nc.Close()
		fmt.Fprint(nc, "GET /std/hijack HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != "hijacked" {
			t.Errorf("hijack: %q", b)
		}
	})
}

// Once the head is sent, Header still reads the fields sent, and a field
// set afterwards reaches neither the client nor the next Header: on every
// protocol, for a response flushed and then written to, and for one
// suspended after its flush and answered by the resumed dispatch.
func TestHeaderAfterTheHead(t *testing.T) {
	build := func(c *container.Container) {
		after := func(w api.Response) error {
			if got := w.Header().Values("X-Sent"); strings.Join(got, ",") != "a,b" {
				return fmt.Errorf("Header after the head: X-Sent %q", got)
			}
			w.Header().Set("X-Late", "1")
			if got := w.Header().Get("X-Late"); got != "" {
				return fmt.Errorf("a field set after the head reads back %q", got)
			}
			_, err := io.WriteString(w, "rest")
			return err
		}
		head := func(w api.Response) error {
			w.Header().Add("X-Sent", "a")
			w.Header().Add("X-Sent", "b")
			if _, err := io.WriteString(w, "head,"); err != nil {
				return err
			}
			return w.Flush()
		}
		c.HandleFunc("/flushed", func(w api.Response, r *api.Request) error {
			if err := head(w); err != nil {
				return err
			}
			return after(w)
		})
		c.HandleFunc("/suspended", func(w api.Response, r *api.Request) error {
			k := continuation.Of(r)
			if k.IsResumed() {
				return after(w)
			}
			if err := head(w); err != nil {
				return err
			}
			return k.SuspendThen(func(k continuation.Continuation) { go k.Resume() })
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, path := range []string{"/flushed", "/suspended"} {
			code, body, h := get(t, s, path)
			if code != 200 || body != "head,rest" {
				t.Errorf("GET %s = %d %q, want 200 %q", path, code, body, "head,rest")
			}
			if got := strings.Join(h.Values("X-Sent"), ","); got != "a,b" {
				t.Errorf("GET %s: X-Sent %q, want a,b", path, got)
			}
			if v := h.Get("X-Late"); v != "" {
				t.Errorf("GET %s: a field set after the head was sent: X-Late %q", path, v)
			}
		}
	})
}
