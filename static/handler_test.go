package static_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/static"
)

var (
	modTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	bigBody = func() []byte {
		b := make([]byte, 1000)
		for i := range b {
			b[i] = byte('a' + i%26)
		}
		return b
	}()
)

// testFS is the tree the table tests serve.
func testFS() fstest.MapFS {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s), ModTime: modTime} }
	return fstest.MapFS{
		"index.html":          file("<h1>home</h1>"),
		"a/b.css":             file("body{}"),
		"a/index.html":        file("<p>a</p>"),
		"docs/x.txt":          file("x"),
		"docs/.secret":        file("hidden"),
		"docs/<b>&amp;\".txt": file("odd"),
		"docs/sub/y.txt":      file("y"),
		".env":                file("SECRET=1"),
		"a/.git/config":       file("[core]"),
		"app.js":              file("console.log('plain')"),
		"app.js.br":           file("BROTLI"),
		"app.js.gz":           file("GZIP"),
		"only.css":            file("p{}"),
		"only.css.gz":         file("GZ"),
		"noext":               file("hello, plain text"),
		"pdf":                 file("%PDF-1.4 ..."),
		"big.bin":             {Data: bigBody, ModTime: modTime},
		"empty.txt":           file(""),
		"hashed.txt":          {Data: []byte("no modification time")},
		"hashed2.txt":         {Data: []byte("another content")},
		"favicon.ico":         file("ICO"),
		"a\\b.css":            file("backslash"), // a valid fs.FS name, refused all the same
	}
}

// do serves one request through a container with h mapped at pattern.
func do(t *testing.T, h api.Handler, pattern, method, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	return doWith(t, nil, h, pattern, method, target, hdr...)
}

// allowAmbiguous lets the escaped separators and dot segments the
// container refuses by default through to the handler, whose own refusals
// are then what a test sees.
var allowAmbiguous = []container.Option{container.WithAmbiguousPaths()}

// doWith is do on a container made with opts.
func doWith(t *testing.T, opts []container.Option, h api.Handler, pattern, method, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	c := container.New(opts...)
	c.Handle(pattern, h)
	t.Cleanup(func() { c.Close() })
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	return rec
}

type want struct {
	status int
	body   string            // checked unless "-"
	header map[string]string // "" means the field must be absent
}

type handlerCase struct {
	name    string
	cfg     static.Config
	pattern string // "" means "/static/*"
	method  string // "" means GET
	opts    []container.Option
	target  string
	hdr     []string
	want    want
}

const lastMod = "Sun, 01 Mar 2026 12:00:00 GMT"

