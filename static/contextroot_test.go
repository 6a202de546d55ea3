package static_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/static"
)

// A context's own path ("/site" for a context at "/site") is mapped as the
// path "/" within the context. Its index must be redirected to the slash
// form as every other directory's is, or the page's relative links resolve
// against the parent ("site.css" as "/site.css").
func TestContextRootRedirect(t *testing.T) {
	files := fstest.MapFS{
		"index.html":      {Data: []byte("home")},
		"docs/index.html": {Data: []byte("docs")},
	}
	c := container.New()
	c.Context("/site").Handle("GET /", static.New(files, static.Config{}))
	c.Handle("GET /", static.New(files, static.Config{}))
	tests := []struct {
		target   string
		status   int
		location string
		body     string
	}{
		{"/site", http.StatusMovedPermanently, "/site/", ""},
		{"/site?x=1", http.StatusMovedPermanently, "/site/?x=1", ""},
		{"/site/", http.StatusOK, "", "home"},
		{"/site/docs", http.StatusMovedPermanently, "/site/docs/", ""},
		{"/site/docs/", http.StatusOK, "", "docs"},
		{"/", http.StatusOK, "", "home"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, httptest.NewRequest("GET", tt.target, nil))
			if rec.Code != tt.status || rec.Header().Get("Location") != tt.location {
				t.Fatalf("got %d Location %q, want %d %q", rec.Code, rec.Header().Get("Location"), tt.status, tt.location)
			}
			if tt.body != "" && rec.Body.String() != tt.body {
				t.Fatalf("body %q, want %q", rec.Body.String(), tt.body)
			}
		})
	}
}
