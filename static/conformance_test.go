//go:build unix

package static_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/static"
)

// The conformance review's cases that the handler and differential tables
// leave out, sent as bytes to a Dir handler on the epoll connector, read as
// a client reads them: listings and their preconditions (plain and behind
// the gzip filter), the edges of conditionals, ranges and negotiation, and
// directory names that need escaping in a redirect. Each row pins what RFC
// 9110 asks, or what the package documentation says where it departs from
// net/http.

// confCase is one raw request: a method and target, fields, and what the
// answer must be. In fields, ETAG stands for the file's current ETag.
type confCase struct {
	name           string
	method, target string
	fields         []string
	status         int
	header         map[string]string // "" means absent, "*" present
	body           string            // checked unless "-"
}

var confCases = []confCase{
	// A listing (Config.Listing, under /list/) has no validator, but its
	// preconditions are evaluated (RFC 9110 §13.2.1): "*" matches it, an
	// entity-tag cannot, and the dates have nothing to compare with.
	{name: "listing", method: "GET", target: "/list/a%20b/", status: 200, header: map[string]string{"Content-Type": "text/html; charset=utf-8", "Etag": "", "Cache-Control": ""}, body: "-"},
	{name: "listing HEAD", method: "HEAD", target: "/list/a%20b/", status: 200, header: map[string]string{"Content-Length": "*"}, body: ""},
	{name: "listing If-None-Match *", method: "GET", target: "/list/a%20b/", fields: []string{"If-None-Match", "*"}, status: 304, header: map[string]string{"Content-Length": "", "Content-Type": ""}, body: ""},
	{name: "listing If-None-Match * HEAD", method: "HEAD", target: "/list/a%20b/", fields: []string{"If-None-Match", "*"}, status: 304, body: ""},
	{name: "listing If-None-Match tag", method: "GET", target: "/list/a%20b/", fields: []string{"If-None-Match", `"x"`}, status: 200, body: "-"},
	{name: "listing If-Match tag", method: "GET", target: "/list/a%20b/", fields: []string{"If-Match", `"x"`}, status: 412, body: "-"},
	{name: "listing If-Match *", method: "GET", target: "/list/a%20b/", fields: []string{"If-Match", "*"}, status: 200, body: "-"},
	{name: "listing If-Modified-Since", method: "GET", target: "/list/a%20b/", fields: []string{"If-Modified-Since", diffFuture}, status: 200, body: "-"},
	{name: "listing If-Unmodified-Since", method: "GET", target: "/list/a%20b/", fields: []string{"If-Unmodified-Since", diffEarlier}, status: 200, body: "-"},
	{name: "listing Range", method: "GET", target: "/list/a%20b/", fields: []string{"Range", "bytes=0-4"}, status: 200, header: map[string]string{"Content-Range": ""}, body: "-"},
	// Behind a compressing filter (/gz/), the 304 carries the Vary of
	// the compressed 200 it stands for (RFC 9110 §15.4.5).
	{name: "listing compressed", method: "GET", target: "/gz/a%20b/", fields: []string{"Accept-Encoding", "gzip"}, status: 200, header: map[string]string{"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}, body: "-"},
	{name: "listing compressed, If-None-Match *", method: "GET", target: "/gz/a%20b/", fields: []string{"Accept-Encoding", "gzip", "If-None-Match", "*"}, status: 304, header: map[string]string{"Vary": "Accept-Encoding", "Content-Encoding": ""}, body: ""},
	{name: "listing redirect ignores If-Match", method: "GET", target: "/list/a%20b", fields: []string{"If-Match", `"x"`}, status: 301, header: map[string]string{"Location": "/list/a%20b/"}, body: "-"},

	// A file's 304 on the wire (RFC 9110 §15.4.5): validators and caching
	// fields, no Last-Modified beside the ETag, no body fields, no body.
	{name: "304", method: "GET", target: "/f.txt", fields: []string{"If-None-Match", "ETAG"}, status: 304, header: map[string]string{
		"Etag": "ETAG", "Cache-Control": "max-age=60", "Vary": "Accept-Encoding", "Last-Modified": "", "Content-Length": "", "Content-Type": ""}, body: ""},
	{name: "304 HEAD, weak", method: "HEAD", target: "/f.txt", fields: []string{"If-None-Match", "W/ETAG"}, status: 304, body: ""},
	// A field of no entity-tag is a list of none (RFC 9110 §5.6.1): none
	// matches, 412; net/http ignores the field.
	{name: "empty If-Match", method: "GET", target: "/f.txt", fields: []string{"If-Match", ""}, status: 412, body: "-"},
	// Preconditions come after the method's and the name's checks (RFC
	// 9110 §13.2.1).
	{name: "POST with If-None-Match", method: "POST", target: "/f.txt", fields: []string{"If-None-Match", "*"}, status: 405, header: map[string]string{"Allow": "GET, HEAD"}, body: "-"},
	{name: "OPTIONS", method: "OPTIONS", target: "/f.txt", status: 405, header: map[string]string{"Allow": "GET, HEAD"}, body: "-"},
	{name: "If-Match * on a missing file", method: "GET", target: "/nope.txt", fields: []string{"If-Match", "*"}, status: 404, body: "-"},
	{name: "If-None-Match * on a redirect", method: "GET", target: "/sub", fields: []string{"If-None-Match", "*"}, status: 301, body: "-"},

	// Ranges of a small file.
	{name: "first and last byte", method: "GET", target: "/f.txt", fields: []string{"Range", "bytes=0-0,-1"}, status: 206, header: map[string]string{"Content-Type": "*", "Content-Range": ""}, body: "-"},
	{name: "a byte twice, more than the file", method: "GET", target: "/one.txt", fields: []string{"Range", "bytes=0-0,0-0"}, status: 200, body: "1"},
	{name: "Range with POST", method: "POST", target: "/f.txt", fields: []string{"Range", "bytes=0-0"}, status: 405, body: "-"},

	// Negotiation of the precompressed sibling: a q of 0 in any spelling
	// refuses it, a q out of range drops its element, an empty field asks
	// for no coding.
	{name: "Q=0.000", method: "GET", target: "/app.js", fields: []string{"Accept-Encoding", "gzip; Q=0.000"}, status: 200, header: map[string]string{"Content-Encoding": "", "Vary": "Accept-Encoding"}, body: "js"},
	{name: "q out of range", method: "GET", target: "/app.js", fields: []string{"Accept-Encoding", "gzip;q=1.5"}, status: 200, header: map[string]string{"Content-Encoding": ""}, body: "js"},
	{name: "empty Accept-Encoding", method: "GET", target: "/app.js", fields: []string{"Accept-Encoding", ""}, status: 200, header: map[string]string{"Content-Encoding": "", "Vary": "Accept-Encoding"}, body: "js"},

	// Directories: the redirect escapes the name again and keeps the
	// query; an index name that is a directory is no index.
	{name: "redirect of a space", method: "GET", target: "/a%20b", status: 301, header: map[string]string{"Location": "/a%20b/"}, body: "-"},
	{name: "redirect of a question mark", method: "GET", target: "/q%3Fx?y=1", status: 301, header: map[string]string{"Location": "/q%3Fx/?y=1"}, body: "-"},
	{name: "redirect of a percent sign", method: "GET", target: "/100%25", status: 301, header: map[string]string{"Location": "/100%25/"}, body: "-"},
	{name: "redirect HEAD", method: "HEAD", target: "/sub", status: 301, header: map[string]string{"Location": "/sub/"}, body: ""},
	{name: "redirect of a doubled slash", method: "GET", target: "//sub", status: 301, header: map[string]string{"Location": "/sub/"}, body: "-"},
	{name: "index that is a directory", method: "GET", target: "/idxdir/", status: 404, body: "-"},
	{name: "index by name", method: "GET", target: "/sub/index.html", status: 200, body: "<p>i</p>"},

	// Dot files: the name requested is checked; a link under the root
	// that leads to one serves it, as whoever made the link chose.
	{name: "dot directory", method: "GET", target: "/.hidden/x.txt", status: 404, body: "-"},
	{name: "link to a dot file", method: "GET", target: "/in.txt", status: 200, body: "h"},
}

func TestConformance(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root")
	files := map[string]string{
		"f.txt": "hello world", "one.txt": "1", "app.js": "js", "app.js.gz": "GZ",
		"sub/index.html": "<p>i</p>", "idxdir/index.html/x": "x", ".hidden/x.txt": "h",
		"a b/x.txt": "x", "q?x/x.txt": "q", "100%/x.txt": "p",
	}
	for name, s := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(".hidden", "x.txt"), filepath.Join(root, "in.txt")); err != nil {
		t.Fatal(err)
	}
	site, err := static.Dir(root, static.Config{CacheControl: "max-age=60"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	listing, err := static.Dir(root, static.Config{Listing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { listing.Close() })
	c := container.New()
	c.Handle("/", site)
	c.Handle("/list/*", listing)
	c.Handle("/gz/*", listing)
	c.Filter("/gz/*", gzip.New(gzip.Config{MinSize: -1}))
	s := modes.Start(t, modes.H1, c)
	addr := strings.TrimPrefix(s.URL, "http://")

	ask := func(method, target string, fields []string) (status int, header func(string) (string, bool), body string) {
		var b strings.Builder
		b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: x\r\n")
		for i := 0; i+1 < len(fields); i += 2 {
			b.WriteString(fields[i] + ": " + fields[i+1] + "\r\n")
		}
		b.WriteString("Connection: close\r\n\r\n")
		resps, bodies, _ := wharftest.RoundTrip(t, addr, b.String(), 1)
		h := resps[0].Header
		return resps[0].StatusCode, func(k string) (string, bool) { v, ok := h[k]; return strings.Join(v, ", "), ok }, bodies[0]
	}
	_, hdr, _ := ask("GET", "/f.txt", nil)
	etag, _ := hdr("Etag")
	if etag == "" {
		t.Fatal("no ETag for /f.txt")
	}

	for _, tc := range confCases {
		t.Run(tc.name, func(t *testing.T) {
			fields := make([]string, len(tc.fields))
			for i, f := range tc.fields {
				fields[i] = strings.ReplaceAll(f, "ETAG", etag)
			}
			status, header, body := ask(tc.method, tc.target, fields)
			if status != tc.status {
				t.Fatalf("status %d, want %d; body %q", status, tc.status, body)
			}
			if tc.body != "-" && body != tc.body {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			for k, want := range tc.header {
				got, ok := header(k)
				switch want = strings.ReplaceAll(want, "ETAG", etag); {
				case want == "" && ok:
					t.Errorf("%s: %q, want none", k, got)
				case want == "*" && !ok:
					t.Errorf("%s: absent", k)
				case want != "" && want != "*" && got != want:
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
		})
	}
}
