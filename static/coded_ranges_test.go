package static_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/static"
)

// A Content-Encoding beside "Content-Type: multipart/byteranges" says the
// multipart body is coded (RFC 9110 §8.4.1), which a body of parts cut
// from a precompressed sibling is not: a client that undoes the coding
// first, as the field tells it to, gets garbage. Several ranges of a
// sibling are answered with the whole sibling, 200, as other ranges a
// policy ignores are; one range of it stays a 206 of the coded bytes,
// whose single Content-Range and Content-Encoding agree. Each answer's
// ETag is its representation's: the sibling's differs from the file's.
func TestRangesOfPrecompressed(t *testing.T) {
	page := strings.Repeat("<p>ranges of a coded file</p>\n", 100)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(page))
	zw.Close()
	coded := gz.Bytes()
	fsys := fstest.MapFS{
		"p.html":    {Data: []byte(page), ModTime: modTime},
		"p.html.gz": {Data: coded, ModTime: modTime},
	}
	build := func(c *container.Container) { c.Handle("/*", static.New(fsys, static.Config{})) }
	tests := []struct {
		name, accept, rng string
		wantStatus        int
		wantEncoding      string
		wantBody          string // for a 200, or a single range
		wantParts         []string
	}{
		{"one range of the sibling", "gzip", "bytes=0-9", 206, "gzip", string(coded[:10]), nil},
		{"ranges of the sibling", "gzip", "bytes=0-9,20-29", 200, "gzip", string(coded), nil},
		{"ranges of the file", "identity", "bytes=0-9,20-29", 206, "", "", []string{page[:10], page[20:30]}},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		tags := map[string]string{} // Content-Encoding → ETag
		for _, tt := range tests {
			resp, body := get(t, s, "GET", "/p.html", "Accept-Encoding", tt.accept, "Range", tt.rng)
			ce := resp.Header.Get("Content-Encoding")
			if resp.StatusCode != tt.wantStatus || ce != tt.wantEncoding {
				t.Fatalf("%s: %d, Content-Encoding %q; want %d, %q", tt.name, resp.StatusCode, ce, tt.wantStatus, tt.wantEncoding)
			}
			mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
			if mt == "multipart/byteranges" && ce != "" {
				t.Errorf("%s: Content-Encoding %q over a multipart/byteranges body", tt.name, ce)
			}
			if tt.wantParts != nil {
				parts := readParts(t, resp.Header.Get("Content-Type"), body)
				if len(parts) != len(tt.wantParts) {
					t.Fatalf("%s: %d parts, want %d", tt.name, len(parts), len(tt.wantParts))
				}
				for i, p := range parts {
					if p.body != tt.wantParts[i] || p.contentType != "text/html; charset=utf-8" {
						t.Errorf("%s: part %d is %q (%s), want %q", tt.name, i, p.body, p.contentType, tt.wantParts[i])
					}
				}
			} else if string(body) != tt.wantBody {
				t.Errorf("%s: body %q, want %q", tt.name, body, tt.wantBody)
			}
			if resp.StatusCode == http.StatusOK {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				if b, err := io.ReadAll(zr); err != nil || string(b) != page {
					t.Errorf("%s: the decoded body differs from the file (%v)", tt.name, err)
				}
			}
			tag := resp.Header.Get("Etag")
			if prev, ok := tags[ce]; ok && prev != tag {
				t.Errorf("%s: ETag %s, %s before for the same encoding", tt.name, tag, prev)
			}
			tags[ce] = tag
		}
		if tags["gzip"] == "" || tags["gzip"] == tags[""] {
			t.Errorf("the sibling's ETag %s, the file's %s", tags["gzip"], tags[""])
		}
	})
}
