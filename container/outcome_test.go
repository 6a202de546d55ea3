package container_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	engine "github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// describeBody sets the header fields that describe a body, which an error
// must drop with the body they describe.
func describeBody(w api.Response) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", "99")
	h.Set("Content-Encoding", "br")
	h.Set("Content-Language", "fr")
	h.Set("ETag", `"v1"`)
	h.Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
	h.Set("Content-Disposition", "attachment")
}

// dropped are the fields describeBody sets but for Content-Type and
// Content-Length, which the error response sets again for its own body.
var dropped = []string{"Content-Encoding", "Content-Language", "Etag", "Last-Modified", "Content-Disposition"}

// TestErrorKeepsHeaders proves that an error returned by a handler keeps
// the header fields set before it (by the handler, by a filter) and drops
// the uncommitted body with the fields that describe it, on every
// protocol; error pages see the kept fields, and a failing error page is
// discarded by the same rule.
func TestErrorKeepsHeaders(t *testing.T) {
	build := func(c *container.Container) {
		c.Filter("/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			w.Header().Set("X-Frame-Options", "DENY")
			w.Header().Set("Access-Control-Allow-Origin", "*")
			return next.Next(w, r)
		}))
		c.HandleFunc("/auth", func(w api.Response, r *api.Request) error {
			w.Header().Set("WWW-Authenticate", `Basic realm="wharf"`)
			describeBody(w)
			w.WriteString("secret")
			return api.Error(http.StatusUnauthorized, "log in")
		})
		c.HandleFunc("/boom", func(w api.Response, r *api.Request) error {
			describeBody(w)
			w.SetStatus(http.StatusCreated)
			w.WriteString("half a result")
			return errors.New("boom")
		})
		c.HandleFunc("/method", func(w api.Response, r *api.Request) error {
			w.Header().Set("Allow", "GET, HEAD")
			describeBody(w)
			w.WriteString("no")
			return api.Error(http.StatusMethodNotAllowed, "")
		})
		c.Root().ErrorPage(http.StatusMethodNotAllowed, api.HandlerFunc(func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, err := fmt.Fprintf(w, "page: allow=%q etag=%q", w.Header().Get("Allow"), w.Header().Get("ETag"))
			return err
		}))
		c.HandleFunc("/page-fails", func(w api.Response, r *api.Request) error {
			w.Header().Set("X-Request-Id", "r1")
			return api.Error(http.StatusConflict, "taken")
		})
		c.Root().ErrorPage(http.StatusConflict, api.HandlerFunc(func(w api.Response, r *api.Request) error {
			w.Header().Set("X-Page", "1")
			describeBody(w)
			w.WriteString("page body")
			return errors.New("the page broke")
		}))
	}
	tests := []struct {
		path   string
		code   int
		body   string
		header map[string]string // "" means absent
	}{
		{"/auth", 401, "401 Unauthorized: log in\n", map[string]string{
			"Www-Authenticate": `Basic realm="wharf"`, "X-Frame-Options": "DENY", "Access-Control-Allow-Origin": "*",
			"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff",
		}},
		{"/boom", 500, "500 Internal Server Error\n", map[string]string{
			"X-Frame-Options": "DENY", "Access-Control-Allow-Origin": "*", "Content-Type": "text/plain; charset=utf-8",
		}},
		{"/method", 405, `page: allow="GET, HEAD" etag=""`, map[string]string{
			"Allow": "GET, HEAD", "X-Frame-Options": "DENY", "Content-Type": "text/plain; charset=utf-8",
		}},
		{"/page-fails", 409, "409 Conflict: taken\n", map[string]string{
			"X-Request-Id": "r1", "X-Page": "1", "X-Frame-Options": "DENY", "Content-Type": "text/plain; charset=utf-8",
		}},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			code, body, h := get(t, s, tt.path)
			if code != tt.code || body != tt.body {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, code, body, tt.code, tt.body)
			}
			for k, want := range tt.header {
				if got := h.Get(k); got != want {
					t.Errorf("GET %s: %s = %q, want %q", tt.path, k, got, want)
				}
			}
			for _, k := range dropped {
				if v := h.Get(k); v != "" {
					t.Errorf("GET %s: %s = %q survived the error", tt.path, k, v)
				}
			}
			// The Content-Length the handler set would cut or stall the
			// error body: the client read it whole.
			if h.Get("Content-Length") == "99" {
				t.Errorf("GET %s: the handler's Content-Length survived the error", tt.path)
			}
		}
	}, container.WithLogger(wharftest.DiscardLogger()))
}

