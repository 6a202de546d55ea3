package static_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The allocations of serving a small file to an in-memory response,
// pinned so that a regression fails. Most are os.Root's, on every
// request (the path split, the lstat walk, the File and its Stat); then
// the header fields' value slices (Content-Type, Content-Length,
// Last-Modified, ETag, Accept-Ranges, Vary), the formatted
// Last-Modified, the length's text, the ETag, the copy of
// Accept-Encoding's values, and the Recorder's body buffer growing. A
// 304 is the same lookups without the body and its length.
func TestAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers at random")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "1k.txt"), make([]byte, 1024), 0o600); err != nil {
		t.Fatal(err)
	}
	h := dirHandler(t, dir)
	req := func(method string, kv ...string) *api.Request {
		head := wharftest.Head(method, "/1k.txt", kv...)
		return api.NewRequest(context.Background(), head, nil)
	}
	w := wharftest.NewRecorder()
	if err := h.Serve(w, req("GET")); err != nil {
		t.Fatal(err)
	}
	etag := w.Header().Get("Etag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	nop := api.HandlerFunc(func(api.Response, *api.Request) error { return nil })
	for _, tt := range []struct {
		name string
		r    *api.Request
		want float64
	}{
		{"GET", req("GET", "Accept-Encoding", "gzip, br"), 30},
		{"HEAD", req("HEAD", "Accept-Encoding", "gzip, br"), 29},
		{"304", req("GET", "If-None-Match", etag), 16},
	} {
		got := wharftest.AddedAllocs(100, h, nop, tt.r)
		t.Logf("%s: %v", tt.name, got)
		if got > tt.want {
			t.Errorf("%s: %v allocations a request, want at most %v", tt.name, got, tt.want)
		}
	}
}
