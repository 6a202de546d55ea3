package static_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/static"
)

// TestIncludedFileNotEncoded includes a file in a page for a client that
// accepts compressed bodies: the included bytes go into the page's body,
// whose encoding the page decides (here none), so the file must come as
// itself, neither a precompressed sibling nor compressed by a filter. The
// Content-Encoding the included handler sets goes nowhere (an included
// resource sets no header field): compressed bytes would land in the page
// unannounced.
func TestIncludedFileNotEncoded(t *testing.T) {
	frag := strings.Repeat("<p>fragment</p>\n", 100) // past the filter's MinSize
	files := fstest.MapFS{
		"plain/frag.html":      {Data: []byte(frag), ModTime: modTime},
		"sibling/frag.html":    {Data: []byte(frag), ModTime: modTime},
		"sibling/frag.html.br": {Data: []byte("BROTLI"), ModTime: modTime},
		"sibling/frag.html.gz": {Data: []byte("GZIP"), ModTime: modTime},
	}
	build := func(c *container.Container) {
		c.Handle("/static/*", static.New(files, static.Config{}))
		c.Filter("/static/plain/*", gzip.New(gzip.Config{}))
		include := func(opts ...dispatcher.Option) api.HandlerFunc {
			return func(w api.Response, r *api.Request) error {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				io.WriteString(w, "<body>")
				target := "/static/" + r.Mapping().PathInfo
				if err := dispatcher.Include(w, r, target, opts...); err != nil {
					return err
				}
				_, err := io.WriteString(w, "</body>")
				return err
			}
		}
		c.Handle("/page/*", include())
		c.Handle("/filtered/*", include(dispatcher.WithFilters()))
	}
	want := "<body>" + frag + "</body>"
	tests := []struct{ name, path, accept string }{
		{"br sibling", "/page/sibling/frag.html", "br, gzip"},
		{"gz sibling", "/page/sibling/frag.html", "gzip"},
		{"gzip filter", "/filtered/plain/frag.html", "gzip"},
		{"sibling, filtered", "/filtered/sibling/frag.html", "gzip"},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			// get sends Accept-Encoding itself, so the client does not
			// decompress: the body is read as sent.
			resp, body := get(t, s, "GET", tt.path, "Accept-Encoding", tt.accept)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || string(body) != want {
				t.Errorf("%s: %d, Content-Encoding %q, body %q", tt.name, resp.StatusCode, resp.Header.Get("Content-Encoding"), body[:min(len(body), 40)])
			}
		}
	})
}
