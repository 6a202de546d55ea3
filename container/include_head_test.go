package container_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/static"
)

// TestIncludeHeadLength: the answer to HEAD has GET's Content-Length, also
// for a page that includes resources which write no body for a HEAD (a
// file handler, net/http's ServeContent): the included bytes are part of
// the includer's body, which HEAD counts and drops, so the included
// resource must write them.
func TestIncludeHeadLength(t *testing.T) {
	const frag = "<p>fragment</p>"
	files := fstest.MapFS{"frag.html": {Data: []byte(frag)}}
	for _, tc := range []struct {
		name   string
		target string
	}{
		{"file handler", "/files/frag.html"},
		{"net/http ServeContent", "/mounted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := container.New()
			c.Handle("GET /files/*", static.New(files, static.Config{}))
			c.Mount("GET /mounted", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.ServeContent(w, r, "frag.html", time.Time{}, strings.NewReader(frag))
			}))
			c.HandleFunc("GET /page", func(w api.Response, r *api.Request) error {
				io.WriteString(w, "[")
				if err := dispatcher.Include(w, r, tc.target); err != nil {
					return err
				}
				_, err := io.WriteString(w, "]")
				return err
			})
			get := httptest.NewRecorder()
			c.ServeHTTP(get, httptest.NewRequest("GET", "/page", nil))
			if want := "[" + frag + "]"; get.Code != 200 || get.Body.String() != want {
				t.Fatalf("GET /page = %d %q, want 200 %q", get.Code, get.Body, want)
			}
			head := httptest.NewRecorder()
			c.ServeHTTP(head, httptest.NewRequest("HEAD", "/page", nil))
			gl, hl := get.Header().Get("Content-Length"), head.Header().Get("Content-Length")
			if head.Code != 200 || hl != gl {
				t.Errorf("HEAD /page = %d, Content-Length %q; want 200, GET's %q", head.Code, hl, gl)
			}
		})
	}
}
