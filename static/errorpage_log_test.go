package static_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/static"
)

// A failure whose error page answers with a status that is no error (a
// page that redirects) is still a failure: it is logged with the status
// the error maps to, not left out of the log because the page's status is
// under 500. A file page is not given the request's Range or
// preconditions, which were about the answer that failed: it answers 500
// with the whole page, not a 206 of a few bytes of it or a 304.
func TestErrorPageNonErrorStatusLogged(t *testing.T) {
	errDown := errors.New("database down")
	const page = "<!doctype html><p>sorry</p>"
	files := fstest.MapFS{"500.html": {Data: []byte(page)}}
	tests := []struct {
		name   string
		header http.Header
		page   api.Handler
		status int    // what the client gets
		body   string // what it gets, if not ""
	}{
		{"file page", nil, forwardTo("/errors/500.html"), http.StatusInternalServerError, page},
		{"file page, Range", http.Header{"Range": {"bytes=0-3"}}, forwardTo("/errors/500.html"), http.StatusInternalServerError, page},
		{"file page, If-None-Match *", http.Header{"If-None-Match": {"*"}}, forwardTo("/errors/500.html"), http.StatusInternalServerError, page},
		{"file page, If-Modified-Since", http.Header{"If-Modified-Since": {"Fri, 01 Jan 2100 00:00:00 GMT"}}, forwardTo("/errors/500.html"), http.StatusInternalServerError, page},
		{"file page, If-Match", http.Header{"If-Match": {`"other"`}}, forwardTo("/errors/500.html"), http.StatusInternalServerError, page},
		{"redirecting page", nil, api.HandlerFunc(func(w api.Response, r *api.Request) error {
			w.Header().Set("Location", "/oops")
			return w.SetStatus(http.StatusFound)
		}), http.StatusFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs, logger := wharftest.NewLogRecorder()
			c := container.New(container.WithLogger(logger))
			c.Handle("GET /errors/*", static.New(files, static.Config{}))
			c.HandleFunc("GET /broken", func(api.Response, *api.Request) error { return errDown })
			c.ErrorPage(http.StatusInternalServerError, tt.page)
			req := httptest.NewRequest("GET", "/broken", nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, req)
			if rec.Code != tt.status || tt.body != "" && rec.Body.String() != tt.body {
				t.Fatalf("status %d %q, want %d %q", rec.Code, rec.Body.String(), tt.status, tt.body)
			}
			recs := logs.Records()
			if len(recs) != 1 || recs[0].Message != "wharf: request failed" || recs[0].Level != slog.LevelError ||
				recs[0].Attrs["status"].Int64() != http.StatusInternalServerError {
				t.Fatalf("records %+v; want the failure logged once at Error with status 500", recs)
			}
		})
	}
}

func forwardTo(target string) api.Handler {
	return api.HandlerFunc(func(w api.Response, r *api.Request) error { return dispatcher.Forward(w, r, target) })
}