// TestTimeoutAnswersAlone proves, on every protocol, that a task's result
// left uncommitted (it forgot Complete) does not end up in the timeout's
// answer: the client gets the timeout's status and body only, with the
// header fields that do not describe the discarded body. Committed output
// cannot be taken back: the timeout's writes then follow it.
func TestTimeoutAnswersAlone(t *testing.T) {
	type wrote struct {
		path string
		ex   *engine.Exchange
	}
	ready := make(chan wrote, 16)
	build := func(c *container.Container) {
		c.HandleFunc("/*", func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			a.SetTimeout(time.Hour) // the test expires it
			a.AddListener(async.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
				w.SetStatus(http.StatusGatewayTimeout)
				w.WriteString("timed out")
				a.Complete()
			}})
			flush := r.Path() == "/flushed"
			return a.Dispatch(func(w api.Response) {
				w.Header().Set("X-Kept", "1")
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("ETag", `"r"`)
				w.SetStatus(http.StatusCreated)
				w.WriteString("result")
				if flush {
					w.Flush()
				}
				ready <- wrote{r.Path(), engine.From(r)} // and no Complete
			})
		})
	}
	tests := []struct {
		path   string
		code   int
		body   string
		header map[string]string
	}{
		{"/forgot", 504, "timed out", map[string]string{"X-Kept": "1", "Etag": "", "Content-Type": "text/plain; charset=utf-8"}},
		{"/flushed", 201, "resulttimed out", map[string]string{"X-Kept": "1", "Etag": `"r"`, "Content-Type": "application/json"}},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			var wg sync.WaitGroup
			wg.Add(1)
			var (
				code int
				body string
				h    http.Header
			)
			go func() {
				defer wg.Done()
				code, body, h = get(t, s, tt.path)
			}()
			w := <-ready
			if w.path != tt.path {
				t.Fatalf("task of %s ran for %s", w.path, tt.path)
			}
			// The task is still running: the expiry queues behind it.
			if err := w.ex.Expire(); err != nil {
				t.Fatalf("Expire: %v", err)
			}
			wg.Wait()
			if code != tt.code || body != tt.body {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, code, body, tt.code, tt.body)
			}
			for k, want := range tt.header {
				if got := h.Get(k); got != want {
					t.Errorf("GET %s: %s = %q, want %q", tt.path, k, got, want)
				}
			}
		}
	})
}

// TestFailureAfterTaskAnswersAlone: a task's uncommitted result and a
// later task's failure do not mix either; the error page answers alone,
// with the kept header fields.
func TestFailureAfterTaskAnswersAlone(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/", func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			a.Dispatch(func(w api.Response) {
				w.Header().Set("X-Kept", "1")
				w.Header().Set("Content-Type", "application/json")
				w.WriteString("result")
			})
			return a.Dispatch(func(w api.Response) { panic("second task") })
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		code, body, h := get(t, s, "/")
		if code != 500 || strings.Contains(body, "result") || h.Get("X-Kept") != "1" ||
			h.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("got %d %q %v", code, body, h)
		}
	}, container.WithLogger(wharftest.DiscardLogger()))
}

// TestResultCounts proves, on every protocol, that a request's async.Result
// has the status the client got and the body bytes it received: buffered
// bytes count once sent, discarded ones never, bodiless responses none.
func TestResultCounts(t *testing.T) {
	type seen struct {
		method, path string
		res          async.Result
	}
	results := make(chan seen, 16)
	big := strings.Repeat("0123456789", 10_000) // larger than the output buffer
	build := func(c *container.Container) {
		c.Filter("/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			method, path := r.Method(), r.Path()
			engine.From(r).AddListener(async.Listener{OnComplete: func(r *api.Request, _ error) {
				res, ok := async.ResultOf(r)
				if !ok {
					t.Error("no Result in OnComplete")
				}
				results <- seen{method, path, res}
			}})
			return next.Next(w, r)
		}))
		c.HandleFunc("/small", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("hello")
			return err
		})
		c.HandleFunc("/reset", func(w api.Response, r *api.Request) error {
			w.WriteString("discard me")
			w.Reset()
			_, err := w.WriteString("ok")
			return err
		})
		c.HandleFunc("/big", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString(big)
			return err
		})
		c.HandleFunc("/nocontent", func(w api.Response, r *api.Request) error { return w.SetStatus(http.StatusNoContent) })
		c.HandleFunc("/error", func(w api.Response, r *api.Request) error {
			w.WriteString("partial")
			return api.Error(http.StatusTeapot, "")
		})
	}
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/small", 200},
		{"HEAD", "/small", 200},
		{"GET", "/reset", 200},
		{"GET", "/big", 200},
		{"GET", "/nocontent", 204},
		{"GET", "/error", 418},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			req, _ := http.NewRequest(tt.method, s.URL+tt.path, nil)
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			var got seen
			select {
			case got = <-results:
			case <-time.After(wharftest.Patience):
				t.Fatalf("%s %s: no completion", tt.method, tt.path)
			}
			want := async.Result{Status: tt.status, Bytes: int64(len(body)), End: async.EndAnswered, Err: got.res.Err}
			if got.method != tt.method || got.path != tt.path || got.res != want || resp.StatusCode != tt.status {
				t.Errorf("%s %s: client got %d and %d bytes; Result %+v for %s %s", tt.method, tt.path,
					resp.StatusCode, len(body), got.res, got.method, got.path)
			}
			if (got.res.Err != nil) != (tt.path == "/error") {
				t.Errorf("%s %s: Err %v", tt.method, tt.path, got.res.Err)
			}
		}
	}, container.WithLogger(wharftest.DiscardLogger()))
}

// TestExpiredKeepsHeadersLikeResumed: a continuation's expired re-dispatch
// goes on with the header fields the first pass set, as a resumed one
// does, when no body was written before the expiry.
func TestExpiredKeepsHeadersLikeResumed(t *testing.T) {
	build := func(c *container.Container) {
		c.HandleFunc("/poll", func(w api.Response, r *api.Request) error {
			cont := continuation.Of(r)
			if cont.IsInitial() {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Poll", "1")
				cont.SetTimeout(time.Millisecond)
				if r.QueryValue("resume") != "" {
					return cont.SuspendThen(func(c continuation.Continuation) { c.Resume() })
				}
				return cont.Suspend()
			}
			_, err := io.WriteString(w, "[]")
			return err
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, q := range []string{"", "?resume=1"} {
			resp, err := s.Client.Get(s.URL + "/poll" + q)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "[]" || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Poll") != "1" {
				t.Errorf("/poll%s = %q, header %v", q, b, resp.Header)
			}
		}
	})
}