var handlerCases = []handlerCase{
	// Files, and where the name comes from.
	{name: "file", target: "/static/a/b.css", want: want{200, "body{}", map[string]string{
		"Content-Type": "text/css; charset=utf-8", "Content-Length": "6", "Last-Modified": lastMod,
		"Accept-Ranges": "bytes", "Cache-Control": "", "Vary": "Accept-Encoding", "Content-Encoding": ""}}},
	{name: "HEAD", method: "HEAD", target: "/static/a/b.css", want: want{200, "", map[string]string{"Content-Length": "6", "Content-Type": "text/css; charset=utf-8"}}},
	{name: "default mapping", pattern: "/", target: "/a/b.css", want: want{200, "body{}", nil}},
	{name: "prefix /*", pattern: "/*", target: "/a/b.css", want: want{200, "body{}", nil}},
	{name: "exact mapping", pattern: "/favicon.ico", target: "/favicon.ico", want: want{200, "ICO", nil}},
	{name: "extension mapping", pattern: "*.css", target: "/a/b.css", want: want{200, "body{}", nil}},
	{name: "GET-only registration", pattern: "GET /static/*", target: "/static/a/b.css", want: want{200, "body{}", nil}},
	{name: "empty file", target: "/static/empty.txt", want: want{200, "", map[string]string{"Content-Length": "0"}}},
	{name: "sniffed text", target: "/static/noext", want: want{200, "hello, plain text", map[string]string{"Content-Type": "text/plain; charset=utf-8"}}},
	{name: "sniffed pdf", target: "/static/pdf", want: want{200, "-", map[string]string{"Content-Type": "application/pdf"}}},

	// Methods.
	{name: "POST", method: "POST", target: "/static/a/b.css", want: want{405, "-", map[string]string{"Allow": "GET, HEAD"}}},
	{name: "DELETE", method: "DELETE", target: "/static/a/b.css", want: want{405, "-", map[string]string{"Allow": "GET, HEAD"}}},

	// Refusals: all 404.
	{name: "missing", target: "/static/nope.css", want: want{404, "-", nil}},
	{name: "missing dir", target: "/static/nope/x.css", want: want{404, "-", nil}},
	{name: "dot file", target: "/static/.env", want: want{404, "-", nil}},
	{name: "dot dir", target: "/static/a/.git/config", want: want{404, "-", nil}},
	{name: "dot file served", cfg: static.Config{ServeDotFiles: true}, target: "/static/.env", want: want{200, "SECRET=1", nil}},
	{name: "file with slash", target: "/static/a/b.css/", want: want{404, "-", nil}},
	{name: "backslash", opts: allowAmbiguous, target: "/static/a%5Cb.css", want: want{404, "-", nil}},
	{name: "dot dot cleaned", target: "/static/a/../a/b.css", want: want{200, "body{}", nil}},
	{name: "encoded dot dot cleaned", opts: allowAmbiguous, pattern: "/", target: "/a/%2e%2e/%2e%2e/.env", want: want{404, "-", nil}},
	// Without WithAmbiguousPaths the container refuses those two first.
	{name: "backslash refused", target: "/static/a%5Cb.css", want: want{400, "-", nil}},
	{name: "encoded dot dot refused", pattern: "/", target: "/a/%2e%2e/%2e%2e/.env", want: want{400, "-", nil}},
	// And an escaped NUL even with it (TestStatusErrors has the
	// handler's own refusal).
	{name: "NUL refused", target: "/static/a/b.css%00", want: want{400, "-", nil}},
	{name: "NUL refused with WithAmbiguousPaths", opts: allowAmbiguous, target: "/static/a/b.css%00", want: want{400, "-", nil}},
	{name: "escaped line feed refused", target: "/static/a/b.css%0a", want: want{400, "-", nil}},
	{name: "escaped line feed with WithAmbiguousPaths", opts: allowAmbiguous, target: "/static/a/b.css%0a", want: want{404, "-", nil}},

	// Directories.
	{name: "dir redirect", target: "/static/a", want: want{301, "-", map[string]string{"Location": "/static/a/"}}},
	{name: "dir redirect keeps query", target: "/static/a?x=1&y=%20", want: want{301, "-", map[string]string{"Location": "/static/a/?x=1&y=%20"}}},
	{name: "root redirect", target: "/static", want: want{301, "-", map[string]string{"Location": "/static/"}}},
	{name: "root index", target: "/static/", want: want{200, "<h1>home</h1>", map[string]string{"Content-Type": "text/html; charset=utf-8"}}},
	{name: "root index at /", pattern: "/", target: "/", want: want{200, "<h1>home</h1>", nil}},
	{name: "dir index", target: "/static/a/", want: want{200, "<p>a</p>", nil}},
	{name: "index names", cfg: static.Config{IndexNames: []string{"x.txt"}}, target: "/static/docs/", want: want{200, "x", nil}},
	{name: "no listing", target: "/static/docs/", want: want{404, "-", nil}},
	{name: "listing", cfg: static.Config{Listing: true}, target: "/static/docs/", want: want{200,
		"<!doctype html>\n<meta charset=\"utf-8\">\n<title>/static/docs/</title>\n<h1>/static/docs/</h1>\n<ul>\n" +
			"<li><a href=\"./%3Cb%3E&amp;amp;%22.txt\">&lt;b&gt;&amp;amp;&#34;.txt</a></li>\n" +
			"<li><a href=\"./sub/\">sub/</a></li>\n" +
			"<li><a href=\"./x.txt\">x.txt</a></li>\n</ul>\n",
		map[string]string{"Content-Type": "text/html; charset=utf-8"}}},

	// Conditionals.
	{name: "If-None-Match", target: "/static/big.bin", hdr: []string{"If-None-Match", "ETAG"}, want: want{304, "", map[string]string{"Etag": "ETAG", "Content-Length": "", "Content-Type": "", "Last-Modified": ""}}},
	{name: "If-None-Match weak", target: "/static/big.bin", hdr: []string{"If-None-Match", "W/ETAG"}, want: want{304, "", nil}},
	{name: "If-None-Match list", target: "/static/big.bin", hdr: []string{"If-None-Match", `"x", "a,b", ETAG`}, want: want{304, "", nil}},
	{name: "If-None-Match two fields", target: "/static/big.bin", hdr: []string{"If-None-Match", `"x"`, "If-None-Match", "ETAG"}, want: want{304, "", nil}},
	{name: "If-None-Match star", target: "/static/big.bin", hdr: []string{"If-None-Match", "*"}, want: want{304, "", nil}},
	{name: "If-None-Match other", target: "/static/big.bin", hdr: []string{"If-None-Match", `"other"`}, want: want{200, "-", nil}},
	{name: "If-Modified-Since later", target: "/static/big.bin", hdr: []string{"If-Modified-Since", "Sun, 01 Mar 2026 12:00:01 GMT"}, want: want{304, "", nil}},
	{name: "If-Modified-Since equal", target: "/static/big.bin", hdr: []string{"If-Modified-Since", lastMod}, want: want{304, "", nil}},
	{name: "If-Modified-Since earlier", target: "/static/big.bin", hdr: []string{"If-Modified-Since", "Sun, 01 Mar 2026 11:59:59 GMT"}, want: want{200, "-", nil}},
	{name: "If-Modified-Since bad date", target: "/static/big.bin", hdr: []string{"If-Modified-Since", "yesterday"}, want: want{200, "-", nil}},
	{name: "If-None-Match wins over If-Modified-Since", target: "/static/big.bin", hdr: []string{"If-None-Match", `"other"`, "If-Modified-Since", lastMod}, want: want{200, "-", nil}},
	{name: "If-Match", target: "/static/big.bin", hdr: []string{"If-Match", "ETAG"}, want: want{200, "-", nil}},
	{name: "If-Match star", target: "/static/big.bin", hdr: []string{"If-Match", "*"}, want: want{200, "-", nil}},
	{name: "If-Match other", target: "/static/big.bin", hdr: []string{"If-Match", `"other"`}, want: want{412, "-", nil}},
	{name: "If-Match weak", target: "/static/big.bin", hdr: []string{"If-Match", "W/ETAG"}, want: want{412, "-", nil}},
	{name: "If-Unmodified-Since earlier", target: "/static/big.bin", hdr: []string{"If-Unmodified-Since", "Sun, 01 Mar 2026 11:59:59 GMT"}, want: want{412, "-", nil}},
	{name: "If-Unmodified-Since equal", target: "/static/big.bin", hdr: []string{"If-Unmodified-Since", lastMod}, want: want{200, "-", nil}},
	// RFC 9110 §13.1.3 and §13.1.4: a date field of more than one member
	// (two field lines) is ignored, not read at its first.
	{name: "If-Modified-Since twice ignored", target: "/static/big.bin", hdr: []string{"If-Modified-Since", lastMod, "If-Modified-Since", lastMod}, want: want{200, "-", nil}},
	{name: "If-Unmodified-Since twice ignored", target: "/static/big.bin", hdr: []string{"If-Unmodified-Since", "Sun, 01 Mar 2026 11:59:59 GMT", "If-Unmodified-Since", "Sun, 01 Mar 2026 11:59:59 GMT"}, want: want{200, "-", nil}},
	{name: "If-Match wins over If-Unmodified-Since", target: "/static/big.bin", hdr: []string{"If-Match", "ETAG", "If-Unmodified-Since", "Sun, 01 Mar 2026 11:59:59 GMT"}, want: want{200, "-", nil}},
	{name: "If-Match before If-None-Match", target: "/static/big.bin", hdr: []string{"If-Match", `"other"`, "If-None-Match", "ETAG"}, want: want{412, "-", nil}},

	// Ranges.
	{name: "range", target: "/static/big.bin", hdr: []string{"Range", "bytes=0-4"}, want: want{206, "abcde", map[string]string{"Content-Range": "bytes 0-4/1000", "Content-Length": "5"}}},
	{name: "suffix range", target: "/static/big.bin", hdr: []string{"Range", "bytes=-3"}, want: want{206, string(bigBody[997:]), map[string]string{"Content-Range": "bytes 997-999/1000"}}},
	{name: "open range", target: "/static/big.bin", hdr: []string{"Range", "bytes=990-"}, want: want{206, string(bigBody[990:]), map[string]string{"Content-Range": "bytes 990-999/1000"}}},
	{name: "unsatisfiable", target: "/static/big.bin", hdr: []string{"Range", "bytes=1000-"}, want: want{416, "-", map[string]string{"Content-Range": "bytes */1000"}}},
	{name: "malformed range", target: "/static/big.bin", hdr: []string{"Range", "bytes=x-y"}, want: want{200, string(bigBody), nil}},
	{name: "other unit", target: "/static/big.bin", hdr: []string{"Range", "items=0-1"}, want: want{200, string(bigBody), nil}},
	{name: "too many ranges", target: "/static/big.bin", hdr: []string{"Range", "bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,15-15,16-16"}, want: want{200, string(bigBody), nil}},
	{name: "ranges over the size", target: "/static/big.bin", hdr: []string{"Range", "bytes=0-,0-"}, want: want{200, string(bigBody), nil}},
	{name: "MaxRanges 1", cfg: static.Config{MaxRanges: 1}, target: "/static/big.bin", hdr: []string{"Range", "bytes=0-1,5-6"}, want: want{200, string(bigBody), nil}},
	{name: "ranges off", cfg: static.Config{MaxRanges: -1}, target: "/static/big.bin", hdr: []string{"Range", "bytes=0-1"}, want: want{200, string(bigBody), map[string]string{"Accept-Ranges": "none"}}},
	{name: "HEAD ignores Range", method: "HEAD", target: "/static/big.bin", hdr: []string{"Range", "bytes=0-1"}, want: want{200, "", map[string]string{"Content-Length": "1000"}}},
	{name: "If-Range etag", target: "/static/big.bin", hdr: []string{"Range", "bytes=0-1", "If-Range", "ETAG"}, want: want{206, "ab", nil}},
	{name: "If-Range weak", target: "/static/big.bin", hdr: []string{"Range", "bytes=0-1", "If-Range", "W/ETAG"}, want: want{200, string(bigBody), nil}},
	{name: "If-Range other", target: "/static/big.bin", hdr: []string{"Range", "bytes=0-1", "If-Range", `"old"`}, want: want{200, string(bigBody), nil}},
	{name: "If-Range date", target: "/static/big.bin", hdr: []string{"Range", "bytes=0-1", "If-Range", lastMod}, want: want{206, "ab", nil}},
	{name: "If-Range old date", target: "/static/big.bin", hdr: []string{"Range", "bytes=0-1", "If-Range", "Sun, 01 Mar 2026 11:00:00 GMT"}, want: want{200, string(bigBody), nil}},
	{name: "range of an empty file", target: "/static/empty.txt", hdr: []string{"Range", "bytes=0-"}, want: want{200, "", map[string]string{"Content-Range": "", "Content-Length": "0"}}},

	// Precompressed siblings.
	{name: "br", target: "/static/app.js", hdr: []string{"Accept-Encoding", "gzip, br"}, want: want{200, "BROTLI", map[string]string{"Content-Encoding": "br", "Vary": "Accept-Encoding", "Content-Type": mime.TypeByExtension(".js"), "Content-Length": "6"}}},
	{name: "gzip", target: "/static/app.js", hdr: []string{"Accept-Encoding", "gzip"}, want: want{200, "GZIP", map[string]string{"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}}},
	{name: "x-gzip", target: "/static/app.js", hdr: []string{"Accept-Encoding", "x-gzip"}, want: want{200, "GZIP", nil}},
	{name: "q prefers gzip", target: "/static/app.js", hdr: []string{"Accept-Encoding", "br;q=0.4, gzip;q=0.5"}, want: want{200, "GZIP", nil}},
	{name: "br refused", target: "/static/app.js", hdr: []string{"Accept-Encoding", "br;q=0, gzip"}, want: want{200, "GZIP", nil}},
	{name: "star", target: "/static/app.js", hdr: []string{"Accept-Encoding", "*"}, want: want{200, "BROTLI", nil}},
	{name: "star refused", target: "/static/app.js", hdr: []string{"Accept-Encoding", "*;q=0"}, want: want{200, "console.log('plain')", map[string]string{"Vary": "Accept-Encoding", "Content-Encoding": ""}}},
	{name: "identity preferred", target: "/static/app.js", hdr: []string{"Accept-Encoding", "gzip;q=0.5, identity"}, want: want{200, "console.log('plain')", nil}},
	{name: "no Accept-Encoding", target: "/static/app.js", want: want{200, "console.log('plain')", map[string]string{"Vary": "Accept-Encoding", "Content-Encoding": ""}}},
	{name: "only gzip sibling", target: "/static/only.css", hdr: []string{"Accept-Encoding", "br, gzip"}, want: want{200, "GZ", map[string]string{"Content-Encoding": "gzip", "Content-Type": "text/css; charset=utf-8"}}},
	{name: "no sibling, no Vary", target: "/static/a/b.css", hdr: []string{"Accept-Encoding", "br, gzip"}, want: want{200, "body{}", map[string]string{"Vary": "", "Content-Encoding": ""}}},
	{name: "siblings off", cfg: static.Config{DisablePrecompressed: true}, target: "/static/app.js", hdr: []string{"Accept-Encoding", "br"}, want: want{200, "console.log('plain')", map[string]string{"Vary": ""}}},
	{name: "range of the encoded bytes", target: "/static/app.js", hdr: []string{"Accept-Encoding", "br", "Range", "bytes=1-2"}, want: want{206, "RO", map[string]string{"Content-Encoding": "br", "Content-Range": "bytes 1-2/6"}}},
	{name: "304 keeps Vary", target: "/static/app.js", hdr: []string{"If-None-Match", "*"}, want: want{304, "", map[string]string{"Vary": "Accept-Encoding"}}},
	{name: "sibling served directly", target: "/static/app.js.gz", want: want{200, "GZIP", map[string]string{"Content-Encoding": ""}}},

	// Cache-Control.
	{name: "Cache-Control", cfg: static.Config{CacheControl: "max-age=60"}, target: "/static/a/b.css", want: want{200, "body{}", map[string]string{"Cache-Control": "max-age=60"}}},
	{name: "Cache-Control on 304", cfg: static.Config{CacheControl: "max-age=60"}, target: "/static/a/b.css", hdr: []string{"If-None-Match", "*"}, want: want{304, "", map[string]string{"Cache-Control": "max-age=60"}}},
	{name: "Cache-Control func", cfg: static.Config{CacheControl: "no-cache", CacheControlFunc: func(name string) string {
		if strings.HasSuffix(name, ".css") {
			return "max-age=31536000, immutable: " + name
		}
		return ""
	}}, target: "/static/a/b.css", hdr: []string{"Accept-Encoding", "br"}, want: want{200, "body{}", map[string]string{"Cache-Control": "max-age=31536000, immutable: a/b.css"}}},
	{name: "Cache-Control func none", cfg: static.Config{CacheControl: "no-cache", CacheControlFunc: func(string) string { return "" }}, target: "/static/noext", want: want{200, "-", map[string]string{"Cache-Control": ""}}},

	// Files without a modification time: hashed ETag, no Last-Modified.
	{name: "hashed", target: "/static/hashed.txt", want: want{200, "no modification time", map[string]string{"Last-Modified": ""}}},
	{name: "hashed 304", target: "/static/hashed.txt", hdr: []string{"If-None-Match", "ETAG", "If-Modified-Since", lastMod}, want: want{304, "", nil}},
}

// etagOf asks the handler for the ETag of target (with the request's
// Accept-Encoding), which the rows write as ETAG.
func etagOf(t *testing.T, h api.Handler, pattern, target string, hdr []string) string {
	t.Helper()
	var ae []string
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Accept-Encoding" {
			ae = append(ae, hdr[i], hdr[i+1])
		}
	}
	rec := do(t, h, pattern, "GET", target, ae...)
	return rec.Header().Get("Etag")
}

func TestHandler(t *testing.T) {
	for _, tc := range handlerCases {
		t.Run(tc.name, func(t *testing.T) {
			h := static.New(testFS(), tc.cfg)
			pattern, method := tc.pattern, tc.method
			if pattern == "" {
				pattern = "/static/*"
			}
			if method == "" {
				method = "GET"
			}
			hdr := append([]string(nil), tc.hdr...)
			etag := etagOf(t, h, pattern, tc.target, hdr)
			for i := 1; i < len(hdr); i += 2 {
				hdr[i] = strings.ReplaceAll(hdr[i], "ETAG", etag)
			}
			rec := doWith(t, tc.opts, h, pattern, method, tc.target, hdr...)
			if rec.Code != tc.want.status {
				t.Fatalf("status %d, want %d; body %q", rec.Code, tc.want.status, rec.Body)
			}
			if tc.want.body != "-" && rec.Body.String() != tc.want.body {
				t.Errorf("body %q, want %q", rec.Body, tc.want.body)
			}
			for k, v := range tc.want.header {
				v = strings.ReplaceAll(v, "ETAG", etag)
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if (rec.Code == 200 || rec.Code == 206 || rec.Code == 304) && !tc.cfg.Listing {
				if e := rec.Header().Get("Etag"); !strings.HasPrefix(e, `"`) || !strings.HasSuffix(e, `"`) || len(e) < 3 {
					t.Errorf("ETag %q is not a strong entity-tag", e)
				}
			}
		})
	}
}

// TestETagPerEncoding: each encoding of a file has its own ETag, and a
// client's If-None-Match for one does not answer 304 for another.
func TestETagPerEncoding(t *testing.T) {
	h := static.New(testFS(), static.Config{})
	tags := map[string]string{}
	for _, ae := range []string{"", "br", "gzip"} {
		tag := do(t, h, "/static/*", "GET", "/static/app.js", "Accept-Encoding", ae).Header().Get("Etag")
		for other, o := range tags {
			if o == tag {
				t.Errorf("Accept-Encoding %q and %q share the ETag %s", ae, other, tag)
			}
		}
		tags[ae] = tag
	}
	rec := do(t, h, "/static/*", "GET", "/static/app.js", "Accept-Encoding", "br", "If-None-Match", tags[""])
	if rec.Code != 200 || rec.Body.String() != "BROTLI" {
		t.Errorf("the identity ETag answered a br request %d %q, want 200 BROTLI", rec.Code, rec.Body)
	}
}

// TestETagSameSizeAndTime: encodings of one file whose bytes have the
// same size and time (and no inode, in an fstest.MapFS) still get ETags
// of their own.
func TestETagSameSizeAndTime(t *testing.T) {
	fsys := fstest.MapFS{
		"x.js":    {Data: []byte("plain"), ModTime: modTime},
		"x.js.br": {Data: []byte("brotl"), ModTime: modTime},
		"x.js.gz": {Data: []byte("gzipp"), ModTime: modTime},
	}
	h := static.New(fsys, static.Config{})
	seen := map[string]string{}
	for _, ae := range []string{"", "br", "gzip"} {
		tag := do(t, h, "/", "GET", "/x.js", "Accept-Encoding", ae).Header().Get("Etag")
		if other, ok := seen[tag]; ok {
			t.Errorf("Accept-Encoding %q and %q share the ETag %s", ae, other, tag)
		}
		seen[tag] = ae
	}
}

// TestHashedETag: a file without a modification time gets the same ETag
// on every request, another content another one, and a changed content
// (of another size) a new one.
func TestHashedETag(t *testing.T) {
	fsys := testFS()
	h := static.New(fsys, static.Config{})
	a1 := do(t, h, "/static/*", "GET", "/static/hashed.txt").Header().Get("Etag")
	a2 := do(t, h, "/static/*", "GET", "/static/hashed.txt").Header().Get("Etag")
	b := do(t, h, "/static/*", "GET", "/static/hashed2.txt").Header().Get("Etag")
	if a1 != a2 || a1 == b || a1 == "" {
		t.Errorf("ETags %q, %q (same file), %q (another)", a1, a2, b)
	}
	fsys["hashed.txt"] = &fstest.MapFile{Data: []byte("changed, and longer than before")}
	if a3 := do(t, h, "/static/*", "GET", "/static/hashed.txt").Header().Get("Etag"); a3 == a1 {
		t.Errorf("ETag %q kept after the content changed", a3)
	}
}

// TestMultipart: several ranges are one multipart/byteranges body whose
// parts carry the file's type and their Content-Range, whose length is
// its Content-Length.
func TestMultipart(t *testing.T) {
	h := static.New(testFS(), static.Config{})
	rec := do(t, h, "/static/*", "GET", "/static/a/b.css", "Range", "bytes=0-1, 4-")
	if rec.Code != 206 {
		t.Fatalf("status %d", rec.Code)
	}
	if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
		t.Errorf("Content-Length %s, body %d bytes", cl, rec.Body.Len())
	}
	parts := readParts(t, rec.Header().Get("Content-Type"), rec.Body.Bytes())
	want := []part{{"bytes 0-1/6", "text/css; charset=utf-8", "bo"}, {"bytes 4-5/6", "text/css; charset=utf-8", "{}"}}
	if len(parts) != len(want) {
		t.Fatalf("parts %v, want %v", parts, want)
	}
	for i := range want {
		if parts[i] != want[i] {
			t.Errorf("part %d: %v, want %v", i, parts[i], want[i])
		}
	}
}

type part struct{ contentRange, contentType, body string }

// readParts parses a multipart/byteranges body as a client does.
func readParts(t *testing.T, ctype string, body []byte) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || mt != "multipart/byteranges" {
		t.Fatalf("Content-Type %q: %v", ctype, err)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var parts []part
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, part{p.Header.Get("Content-Range"), p.Header.Get("Content-Type"), string(b)})
	}
}

