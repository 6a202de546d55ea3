package gzip_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A 304 that confirms the compressed copy the client holds (its ETag is
// marked) stands for a 200 that carried "Vary: Accept-Encoding", and must
// carry it too (RFC 9110 §15.4.5), once.
func TestNotModifiedCompressedCopyVary(t *testing.T) {
	for _, preset := range []string{"", "Accept-Encoding", "Origin"} {
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
			w.Header().Set("Etag", `"v1"`)
			if preset != "" {
				w.Header().Set("Vary", preset)
			}
			if r.Header().Get("If-None-Match") != `"v1"` {
				w.Header().Set("Content-Type", "text/plain")
				_, err := w.WriteString(text)
				return err
			}
			return w.SetStatus(http.StatusNotModified)
		}), gzip.New(gzip.Config{}))
		full := wharftest.NewRecorder()
		if err := h.Serve(full, wharftest.Request("GET", "/", "Accept-Encoding", "gzip")); err != nil {
			t.Fatal(err)
		}
		w := wharftest.NewRecorder()
		if err := h.Serve(w, wharftest.Request("GET", "/", "Accept-Encoding", "gzip", "If-None-Match", `"v1--gzip"`)); err != nil {
			t.Fatal(err)
		}
		if w.Status() != http.StatusNotModified || w.Result().Get("Etag") != `"v1--gzip"` {
			t.Fatalf("%d, ETag %s", w.Status(), w.Result().Get("Etag"))
		}
		if got, want := w.Result().Values("Vary"), full.Result().Values("Vary"); !slices.Equal(got, want) {
			t.Errorf("preset %q: the 304's Vary is %q, the 200's %q", preset, got, want)
		}
	}
}
