package container_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The answer to an error is not cached under the policy the failed
// response had set: a handler that set a max-age for its success and then
// failed had its 500 (or a page's 404) stored for that long, and served in
// place of the resource. Its validators went with the body already. A
// policy, whoever set it, gives way to no-store (a filter's no-store
// stays, a 404 is not left heuristically cacheable); no policy adds none,
// as with net/http's Error; an error page may set its own.
func TestErrorAnswerCachePolicy(t *testing.T) {
	const date = "Wed, 21 Oct 2026 07:28:00 GMT"
	tests := []struct {
		name   string
		set    http.Header // set by the handler before it fails
		err    error
		page   bool // a 404 page answers, setting a Cache-Control of its own when own
		own    string
		wantCC string
	}{
		{"max-age, 500", http.Header{"Cache-Control": {"public, max-age=3600"}}, errors.New("db down"), false, "", "no-store"},
		{"max-age, 404", http.Header{"Cache-Control": {"max-age=60"}}, api.Error(http.StatusNotFound, "gone"), false, "", "no-store"},
		{"Expires", http.Header{"Expires": {date}}, errors.New("db down"), false, "", "no-store"},
		{"validators", http.Header{"Etag": {`"v1"`}, "Last-Modified": {date}}, errors.New("db down"), false, "", ""},
		{"no policy", nil, errors.New("db down"), false, "", ""},
		{"no-store stays", http.Header{"Cache-Control": {"no-store"}}, api.Error(http.StatusUnauthorized, "log in"), false, "", "no-store"},
		{"page sees no-store", http.Header{"Cache-Control": {"max-age=60"}}, api.Error(http.StatusNotFound, "gone"), true, "", "no-store"},
		{"page sets its own", http.Header{"Cache-Control": {"max-age=60"}}, api.Error(http.StatusNotFound, "gone"), true, "max-age=5", "max-age=5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			defer c.Close()
			c.HandleFunc("/x", func(w api.Response, r *api.Request) error {
				for k, v := range tt.set {
					w.Header()[k] = v
				}
				w.WriteString("the success")
				return tt.err
			})
			if tt.page {
				c.ErrorPage(http.StatusNotFound, api.HandlerFunc(func(w api.Response, r *api.Request) error {
					if tt.own != "" {
						w.Header().Set("Cache-Control", tt.own)
					}
					_, err := w.WriteString("not here")
					return err
				}))
			}
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
			if rec.Code < 400 {
				t.Fatalf("status %d, want the error's", rec.Code)
			}
			h := rec.Header()
			if got := h.Get("Cache-Control"); got != tt.wantCC {
				t.Errorf("Cache-Control %q, want %q", got, tt.wantCC)
			}
			for _, k := range []string{"Expires", "Etag", "Last-Modified"} {
				if v, ok := h[k]; ok {
					t.Errorf("%s: %q kept on the error's answer", k, v)
				}
			}
		})
	}
}