// TestStatusErrors: refusals come back as api.StatusErrors wrapping the
// package's sentinels, for error pages to match.
func TestStatusErrors(t *testing.T) {
	h := static.New(testFS(), static.Config{})
	for _, tc := range []struct {
		method, path string
		hdr          []string
		want         error
	}{
		{"GET", "/nope", nil, static.ErrNotFound},
		{"GET", "/.env", nil, static.ErrNotFound},
		// The container refuses an escaped NUL before mapping; a
		// handler called directly still refuses a NUL.
		{"GET", "/a/b.css\x00", nil, static.ErrNotFound},
		{"PUT", "/a/b.css", nil, static.ErrMethodNotAllowed},
		{"GET", "/a/b.css", []string{"If-Match", `"x"`}, static.ErrPreconditionFailed},
	} {
		head := &api.RequestHead{Method: tc.method, Path: tc.path, Header: api.NewHeader(http.Header{})}
		for i := 0; i+1 < len(tc.hdr); i += 2 {
			head.Header = head.Header.With(tc.hdr[i], tc.hdr[i+1])
		}
		r := api.NewRequest(t.Context(), head, nil)
		err := h.Serve(wharftest.NewRecorder(), r)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s %s: %v, want %v", tc.method, tc.path, err, tc.want)
		}
	}
}

