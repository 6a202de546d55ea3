package static_test

import (
	"bytes"
	"compress/gzip"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
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

// TestServeFileKeepsContentType: a Content-Type the handler set before
// ServeFile (the type its own table records for an upload stored under
// an ID, without an extension) is the answer's, on a 200, a HEAD, a 206
// and each part of a multipart/byteranges, as net/http's ServeContent
// keeps one; a Content-Type set to nil sends none and sniffs nothing; a
// 304 carries none either way; without one, the name's type is sent.
func TestServeFileKeepsContentType(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"blob":  "<html>not html to the handler</html>",
		"a.txt": "hello, file",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := static.Dir(dir, static.Config{DisablePrecompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	build := func(c *container.Container) {
		c.HandleFunc("/typed/{name}", func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Type", "application/x-upload")
			return files.ServeFile(w, r, r.PathParam("name"))
		})
		c.HandleFunc("/untyped/{name}", func(w api.Response, r *api.Request) error {
			w.Header()["Content-Type"] = nil
			return files.ServeFile(w, r, r.PathParam("name"))
		})
		c.HandleFunc("/plain/{name}", func(w api.Response, r *api.Request) error {
			return files.ServeFile(w, r, r.PathParam("name"))
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range []struct {
			method, path string
			hdr          []string
			status       int
			ctype        []string // nil: no Content-Type field
		}{
			{"GET", "/typed/blob", nil, 200, []string{"application/x-upload"}},
			{"GET", "/typed/a.txt", nil, 200, []string{"application/x-upload"}},
			{"HEAD", "/typed/a.txt", nil, 200, []string{"application/x-upload"}},
			{"GET", "/typed/a.txt", []string{"Range", "bytes=0-4"}, 206, []string{"application/x-upload"}},
			{"GET", "/untyped/blob", nil, 200, nil},
			{"GET", "/plain/blob", nil, 200, []string{"text/html; charset=utf-8"}},
			{"GET", "/plain/a.txt", nil, 200, []string{"text/plain; charset=utf-8"}},
		} {
			resp, _ := get(t, s, tt.method, tt.path, tt.hdr...)
			if resp.StatusCode != tt.status || !slices.Equal(resp.Header.Values("Content-Type"), tt.ctype) {
				t.Errorf("%s %s %q: %d, Content-Type %q; want %d, %q",
					tt.method, tt.path, tt.hdr, resp.StatusCode, resp.Header.Values("Content-Type"), tt.status, tt.ctype)
			}
			if tt.status != 200 || tt.method != "GET" {
				continue
			}
			resp, _ = get(t, s, "GET", tt.path, "If-None-Match", resp.Header.Get("Etag"))
			if resp.StatusCode != http.StatusNotModified || resp.Header.Values("Content-Type") != nil {
				t.Errorf("%s revalidated: %d, Content-Type %q; want 304 without one", tt.path, resp.StatusCode, resp.Header.Values("Content-Type"))
			}
		}
		// Each part of several ranges has the handler's type.
		resp, body := get(t, s, "GET", "/typed/a.txt", "Range", "bytes=0-1,3-4")
		_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if resp.StatusCode != 206 || err != nil {
			t.Fatalf("two ranges: %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if got := p.Header.Get("Content-Type"); got != "application/x-upload" {
				t.Errorf("a part's Content-Type %q, want the handler's", got)
			}
		}
	})
}

// TestServeFileErrorPage: a handler that serves an error page's file with
// ServeFile, as a net/http NotFound handler calls http.ServeFile, serves
// it for the failure of a request of any method, on every mode, with the
// error's status, as the container serves a static.Handler given as the
// page or forwarded to: the page's request keeps the method that failed,
// and a POST's 404 was the page's own 405, the page lost.
func TestServeFileErrorPage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "404.html"), []byte("<p>no such page</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := static.Dir(dir, static.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	build := func(c *container.Container) {
		c.HandleFunc("/form", func(w api.Response, r *api.Request) error {
			return &api.StatusError{Code: http.StatusNotFound}
		})
		c.ErrorPage(http.StatusNotFound, api.HandlerFunc(func(w api.Response, r *api.Request) error {
			return files.ServeFile(w, r, "404.html")
		}))
	}
	quiet := container.WithLogger(slog.New(slog.DiscardHandler))
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range []struct {
			method, path, body string
		}{
			{"GET", "/missing", "<p>no such page</p>"},
			{"HEAD", "/missing", ""},
			{"POST", "/missing", "<p>no such page</p>"},
			{"POST", "/form", "<p>no such page</p>"},
			{"DELETE", "/form", "<p>no such page</p>"},
		} {
			resp, body := get(t, s, tt.method, tt.path)
			if resp.StatusCode != http.StatusNotFound || string(body) != tt.body || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || resp.Header.Get("Allow") != "" {
				t.Errorf("%s %s: %d %q, Content-Type %q, Allow %q; want 404 %q, the page's type, no Allow",
					tt.method, tt.path, resp.StatusCode, body, resp.Header.Get("Content-Type"), resp.Header.Get("Allow"), tt.body)
			}
		}
	}, quiet)
}
