package container_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/static"
)

// TestErrorPageForwardAnyMethod: an error page that forwards to a page
// mapped for GET, or to a file handler (which serves GET and HEAD), renders
// the failure of a request of any method. The failed POST must not make
// the page's own target answer 405, which left the client the bare
// text answer and logged "error page failed" for every such request.
func TestErrorPageForwardAnyMethod(t *testing.T) {
	const page = "<p>no such page</p>"
	files := fstest.MapFS{"404.html": {Data: []byte(page)}}
	for _, tc := range []struct {
		name string
		reg  string // the page's registration
		opts []dispatcher.Option
	}{
		{"GET route", "GET /errors/*", nil},
		{"GET route, filters", "GET /errors/*", []dispatcher.Option{dispatcher.WithFilters()}},
		{"file handler for any method", "/errors/*", nil},
	} {
		for _, method := range []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"} {
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				c := container.New()
				c.Handle(tc.reg, static.New(files, static.Config{}))
				c.ErrorPage(http.StatusNotFound, api.HandlerFunc(func(w api.Response, r *api.Request) error {
					return dispatcher.Forward(w, r, "/errors/404.html", tc.opts...)
				}))
				rec := httptest.NewRecorder()
				c.ServeHTTP(rec, httptest.NewRequest(method, "/missing", strings.NewReader("a=1")))
				want := page
				if method == "HEAD" {
					want = ""
				}
				if rec.Code != http.StatusNotFound || rec.Body.String() != want {
					t.Errorf("%s /missing = %d %q, want 404 %q", method, rec.Code, rec.Body, want)
				}
			})
		}
	}
}

// TestErrorPageSeesMethod: the page itself still sees the method of the
// request that failed; only what it forwards to is read as a GET.
func TestErrorPageSeesMethod(t *testing.T) {
	c := container.New()
	c.ErrorPage(http.StatusNotFound, api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString(r.Method())
		return err
	}))
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest("DELETE", "/missing", nil))
	if rec.Code != http.StatusNotFound || rec.Body.String() != "DELETE" {
		t.Errorf("DELETE /missing = %d %q, want 404 \"DELETE\"", rec.Code, rec.Body)
	}
}

// TestErrorPageFileHandlerAnyMethod: a file handler given directly as an
// error page (no forward) renders the failure of a request of any method,
// as one an error page forwards to does: the failed POST is served the
// page as a GET, not the page's own 405 (which left the client the bare
// text answer, with the page's Allow field, and logged "error page
// failed"). A page of any other kind still sees the method.
func TestErrorPageFileHandlerAnyMethod(t *testing.T) {
	const page = "<p>no such page</p>"
	// The handler serves the failed request's path: "/missing".
	files := fstest.MapFS{"missing": {Data: []byte(page)}}
	for _, method := range []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"} {
		t.Run(method, func(t *testing.T) {
			logs, logger := wharftest.NewLogRecorder()
			c := container.New(container.WithLogger(logger))
			c.ErrorPage(http.StatusNotFound, static.New(files, static.Config{}))
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, httptest.NewRequest(method, "/missing", strings.NewReader("a=1")))
			want := page
			if method == "HEAD" {
				want = ""
			}
			if rec.Code != http.StatusNotFound || rec.Body.String() != want || rec.Header().Get("Allow") != "" {
				t.Errorf("%s /missing = %d %q, Allow %q; want 404 %q, no Allow", method, rec.Code, rec.Body, rec.Header().Get("Allow"), want)
			}
			if recs := logs.Records(); len(recs) != 0 {
				t.Errorf("logged %+v, want nothing", recs)
			}
		})
	}
}