// streamFS hides ReadAt and Seek from the files of an fs.FS, as a file
// system of streams would.
type streamFS struct{ fs.FS }

func (s streamFS) Open(name string) (fs.File, error) {
	f, err := s.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return streamFile{f}, nil
}

type streamFile struct{ f fs.File }

func (s streamFile) Read(p []byte) (int, error) { return s.f.Read(p) }
func (s streamFile) Stat() (fs.FileInfo, error) { return s.f.Stat() }
func (s streamFile) Close() error               { return s.f.Close() }

// TestStreamFS serves files that can only be read from the start: whole,
// sniffed, one range, and several (the whole file).
func TestStreamFS(t *testing.T) {
	h := static.New(streamFS{testFS()}, static.Config{})
	rec := do(t, h, "/", "GET", "/noext")
	if rec.Code != 200 || rec.Body.String() != "hello, plain text" || rec.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("sniffed: %d %q %q", rec.Code, rec.Body, rec.Header().Get("Content-Type"))
	}
	rec = do(t, h, "/", "GET", "/big.bin", "Range", "bytes=500-509")
	if rec.Code != 206 || rec.Body.String() != string(bigBody[500:510]) {
		t.Errorf("range: %d %q", rec.Code, rec.Body)
	}
	// Several ranges would need to go back: the whole file instead.
	rec = do(t, h, "/", "GET", "/a/b.css", "Range", "bytes=4-5,0-1")
	if rec.Code != 200 || rec.Body.String() != "body{}" {
		t.Errorf("ranges: %d %q", rec.Code, rec.Body)
	}
}

