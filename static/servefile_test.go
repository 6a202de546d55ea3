package static_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/static"
)

// TestServeFile: a handler that chose the file (the ID in its path names
// it, through a table of its own) serves it with ServeFile, on every
// mode, as Serve would serve the file at that name: its type, ETag,
// conditionals, ranges, precompressed sibling; and the name rules hold
// (no dot file, no climbing out, no directory), whatever the request's
// path, and a method other than GET and HEAD is a 405.
func TestServeFile(t *testing.T) {
	// Go's client asks for gzip and decompresses what it asked for: the
	// sibling is a real one.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("hello, file"))
	zw.Close()
	dir := t.TempDir()
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for name, body := range map[string]string{
		"a.txt":            "hello, file",
		"a.txt.gz":         gz.String(),
		"sub/b.css":        "body{}",
		".secret":          "s",
		"sub/index.html":   "index",
		"sub/.hidden/x.js": "x",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		// One time for all: a sibling older than its file is stale, and
		// the map's order is not the files'.
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	files, err := static.Dir(dir, static.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	names := map[string]string{
		"1": "a.txt", "2": "/sub/b.css", "3": ".secret", "4": "../a.txt",
		"5": "sub", "6": "sub/", "7": "missing", "8": "", "9": "sub/.hidden/x.js",
		"10": "sub//b.css", "11": "sub/./b.css",
	}
	serve := func(w api.Response, r *api.Request) error {
		return files.ServeFile(w, r, names[r.PathParam("id")])
	}
	build := func(c *container.Container) {
		c.HandleFunc("/dl/{id}", serve)
		c.HandleFunc("/other/path/{id}", serve)
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range []struct {
			method, path string
			hdr          []string
			status       int
			body, ctype  string
		}{
			{"GET", "/dl/1", nil, 200, "hello, file", "text/plain; charset=utf-8"},
			{"GET", "/other/path/1", nil, 200, "hello, file", "text/plain; charset=utf-8"},
			{"HEAD", "/dl/1", nil, 200, "", "text/plain; charset=utf-8"},
			{"GET", "/dl/2", nil, 200, "body{}", "text/css; charset=utf-8"},
			{"GET", "/dl/1", []string{"Range", "bytes=0-4"}, 206, "hello", "text/plain; charset=utf-8"},
			{"GET", "/dl/1", []string{"Accept-Encoding", "gzip"}, 200, gz.String(), "text/plain; charset=utf-8"},
			{"GET", "/dl/1", []string{"Accept-Encoding", "identity"}, 200, "hello, file", "text/plain; charset=utf-8"},
			{"GET", "/dl/3", nil, 404, "", ""},
			{"GET", "/dl/4", nil, 404, "", ""},
			{"GET", "/dl/5", nil, 404, "", ""},
			{"GET", "/dl/6", nil, 404, "", ""},
			{"GET", "/dl/7", nil, 404, "", ""},
			{"GET", "/dl/8", nil, 404, "", ""},
			{"GET", "/dl/9", nil, 404, "", ""},
			{"GET", "/dl/10", nil, 404, "", ""},
			{"GET", "/dl/11", nil, 404, "", ""},
			{"POST", "/dl/1", nil, 405, "", ""},
		} {
			resp, body := get(t, s, tt.method, tt.path, tt.hdr...)
			if resp.StatusCode != tt.status {
				t.Errorf("%s %s %q: %d, want %d", tt.method, tt.path, tt.hdr, resp.StatusCode, tt.status)
				continue
			}
			if tt.status >= 300 {
				if tt.status == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
					t.Errorf("%s %s: Allow %q", tt.method, tt.path, resp.Header.Get("Allow"))
				}
				continue
			}
			if string(body) != tt.body || resp.Header.Get("Content-Type") != tt.ctype || resp.Header.Get("Etag") == "" {
				t.Errorf("%s %s %q: %q, type %q, ETag %q; want %q, type %q, an ETag",
					tt.method, tt.path, tt.hdr, body, resp.Header.Get("Content-Type"), resp.Header.Get("Etag"), tt.body, tt.ctype)
			}
		}
		// A validator the first answer gave is honoured.
		resp, _ := get(t, s, "GET", "/dl/1")
		resp, _ = get(t, s, "GET", "/dl/1", "If-None-Match", resp.Header.Get("Etag"))
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match with the file's ETag: %d, want 304", resp.StatusCode)
		}
	})
}
