package static_test

import (
	"net/http"
	"testing"
	"testing/fstest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
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
