//go:build unix

package static_test

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/static"
)

// The differential test of the handler against net/http's file serving:
// the same files, served by a Dir handler in a live Wharf server (every
// mode: sendfile(2) on the epoll connector's cleartext HTTP/1.1, a copy
// elsewhere) and by http.FileServer in an httptest.Server, asked the same
// requests. FileServer sends no ETag of its own, so it is given ours
// before it runs (http.ServeContent evaluates an ETag already set): both
// then evaluate the same validators, and an ETag is compared by presence.
// The precompressed sibling has no net/http counterpart; its reference is
// http.ServeContent over the sibling with our Content-Encoding set.

// The files of the differential tree, all modified at diffMod (not on a
// second, so that the truncation to Last-Modified's seconds is exercised)
// but epoch.txt, modified at the Unix epoch, which neither server gives a
// Last-Modified.
var (
	diffMod  = modTime.Add(700 * time.Millisecond)
	diffBig  = bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz"), 1200) // past sendfile's threshold
	diffTree = map[string][]byte{
		"big.bin":        diffBig,
		"small.txt":      []byte("hello, world\n"),
		"style.css":      []byte("body{}"),
		"noext":          []byte("<html>sniffed, not named"),
		"empty.txt":      nil,
		"epoch.txt":      []byte("modified at the epoch"),
		"app.js":         []byte("console.log('plain')"),
		"app.js.gz":      diffBig[:30000], // its bytes matter, not that they are gzip
		"sub/index.html": []byte("<p>sub</p>"),
		"bare/x.txt":     []byte("x"),
	}
	diffMem = fstest.MapFS{ // no modification time: a content-hash ETag, no Last-Modified
		"nomod.txt": {Data: []byte("no modification time")},
	}
)

// diffCase is one request asked of both servers. Where they differ on
// purpose, dev says why and what each answers; otherwise the status, the
// fields in diffFields and the body (each part of a multipart body) must
// agree.
type diffCase struct {
	name   string
	method string   // "" means GET
	path   string   // "" means /big.bin
	hdr    []string // ETAG and W/ETAG stand for the path's ETag; Accept-Encoding is gzip unless given ("-": none sent)
	dev    *deviation
}

// deviation is a documented difference: the status each server answers
// and the fields that may differ (the status alone when it differs).
type deviation struct {
	why          string // which side RFC 9110 agrees with, and where
	ours, theirs int
	fields       []string
}

// diffFields are the fields compared on a 2xx or 3xx answer; on a 4xx only
// the status and Content-Range are, the rest being each server's error
// text.
var diffFields = []string{"Content-Type", "Content-Length", "Content-Range", "Etag", "Last-Modified", "Accept-Ranges", "Vary", "Content-Encoding", "Location"}

const (
	diffLater   = "Sun, 01 Mar 2026 12:00:01 GMT"
	diffEarlier = "Sun, 01 Mar 2026 11:59:59 GMT"
	diffFuture  = "Fri, 01 Jan 2100 00:00:00 GMT"
)

var (
	headIgnoresRange = &deviation{why: "RFC 9110 §14.2: a server MUST ignore Range on any method but GET; net/http answers HEAD with a 206", ours: 200, theirs: 206}
	rangeOfEmpty     = &deviation{why: "any Range on an empty file is ignored (RFC 9110 §14.2 lets a server); net/http answers a suffix range with a 206 of \"bytes 0--1/0\", not a valid Content-Range", ours: 200, theirs: 206}
	codedLength      = &deviation{why: "Content-Length is the coded content's (RFC 9110 §8.6); http.ServeContent leaves it out beside a Content-Encoding", ours: 200, theirs: 200, fields: []string{"Content-Length"}}
	invalidRange     = &deviation{why: "RFC 9110 §14.2 lets a server ignore an invalid Range; net/http rejects it with a 416 without the Content-Range §15.5.17 asks for", ours: 200, theirs: 416}
)

