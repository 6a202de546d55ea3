package static_test

import (
	"net/http"
	"testing"
	"testing/fstest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/static"
)

// TestCacheControlOnlyOnSuccess: Cache-Control goes with 200, 206 and 304
// answers only, as Config.CacheControl says. A 412 or 416 that carried a
// long "public, max-age" could be stored by a shared cache (RFC 9111 §3
// lets a cache store any final status with explicit freshness) and served
// to every later request for the file.
func TestCacheControlOnlyOnSuccess(t *testing.T) {
	cfg := static.Config{CacheControl: "public, max-age=31536000"}
	for _, tc := range []struct {
		name string
		hdr  []string
		code int
		want string
	}{
		{"200", nil, 200, cfg.CacheControl},
		{"206", []string{"Range", "bytes=0-1"}, 206, cfg.CacheControl},
		{"304", []string{"If-None-Match", "*"}, 304, cfg.CacheControl},
		{"412 If-Match", []string{"If-Match", `"nope"`}, 412, ""},
		{"412 If-Unmodified-Since", []string{"If-Unmodified-Since", "Sun, 01 Mar 2026 11:59:59 GMT"}, 412, ""},
		{"416", []string{"Range", "bytes=5000-"}, 416, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, static.New(testFS(), cfg), "/", "GET", "/big.bin", tc.hdr...)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d", rec.Code, tc.code)
			}
			if got := rec.Header().Get("Cache-Control"); got != tc.want {
				t.Errorf("%d with Cache-Control %q, want %q", rec.Code, got, tc.want)
			}
		})
	}
}

// TestErrorPageNotCached: a file served as an error page (a page that
// forwards to it) answers the URL that failed, with the error's status: it
// carries neither the file's Cache-Control, which would let every cache
// keep a 404 for a year where "immutable" assets are served, nor its
// Last-Modified, from which caches compute a heuristic freshness for a
// 404 or 410 (RFC 9111 §4.2.2). The page's own URL keeps both.
func TestErrorPageNotCached(t *testing.T) {
	const page = "<p>not here</p>"
	files := fstest.MapFS{"404.html": {Data: []byte(page), ModTime: modTime}}
	cfg := static.Config{CacheControl: "public, max-age=31536000, immutable"}
	_, logger := wharftest.NewLogRecorder() // the 500 is logged
	c := container.New(container.WithLogger(logger))
	c.Handle("GET /errors/*", static.New(files, cfg))
	c.Handle("GET /assets/*", static.New(testFS(), cfg))
	c.HandleFunc("GET /gone", func(api.Response, *api.Request) error {
		return &api.StatusError{Code: http.StatusGone}
	})
	c.HandleFunc("GET /broken", func(api.Response, *api.Request) error {
		return &api.StatusError{Code: http.StatusInternalServerError}
	})
	for _, code := range []int{http.StatusNotFound, http.StatusGone, http.StatusInternalServerError} {
		c.ErrorPage(code, forwardTo("/errors/404.html"))
	}
	s := modes.Start(t, modes.H1, c)
	for _, tc := range []struct {
		path   string
		status int
		cached bool // Cache-Control and Last-Modified expected
	}{
		{"/errors/404.html", http.StatusOK, true},
		{"/assets/missing.js", http.StatusNotFound, false},
		{"/nothing/mapped", http.StatusNotFound, false},
		{"/gone", http.StatusGone, false},
		{"/broken", http.StatusInternalServerError, false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := get(t, s, "GET", tc.path)
			if resp.StatusCode != tc.status || string(body) != page {
				t.Fatalf("status %d %q, want %d %q", resp.StatusCode, body, tc.status, page)
			}
			cc, lm := resp.Header.Get("Cache-Control"), resp.Header.Get("Last-Modified")
			if tc.cached != (cc == cfg.CacheControl) || tc.cached != (lm == lastMod) {
				t.Errorf("%d with Cache-Control %q and Last-Modified %q; want them: %v", resp.StatusCode, cc, lm, tc.cached)
			}
		})
	}
}

// TestErrorPageIgnoresPreconditions: the status of a file served as an
// error page is the error's, so the request's preconditions and Range do
// not apply to it (RFC 9110 §13.2.1: a server ignores the preconditions
// of a request it would answer other than 2xx or 412; a 206 or 416 is
// about a 200's content). A client that revalidates a file deleted since
// it was cached, with the date or entity-tag it kept, or "*", is answered
// the error, not a 304 that keeps the deleted file in its cache; a Range
// or If-Match does not turn the 404 into a 206, 416 or 412.
func TestErrorPageIgnoresPreconditions(t *testing.T) {
	const page = "<p>not here</p>"
	files := fstest.MapFS{"404.html": {Data: []byte(page), ModTime: modTime}}
	c := container.New()
	c.Handle("GET /errors/*", static.New(files, static.Config{}))
	// A handler that answers its own 404 with the page: nothing but the
	// status set tells the file's handler that the page is an error's.
	c.HandleFunc("GET /users/{id}", func(w api.Response, r *api.Request) error {
		if err := w.SetStatus(http.StatusNotFound); err != nil {
			return err
		}
		return dispatcher.Forward(w, r, "/errors/404.html")
	})
	s := modes.Start(t, modes.H1, c)
	resp, _ := get(t, s, "GET", "/errors/404.html")
	etag := resp.Header.Get("Etag")
	if etag == "" {
		t.Fatal("the page has no ETag")
	}
	for _, tc := range []struct {
		name string
		hdr  []string
	}{
		{"If-Modified-Since of the deleted file", []string{"If-Modified-Since", "Mon, 01 Jun 2026 12:00:00 GMT"}},
		{"If-Modified-Since the page's time", []string{"If-Modified-Since", lastMod}},
		{"If-None-Match the page's tag", []string{"If-None-Match", etag}},
		{"If-None-Match *", []string{"If-None-Match", "*"}},
		{"If-Match another tag", []string{"If-Match", `"other"`}},
		{"If-Unmodified-Since long ago", []string{"If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}},
		{"Range", []string{"Range", "bytes=0-3"}},
		{"Range of two parts", []string{"Range", "bytes=0-1,4-5"}},
		{"Range past the end", []string{"Range", "bytes=1000-"}},
		{"Range under If-Range", []string{"Range", "bytes=0-3", "If-Range", etag}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, s, "GET", "/users/7", tc.hdr...)
			if resp.StatusCode != http.StatusNotFound || string(body) != page {
				t.Fatalf("status %d %q, want 404 %q", resp.StatusCode, body, page)
			}
			if cr := resp.Header.Get("Content-Range"); cr != "" {
				t.Errorf("Content-Range %q on the 404", cr)
			}
		})
	}
}
