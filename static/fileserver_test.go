package static_test

import (
	"bytes"
	"mime"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/static"
)

// TestFileServer compares the conditional and range matrix with net/http's
// FileServer over the same files: the status, Content-Range and bytes
// served agree, except on the rows marked as deviations, where each side's
// status is stated. FileServer sends no ETag of its own, so the reference
// is given ours before it runs (http.ServeContent honours an ETag already
// set), and both evaluate the same validators.
func TestFileServer(t *testing.T) {
	fsys := testFS()
	ours := container.New()
	ours.Handle("/", static.New(fsys, static.Config{}))
	t.Cleanup(func() { ours.Close() })
	fileServer := http.FileServer(http.FS(fsys))

	const later, earlier = "Sun, 01 Mar 2026 12:00:01 GMT", "Sun, 01 Mar 2026 11:59:59 GMT"
	cases := []struct {
		name   string
		method string
		path   string
		hdr    []string
		// A deviation states both statuses; zero means they must agree.
		ours, theirs int
	}{
		{name: "plain"},
		{name: "HEAD", method: "HEAD"},
		{name: "css", path: "/a/b.css"},
		{name: "If-None-Match", hdr: []string{"If-None-Match", "ETAG"}},
		{name: "If-None-Match weak", hdr: []string{"If-None-Match", "W/ETAG"}},
		{name: "If-None-Match list", hdr: []string{"If-None-Match", `"a", ETAG`}},
		{name: "If-None-Match star", hdr: []string{"If-None-Match", "*"}},
		{name: "If-None-Match other", hdr: []string{"If-None-Match", `"other"`}},
		{name: "If-None-Match HEAD", method: "HEAD", hdr: []string{"If-None-Match", "ETAG"}},
		{name: "If-Modified-Since later", hdr: []string{"If-Modified-Since", later}},
		{name: "If-Modified-Since equal", hdr: []string{"If-Modified-Since", lastMod}},
		{name: "If-Modified-Since earlier", hdr: []string{"If-Modified-Since", earlier}},
		{name: "If-Modified-Since invalid", hdr: []string{"If-Modified-Since", "never"}},
		{name: "If-None-Match over If-Modified-Since", hdr: []string{"If-None-Match", `"other"`, "If-Modified-Since", later}},
		{name: "If-Match", hdr: []string{"If-Match", "ETAG"}},
		{name: "If-Match star", hdr: []string{"If-Match", "*"}},
		{name: "If-Match other", hdr: []string{"If-Match", `"other"`}},
		{name: "If-Match weak", hdr: []string{"If-Match", "W/ETAG"}},
		{name: "If-Unmodified-Since earlier", hdr: []string{"If-Unmodified-Since", earlier}},
		{name: "If-Unmodified-Since equal", hdr: []string{"If-Unmodified-Since", lastMod}},
		{name: "If-Match over If-Unmodified-Since", hdr: []string{"If-Match", "ETAG", "If-Unmodified-Since", earlier}},
		{name: "If-Match before If-None-Match", hdr: []string{"If-Match", `"other"`, "If-None-Match", "ETAG"}},
		{name: "range", hdr: []string{"Range", "bytes=0-4"}},
		{name: "suffix", hdr: []string{"Range", "bytes=-7"}},
		{name: "open", hdr: []string{"Range", "bytes=995-"}},
		{name: "cut", hdr: []string{"Range", "bytes=995-5000"}},
		{name: "ranges", hdr: []string{"Range", "bytes=0-4,10-14,-3"}},
		{name: "overlapping ranges within size", hdr: []string{"Range", "bytes=0-9,5-14"}},
		{name: "ranges over the size", hdr: []string{"Range", "bytes=0-,1-"}},
		{name: "unsatisfiable", hdr: []string{"Range", "bytes=1000-"}},
		{name: "some unsatisfiable", hdr: []string{"Range", "bytes=2000-,0-1"}},
		{name: "If-Range etag", hdr: []string{"Range", "bytes=0-4", "If-Range", "ETAG"}},
		{name: "If-Range other", hdr: []string{"Range", "bytes=0-4", "If-Range", `"other"`}},
		{name: "If-Range weak", hdr: []string{"Range", "bytes=0-4", "If-Range", "W/ETAG"}},
		{name: "If-Range date", hdr: []string{"Range", "bytes=0-4", "If-Range", lastMod}},
		{name: "If-Range old date", hdr: []string{"Range", "bytes=0-4", "If-Range", earlier}},
		{name: "Range and If-None-Match", hdr: []string{"Range", "bytes=0-4", "If-None-Match", "ETAG"}},
		{name: "Range and If-Match other", hdr: []string{"Range", "bytes=0-4", "If-Match", `"x"`}},
		{name: "empty file", path: "/empty.txt"},
		{name: "empty file range", path: "/empty.txt", hdr: []string{"Range", "bytes=0-"}},

		// Deviations, on purpose.
		{name: "malformed range is ignored", hdr: []string{"Range", "bytes=5-1"}, ours: 200, theirs: 416},
		{name: "another unit is ignored", hdr: []string{"Range", "pages=1-2"}, ours: 200, theirs: 416},
		{name: "the unit is case-insensitive", hdr: []string{"Range", "Bytes=0-4"}, ours: 206, theirs: 416},
		{name: "HEAD ignores Range", method: "HEAD", hdr: []string{"Range", "bytes=0-4"}, ours: 200, theirs: 206},
		{name: "more than 16 ranges", hdr: []string{"Range", "bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,15-15,16-16"}, ours: 200, theirs: 206},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method, path := tc.method, tc.path
			if method == "" {
				method = "GET"
			}
			if path == "" {
				path = "/big.bin"
			}
			etag := do(t, static.New(fsys, static.Config{}), "/", "GET", path).Header().Get("Etag")
			req := func() *http.Request {
				r := httptest.NewRequest(method, path, nil)
				for i := 0; i+1 < len(tc.hdr); i += 2 {
					v := tc.hdr[i+1]
					if v == "ETAG" {
						v = etag
					} else if v == "W/ETAG" {
						v = "W/" + etag
					}
					r.Header.Add(tc.hdr[i], v)
				}
				return r
			}
			a := httptest.NewRecorder()
			ours.ServeHTTP(a, req())
			b := httptest.NewRecorder()
			b.Header().Set("Etag", etag)
			fileServer.ServeHTTP(b, req())

			if tc.ours != 0 {
				if a.Code != tc.ours || b.Code != tc.theirs {
					t.Fatalf("ours %d, net/http %d; the deviation says %d and %d", a.Code, b.Code, tc.ours, tc.theirs)
				}
				return
			}
			if a.Code != b.Code {
				t.Fatalf("status: ours %d, net/http %d", a.Code, b.Code)
			}
			if x, y := a.Header().Get("Content-Range"), b.Header().Get("Content-Range"); x != y {
				t.Errorf("Content-Range: ours %q, net/http %q", x, y)
			}
			if a.Code >= 400 {
				return // the error bodies are each server's own text
			}
			mt, _, _ := mime.ParseMediaType(a.Header().Get("Content-Type"))
			if mt == "multipart/byteranges" {
				pa := readParts(t, a.Header().Get("Content-Type"), a.Body.Bytes())
				pb := readParts(t, b.Header().Get("Content-Type"), b.Body.Bytes())
				if len(pa) != len(pb) {
					t.Fatalf("parts: ours %v, net/http %v", pa, pb)
				}
				for i := range pa {
					if pa[i].contentRange != pb[i].contentRange || pa[i].body != pb[i].body {
						t.Errorf("part %d: ours %v, net/http %v", i, pa[i], pb[i])
					}
				}
				return
			}
			if !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) {
				t.Errorf("body: ours %q, net/http %q", a.Body, b.Body)
			}
			if a.Code == 200 || a.Code == 206 {
				if x, y := a.Header().Get("Content-Length"), b.Header().Get("Content-Length"); x != y {
					t.Errorf("Content-Length: ours %q, net/http %q", x, y)
				}
			}
		})
	}
}
