package static_test

import (
	"io"
	"net/http"
	"testing"
	"testing/fstest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/static"
)

// TestIncludedFileIgnoresConditions includes a file in a page: the page's
// request's Range and preconditions are about the page, which the included
// handler cannot answer for (it sets neither status nor header fields), so
// the whole file goes into the page's 200 whatever they say. A part of the
// file, a multipart body or nothing there would be taken by a cache for
// the whole page.
func TestIncludedFileIgnoresConditions(t *testing.T) {
	const frag = "<p>fragment</p>"
	const want = "<body>" + frag + "</body>"
	build := func(c *container.Container) {
		c.Handle("/static/*", static.New(fstest.MapFS{"frag.html": {Data: []byte(frag), ModTime: modTime}}, static.Config{}))
		c.HandleFunc("/page", func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<body>")
			if err := dispatcher.Include(w, r, "/static/frag.html"); err != nil {
				return err
			}
			_, err := io.WriteString(w, "</body>")
			return err
		})
	}
	tests := []struct{ name, key, value string }{
		{"range", "Range", "bytes=0-2"},
		{"ranges", "Range", "bytes=0-1,5-6"},
		{"unsatisfiable", "Range", "bytes=900-"},
		{"if-modified-since", "If-Modified-Since", "Mon, 01 Jan 2035 00:00:00 GMT"},
		{"if-none-match", "If-None-Match", "*"},
		{"if-match", "If-Match", `"other"`},
		{"if-unmodified-since", "If-Unmodified-Since", "Mon, 01 Jan 1990 00:00:00 GMT"},
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range tests {
			resp, body := get(t, s, "GET", "/page", tt.key, tt.value)
			if resp.StatusCode != http.StatusOK || string(body) != want {
				t.Errorf("%s (%s: %s): %d %q, want 200 %q", tt.name, tt.key, tt.value, resp.StatusCode, body, want)
			}
		}
	})
}