var diffCases = []diffCase{
	// Plain answers, and the sniffed or named types.
	{name: "GET"},
	{name: "HEAD", method: "HEAD"},
	{name: "small", path: "/small.txt"},
	{name: "css", path: "/style.css"},
	{name: "sniffed", path: "/noext"},
	{name: "empty", path: "/empty.txt"},
	{name: "epoch mtime", path: "/epoch.txt"},
	{name: "no mtime", path: "/mem/nomod.txt"},
	{name: "index", path: "/sub/"},
	{name: "directory redirect", path: "/sub"}, // Location compared as the URL it resolves to
	{name: "missing", path: "/nope.txt"},
	{name: "no Accept-Encoding", method: "HEAD", hdr: []string{"Accept-Encoding", "-"}, dev: &deviation{
		why: "without Accept-Encoding the siblings are not looked for, and Vary is sent as if one existed (documented); net/http has no siblings", ours: 200, theirs: 200, fields: []string{"Vary"}}},

	// Preconditions alone.
	{name: "If-None-Match", hdr: []string{"If-None-Match", "ETAG"}},
	{name: "If-None-Match HEAD", method: "HEAD", hdr: []string{"If-None-Match", "ETAG"}},
	{name: "If-None-Match weak", hdr: []string{"If-None-Match", "W/ETAG"}},
	{name: "If-None-Match weak in a list", hdr: []string{"If-None-Match", `W/"x", W/ETAG`}},
	{name: "If-None-Match star", hdr: []string{"If-None-Match", "*"}},
	{name: "If-None-Match other", hdr: []string{"If-None-Match", `"other"`}},
	{name: "If-None-Match malformed before the tag", hdr: []string{"If-None-Match", "x, ETAG"}},
	{name: "If-None-Match no mtime", path: "/mem/nomod.txt", hdr: []string{"If-None-Match", "ETAG"}},
	{name: "If-None-Match two fields", hdr: []string{"If-None-Match", `"other"`, "If-None-Match", "ETAG"}, dev: &deviation{
		why: "RFC 9110 §5.3: field lines are one comma-separated list; net/http reads the first line only", ours: 304, theirs: 200}},
	{name: "If-Match", hdr: []string{"If-Match", "ETAG"}},
	{name: "If-Match star", hdr: []string{"If-Match", "*"}},
	{name: "If-Match other", hdr: []string{"If-Match", `"other"`}},
	{name: "If-Match weak", hdr: []string{"If-Match", "W/ETAG"}}, // strong comparison: 412
	{name: "If-Match two fields", hdr: []string{"If-Match", `"other"`, "If-Match", "ETAG"}, dev: &deviation{
		why: "RFC 9110 §5.3, as for If-None-Match: net/http reads the first line only and fails the request", ours: 200, theirs: 412}},
	{name: "If-Modified-Since equal", hdr: []string{"If-Modified-Since", lastMod}},
	{name: "If-Modified-Since later", hdr: []string{"If-Modified-Since", diffLater}},
	{name: "If-Modified-Since earlier", hdr: []string{"If-Modified-Since", diffEarlier}},
	{name: "If-Modified-Since future", hdr: []string{"If-Modified-Since", diffFuture}}, // RFC 9110 §13.1.3 has no exception: 304
	{name: "If-Modified-Since unparseable", hdr: []string{"If-Modified-Since", "yesterday"}},
	{name: "If-Modified-Since RFC 850", hdr: []string{"If-Modified-Since", "Sunday, 01-Mar-26 12:00:00 GMT"}},
	{name: "If-Modified-Since asctime", hdr: []string{"If-Modified-Since", "Sun Mar  1 12:00:00 2026"}},
	{name: "If-Modified-Since epoch mtime", path: "/epoch.txt", hdr: []string{"If-Modified-Since", diffFuture}},
	{name: "If-Modified-Since no mtime", path: "/mem/nomod.txt", hdr: []string{"If-Modified-Since", diffFuture}},
	{name: "If-Unmodified-Since equal", hdr: []string{"If-Unmodified-Since", lastMod}},
	{name: "If-Unmodified-Since earlier", hdr: []string{"If-Unmodified-Since", diffEarlier}},
	{name: "If-Unmodified-Since unparseable", hdr: []string{"If-Unmodified-Since", "yesterday"}},
	{name: "If-Unmodified-Since epoch mtime", path: "/epoch.txt", hdr: []string{"If-Unmodified-Since", diffEarlier}},

	// Preconditions combined, in RFC 9110 §13.2.2's order.
	{name: "If-Match over If-Unmodified-Since", hdr: []string{"If-Match", "ETAG", "If-Unmodified-Since", diffEarlier}},
	{name: "failed If-Match, good If-Unmodified-Since", hdr: []string{"If-Match", `"other"`, "If-Unmodified-Since", diffLater}},
	{name: "If-None-Match over If-Modified-Since", hdr: []string{"If-None-Match", `"other"`, "If-Modified-Since", diffLater}},
	{name: "If-None-Match over old If-Modified-Since", hdr: []string{"If-None-Match", "ETAG", "If-Modified-Since", diffEarlier}},
	{name: "If-Match before If-None-Match", hdr: []string{"If-Match", `"other"`, "If-None-Match", "ETAG"}},
	{name: "If-Unmodified-Since before If-None-Match", hdr: []string{"If-Unmodified-Since", diffEarlier, "If-None-Match", "ETAG"}},
	{name: "If-Match then If-None-Match", hdr: []string{"If-Match", "ETAG", "If-None-Match", "ETAG"}},
	{name: "stars", hdr: []string{"If-Match", "*", "If-None-Match", "*"}},
	{name: "preconditions before Range", hdr: []string{"Range", "bytes=0-4", "If-None-Match", "ETAG"}},
	{name: "failed If-Match before Range", hdr: []string{"Range", "bytes=0-4", "If-Match", `"other"`}},
	{name: "If-Range", hdr: []string{"Range", "bytes=0-4", "If-Range", "ETAG"}},
	{name: "If-Range weak", hdr: []string{"Range", "bytes=0-4", "If-Range", "W/ETAG"}},
	{name: "If-Range other", hdr: []string{"Range", "bytes=0-4", "If-Range", `"other"`}},
	{name: "If-Range date", hdr: []string{"Range", "bytes=0-4", "If-Range", lastMod}},
	{name: "If-Range RFC 850 date", hdr: []string{"Range", "bytes=0-4", "If-Range", "Sunday, 01-Mar-26 12:00:00 GMT"}},
	{name: "If-Range earlier date", hdr: []string{"Range", "bytes=0-4", "If-Range", diffEarlier}},
	{name: "If-Range later date", hdr: []string{"Range", "bytes=0-4", "If-Range", diffLater}},
	{name: "If-Range unparseable", hdr: []string{"Range", "bytes=0-4", "If-Range", "yesterday"}},
	{name: "If-Range no mtime, date", path: "/mem/nomod.txt", hdr: []string{"Range", "bytes=0-4", "If-Range", lastMod}},
	{name: "If-Range no mtime, tag", path: "/mem/nomod.txt", hdr: []string{"Range", "bytes=0-4", "If-Range", "ETAG"}},
	{name: "If-Range without Range", hdr: []string{"If-Range", `"other"`}},
	{name: "If-Range failed on an unsatisfiable range", hdr: []string{"Range", "bytes=90000-", "If-Range", `"other"`}},
	{name: "If-Range and If-Modified-Since", hdr: []string{"Range", "bytes=0-4", "If-Range", "ETAG", "If-Modified-Since", diffEarlier}},
	{name: "If-Range with trailing bytes", hdr: []string{"Range", "bytes=0-4", "If-Range", "ETAGx"}, dev: &deviation{
		why: "neither an entity-tag nor a date (RFC 9110 §13.1.5) cannot match, so the whole file goes; net/http matches the tag at its start", ours: 200, theirs: 206}},
	{name: "If-Range epoch date", path: "/epoch.txt", hdr: []string{"Range", "bytes=0-4", "If-Range", "Thu, 01 Jan 1970 00:00:00 GMT"}, dev: &deviation{
		why: "the file has no modification date (neither server sends Last-Modified), so no date can validate it (RFC 9110 §13.1.5); net/http compares it with the epoch", ours: 200, theirs: 206}},

	// Range forms.
	{name: "first byte", hdr: []string{"Range", "bytes=0-0"}},
	{name: "suffix", hdr: []string{"Range", "bytes=-5"}},
	{name: "open", hdr: []string{"Range", "bytes=43190-"}},
	{name: "large, sent with sendfile", hdr: []string{"Range", "bytes=1000-39000"}},
	{name: "large suffix", hdr: []string{"Range", "bytes=-20000"}},
	{name: "cut at the end", hdr: []string{"Range", "bytes=43199-90000"}},
	{name: "OWS and empty elements", hdr: []string{"Range", "bytes= 0-4 ,, 6-7,"}},
	{name: "several", hdr: []string{"Range", "bytes=0-1,5-6,-3"}},
	{name: "several large", hdr: []string{"Range", "bytes=0-19999,20000-43199"}},
	{name: "overlapping", hdr: []string{"Range", "bytes=0-10,5-15"}},
	{name: "unordered", hdr: []string{"Range", "bytes=20-29,0-9"}},
	{name: "16 ranges", hdr: []string{"Range", "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,28-28,30-30"}},
	{name: "17 ranges", hdr: []string{"Range", "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,28-28,30-30,32-32"}, dev: &deviation{
		why: "more than Config.MaxRanges are ignored (RFC 9110 §14.2 lets a server ignore Range; §15.5.17 names many small ranges as abuse); net/http has no limit", ours: 200, theirs: 206}},
	{name: "more bytes than the file", hdr: []string{"Range", "bytes=0-,0-"}},
	{name: "past the end", hdr: []string{"Range", "bytes=90000-"}},
	{name: "one past the end", hdr: []string{"Range", "bytes=43200-"}},
	{name: "past the end and satisfiable", hdr: []string{"Range", "bytes=90000-,0-0"}},
	{name: "not a range", hdr: []string{"Range", "bytes=abc"}, dev: invalidRange},
	{name: "last before first", hdr: []string{"Range", "bytes=5-1"}, dev: invalidRange},
	{name: "no range-spec", hdr: []string{"Range", "bytes="}},
	{name: "another unit", hdr: []string{"Range", "items=0-5"}, dev: &deviation{
		why: "RFC 9110 §14.2: a server MUST ignore a Range of a unit it does not understand; net/http answers 416", ours: 200, theirs: 416}},
	{name: "suffix of zero", hdr: []string{"Range", "bytes=-0"}, dev: &deviation{
		why: "RFC 9110 §14.1.1: a suffix-range of length 0 is unsatisfiable, 416; net/http answers a 206 of \"bytes 43200-43199/43200\"", ours: 416, theirs: 206}},
	{name: "empty file, first byte", path: "/empty.txt", hdr: []string{"Range", "bytes=0-0"}},
	{name: "empty file, suffix", path: "/empty.txt", hdr: []string{"Range", "bytes=-1"}, dev: rangeOfEmpty},
	{name: "small, several", path: "/small.txt", hdr: []string{"Range", "bytes=0-1,-2"}},
	{name: "no mtime, several", path: "/mem/nomod.txt", hdr: []string{"Range", "bytes=0-1,-2"}},
	{name: "HEAD range", method: "HEAD", hdr: []string{"Range", "bytes=0-4"}, dev: headIgnoresRange},
	{name: "HEAD ranges", method: "HEAD", hdr: []string{"Range", "bytes=0-1,5-6"}, dev: headIgnoresRange},
	{name: "HEAD unsatisfiable", method: "HEAD", hdr: []string{"Range", "bytes=90000-"}, dev: &deviation{
		why: "as HEAD range: the Range is ignored, so nothing is unsatisfiable", ours: 200, theirs: 416}},

	// The precompressed sibling: its bytes, its ETag, its ranges.
	{name: "sibling", path: "/app.js", dev: codedLength},
	{name: "sibling refused", path: "/app.js", hdr: []string{"Accept-Encoding", "identity"}},
	{name: "sibling If-None-Match", path: "/app.js", hdr: []string{"If-None-Match", "ETAG"}},
	{name: "sibling range", path: "/app.js", hdr: []string{"Range", "bytes=20000-"}},
	{name: "sibling unsatisfiable", path: "/app.js", hdr: []string{"Range", "bytes=30000-"}},
	{name: "sibling If-Range", path: "/app.js", hdr: []string{"Range", "bytes=0-9", "If-Range", "ETAG"}},
	{name: "sibling HEAD", method: "HEAD", path: "/app.js", dev: codedLength},
	{name: "sibling, several ranges", path: "/app.js", hdr: []string{"Range", "bytes=0-1,5-6"}, dev: &deviation{
		why: "beside multipart/byteranges, Content-Encoding would say the multipart body is coded (RFC 9110 §8.4.1): the whole sibling goes; net/http sends the parts with Content-Encoding: gzip", ours: 200, theirs: 206}},

	// Methods.
	{name: "POST", method: "POST", dev: &deviation{why: "405 with Allow (RFC 9110 §15.5.6); net/http serves the file to any method", ours: 405, theirs: 200}},
	{name: "PUT", method: "PUT", dev: &deviation{why: "as POST", ours: 405, theirs: 200}},
	{name: "DELETE", method: "DELETE", dev: &deviation{why: "as POST", ours: 405, theirs: 200}},
	{name: "OPTIONS", method: "OPTIONS", dev: &deviation{why: "as POST", ours: 405, theirs: 200}},

	// Paths: neither server leaves the root. The container refuses
	// escaped dot segments, separators and control characters (400)
	// before mapping; FileServer decodes and cleans them into the root.
	{name: "dot segments", path: "/../secret.txt"},
	{name: "dot segments inside", path: "/sub/../small.txt"},
	{name: "encoded dot segments", path: "/%2e%2e/secret.txt", dev: &deviation{why: "ambiguous path: 400 before mapping", ours: 400, theirs: 404}},
	{name: "encoded dot segments inside", path: "/sub/%2e%2e/small.txt", dev: &deviation{why: "ambiguous path: 400 before mapping", ours: 400, theirs: 200}},
	{name: "encoded slashes", path: "/sub%2f..%2f..%2fsecret.txt", dev: &deviation{why: "ambiguous path: 400 before mapping", ours: 400, theirs: 404}},
	{name: "encoded backslash", path: "/..%5csecret.txt", dev: &deviation{why: "ambiguous path: 400 before mapping", ours: 400, theirs: 404}},
	{name: "double encoding", path: "/%252e%252e/secret.txt"},
	{name: "NUL", path: "/small.txt%00", dev: &deviation{why: "escaped NUL: 400 before mapping, with or without WithAmbiguousPaths; http.Dir refuses it in filepath.Localize, a 404", ours: 400, theirs: 404}},
	{name: "escaped line feed", path: "/small.txt%0A", dev: &deviation{why: "escaped control character: 400 before mapping; http.Dir looks for a file of that name", ours: 400, theirs: 404}},
	{name: "link out of the root", path: "/link-out.txt", dev: &deviation{why: "Dir's os.Root refuses a link out of the root; http.Dir follows it", ours: 404, theirs: 200}},
	{name: "index by name", path: "/sub/index.html", dev: &deviation{why: "net/http redirects .../index.html to the directory; both serve the index there", ours: 200, theirs: 301}},
	{name: "directory without index", path: "/bare/", dev: &deviation{why: "no listing unless Config.Listing; FileServer lists", ours: 404, theirs: 200}},
}

