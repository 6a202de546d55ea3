package gzip_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/static"
)

// A 304 stands for the 200 the same request would get, and carries its
// ETag and Vary (RFC 9110 §15.4.5). Answering a date (If-Modified-Since,
// without If-None-Match) for a file the filter would compress, it carried
// the uncompressed ETag and no Vary: the 304 has no type or length to
// decide by, so package static describes the 200 to the filter. Like
// http.ServeContent's, the 304 still carries no Content-Type,
// Content-Length or Content-Encoding.
func TestNotModifiedByDateAsTheOK(t *testing.T) {
	mod := time.Unix(1e9, 0)
	since := mod.UTC().Format(http.TimeFormat)
	img := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1, 2, 3}, 1000)...)
	fsys := fstest.MapFS{
		"a.html":    {Data: []byte(page), ModTime: mod},
		"small.txt": {Data: []byte("short"), ModTime: mod},
		"img.png":   {Data: img, ModTime: mod},
		"s.js":      {Data: []byte(strings.Repeat("var x = 1;\n", 200)), ModTime: mod},
		"s.js.gz":   {Data: []byte("GZIP"), ModTime: mod},
	}
	build := func(c *container.Container) {
		c.Filter("/*", gzip.New(gzip.Config{}))
		c.Handle("/*", static.New(fsys, static.Config{CacheControl: "max-age=60"}))
	}
	tests := []struct {
		name, method, path, accept string
		wantVary                   bool
	}{
		{"compressed", "GET", "/a.html", "gzip", true},
		{"compressed HEAD", "HEAD", "/a.html", "gzip", true},
		{"gzip not accepted", "GET", "/a.html", "br", true},
		{"identity", "GET", "/a.html", "identity", true},
		{"below MinSize", "GET", "/small.txt", "gzip", false},
		{"not compressible", "GET", "/img.png", "gzip", false},
		{"precompressed sibling", "GET", "/s.js", "gzip", true},
	}
	// http.ServeContent's 304 for the same file and date.
	ref := httptest.NewRecorder()
	refReq := httptest.NewRequest("GET", "/a.html", nil)
	refReq.Header.Set("If-Modified-Since", since)
	http.ServeContent(ref, refReq, "a.html", mod, strings.NewReader(page))
	if ref.Code != http.StatusNotModified {
		t.Fatalf("http.ServeContent answered %d", ref.Code)
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		do := func(method, path string, kv ...string) *http.Response {
			req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i+1 < len(kv); i += 2 {
				req.Header.Set(kv[i], kv[i+1]) // Accept-Encoding by hand: the client does not decompress
			}
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp
		}
		for _, tt := range tests {
			ok := do(tt.method, tt.path, "Accept-Encoding", tt.accept)
			nm := do(tt.method, tt.path, "Accept-Encoding", tt.accept, "If-Modified-Since", since)
			if ok.StatusCode != http.StatusOK || nm.StatusCode != http.StatusNotModified {
				t.Fatalf("%s: %d, then %d with If-Modified-Since", tt.name, ok.StatusCode, nm.StatusCode)
			}
			if got, want := nm.Header.Get("Etag"), ok.Header.Get("Etag"); got != want || got == "" {
				t.Errorf("%s: the 304's ETag is %s, the 200's %s", tt.name, got, want)
			}
			if got, want := nm.Header.Values("Vary"), ok.Header.Values("Vary"); !slices.Equal(got, want) {
				t.Errorf("%s: the 304's Vary is %q, the 200's %q", tt.name, got, want)
			}
			if got := slices.Contains(ok.Header.Values("Vary"), "Accept-Encoding"); got != tt.wantVary {
				t.Errorf("%s: the 200's Vary is %q", tt.name, ok.Header.Values("Vary"))
			}
			if got, want := nm.Header.Get("Cache-Control"), ok.Header.Get("Cache-Control"); got != want {
				t.Errorf("%s: the 304's Cache-Control is %q, the 200's %q", tt.name, got, want)
			}
			for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding"} {
				if got, want := nm.Header.Get(k), ref.Header().Get(k); got != want {
					t.Errorf("%s: the 304's %s is %q, http.ServeContent's %q", tt.name, k, got, want)
				}
			}
		}
	})
}