// TestConcurrent serves one Handler from many goroutines at once, hashing
// files without a modification time as they come: under -race, the shared
// state (the hash cache, the buffer pool) is checked.
func TestConcurrent(t *testing.T) {
	h := static.New(testFS(), static.Config{})
	c := container.New()
	c.Handle("/", h)
	t.Cleanup(func() { c.Close() })
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				path := []string{"/hashed.txt", "/hashed2.txt", "/big.bin", "/app.js"}[(i+j)%4]
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Range", "bytes=1-3")
				rec := httptest.NewRecorder()
				c.ServeHTTP(rec, req)
				if rec.Code != 206 || rec.Body.Len() != 3 {
					t.Errorf("%s: %d, %d bytes", path, rec.Code, rec.Body.Len())
				}
			}
		})
	}
	wg.Wait()
}

// TestWellKnown: a handler mounted at /.well-known/* over that directory
// serves it with dot files refused, while the whole tree's handler does
// not.
func TestWellKnown(t *testing.T) {
	fsys := fstest.MapFS{
		".well-known/security.txt": {Data: []byte("Contact: x")},
		".env":                     {Data: []byte("SECRET")},
	}
	wk, err := fs.Sub(fsys, ".well-known")
	if err != nil {
		t.Fatal(err)
	}
	c := container.New()
	c.Handle("/", static.New(fsys, static.Config{}))
	c.Handle("/.well-known/*", static.New(wk, static.Config{}))
	t.Cleanup(func() { c.Close() })
	for path, want := range map[string]int{"/.well-known/security.txt": 200, "/.env": 404} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("%s: %d, want %d", path, rec.Code, want)
		}
	}
}

// A file whose modification time is past the server's clock (a clock set
// wrong, a tree unpacked from elsewhere) is sent with the time of the
// answer as its Last-Modified, as RFC 9110 §8.8.2.1 requires: a client
// told the future date would get a 304 for the file rewritten later, on
// a clock set right, dated before it.
func TestFutureModTime(t *testing.T) {
	future := time.Now().Add(240 * time.Hour)
	fsys := fstest.MapFS{"f.txt": {Data: []byte("from the future"), ModTime: future}}
	h := static.New(fsys, static.Config{})
	before := time.Now().Truncate(time.Second)
	rec := do(t, h, "/static/*", "GET", "/static/f.txt")
	after := time.Now()
	lm, err := http.ParseTime(rec.Header().Get("Last-Modified"))
	if rec.Code != 200 || err != nil {
		t.Fatalf("status %d, Last-Modified %q (%v)", rec.Code, rec.Header().Get("Last-Modified"), err)
	}
	if lm.Before(before) || lm.After(after) {
		t.Errorf("Last-Modified %v, want the time of the answer, between %v and %v", lm, before, after)
	}
}