func TestNetHTTPDifferential(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for name, b := range diffTree {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		mod := diffMod
		if name == "epoch.txt" {
			mod = time.Unix(0, 0)
		}
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "secret.txt"), filepath.Join(root, "link-out.txt")); err != nil {
		t.Fatal(err)
	}
	h, err := static.Dir(root, static.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	mem := static.New(diffMem, static.Config{})

	// Our ETags, asked once, for the reference to send: by path and by
	// whether the sibling answers.
	etag := func(path, accept string) string {
		if strings.HasPrefix(path, "/mem/") {
			return do(t, mem, "/mem/*", "GET", path).Header().Get("Etag")
		}
		return do(t, h, "/", "GET", path, "Accept-Encoding", accept).Header().Get("Etag")
	}
	etags := map[string]string{}
	for _, tc := range diffCases {
		if p := diffPath(tc); etags[p] == "" {
			etags[p] = etag(p, "identity")
		}
	}
	codedTag := etag("/app.js", "gzip")

	fileServer := http.FileServer(http.Dir(root))
	memServer := http.StripPrefix("/mem", http.FileServer(http.FS(diffMem)))
	ref := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/app.js" && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip"):
			serveSibling(w, r, filepath.Join(root, "app.js.gz"), codedTag)
			return
		case r.URL.Path == "/app.js":
			w.Header().Set("Vary", "Accept-Encoding")
		}
		if e := etags[r.URL.Path]; e != "" {
			w.Header().Set("Etag", e)
		}
		if strings.HasPrefix(r.URL.Path, "/mem/") {
			memServer.ServeHTTP(w, r)
			return
		}
		fileServer.ServeHTTP(w, r)
	}))
	t.Cleanup(ref.Close)

	build := func(c *container.Container) {
		c.Handle("/", h)
		c.Handle("/mem/*", mem)
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tc := range diffCases {
			method, path := tc.method, diffPath(tc)
			if method == "" {
				method = "GET"
			}
			hdr := slices.Clone(tc.hdr)
			tag := etags[path]
			if path == "/app.js" && !slices.Contains(hdr, "Accept-Encoding") {
				tag = codedTag
			}
			for i := 1; i < len(hdr); i += 2 {
				hdr[i] = strings.ReplaceAll(hdr[i], "ETAG", tag)
			}
			ours := ask(t, s.Client, s.URL, method, path, hdr)
			theirs := ask(t, http.DefaultClient, ref.URL, method, path, hdr)
			if strings.Contains(ours.body, "SECRET") {
				t.Errorf("%s: served the file out of the root", tc.name)
			}
			compareAnswers(t, tc, ours, theirs)
		}
	})
}

func diffPath(tc diffCase) string {
	if tc.path == "" {
		return "/big.bin"
	}
	return tc.path
}

// serveSibling is the reference for a precompressed sibling: the coded
// bytes through http.ServeContent, with the fields the handler gives them.
func serveSibling(w http.ResponseWriter, r *http.Request, path, etag string) {
	f, err := os.Open(path)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	hdr := w.Header()
	hdr.Set("Etag", etag)
	hdr.Set("Vary", "Accept-Encoding")
	hdr.Set("Content-Encoding", "gzip")
	hdr.Set("Content-Type", mime.TypeByExtension(".js"))
	http.ServeContent(w, r, "app.js", info.ModTime(), f)
}

// answer is a response read whole; Location is resolved against the
// request's URL, so that a relative and an absolute one compare equal.
type answer struct {
	status int
	header http.Header
	body   string
}

// ask sends one request without following redirects. Accept-Encoding is
// gzip unless hdr gives it ("-" sends none).
func ask(t *testing.T, client *http.Client, base, method, path string, hdr []string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Accept-Encoding" {
			req.Header.Del(hdr[i])
			if hdr[i+1] == "-" {
				continue
			}
		}
		req.Header.Add(hdr[i], hdr[i+1])
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		if u, err := req.URL.Parse(loc); err == nil {
			resp.Header.Set("Location", (&url.URL{Path: u.Path, RawQuery: u.RawQuery}).String())
		}
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// compareAnswers checks that ours and net/http's agree, or differ as tc's
// deviation says.
func compareAnswers(t *testing.T, tc diffCase, ours, theirs answer) {
	t.Helper()
	skip := map[string]bool{}
	if d := tc.dev; d != nil {
		if ours.status != d.ours || theirs.status != d.theirs {
			t.Errorf("%s: ours %d, net/http %d; the deviation says %d and %d (%s)", tc.name, ours.status, theirs.status, d.ours, d.theirs, d.why)
			return
		}
		if d.ours != d.theirs {
			return
		}
		differ := false
		for _, f := range d.fields {
			skip[f] = true
			differ = differ || ours.header.Get(f) != theirs.header.Get(f)
		}
		if !differ {
			t.Errorf("%s: ours and net/http agree on %v; the deviation (%s) is gone", tc.name, d.fields, d.why)
		}
	}
	if ours.status != theirs.status {
		t.Errorf("%s: status ours %d, net/http %d", tc.name, ours.status, theirs.status)
		return
	}
	if ours.status >= 400 {
		if x, y := ours.header.Get("Content-Range"), theirs.header.Get("Content-Range"); x != y {
			t.Errorf("%s: Content-Range ours %q, net/http %q", tc.name, x, y)
		}
		return
	}
	oursType, _, _ := mime.ParseMediaType(ours.header.Get("Content-Type"))
	multi := oursType == "multipart/byteranges"
	for _, f := range diffFields {
		x, y := strings.Join(ours.header.Values(f), ", "), strings.Join(theirs.header.Values(f), ", ")
		switch {
		case skip[f]:
			continue
		case f == "Etag":
			x, y = presence(x), presence(y) // theirs is ours, given to it
		case multi && f == "Content-Type":
			x, _, _ = mime.ParseMediaType(x) // the boundaries differ
			y, _, _ = mime.ParseMediaType(y)
		case multi && f == "Content-Length":
			continue // checked against the body below
		}
		if x != y {
			t.Errorf("%s: %s ours %q, net/http %q", tc.name, f, x, y)
		}
	}
	if !multi {
		if ours.body != theirs.body {
			t.Errorf("%s: body ours %.40q (%d bytes), net/http %.40q (%d bytes)", tc.name, ours.body, len(ours.body), theirs.body, len(theirs.body))
		}
		return
	}
	if cl := ours.header.Get("Content-Length"); cl != strconv.Itoa(len(ours.body)) {
		t.Errorf("%s: multipart Content-Length %q, body %d bytes", tc.name, cl, len(ours.body))
	}
	a := readParts(t, ours.header.Get("Content-Type"), []byte(ours.body))
	b := readParts(t, theirs.header.Get("Content-Type"), []byte(theirs.body))
	if !slices.Equal(a, b) {
		t.Errorf("%s: parts ours %.200v, net/http %.200v", tc.name, a, b)
	}
}

func presence(v string) string {
	if v == "" {
		return "absent"
	}
	return "present"
}
