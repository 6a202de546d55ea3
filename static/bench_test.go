package static_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/static"
)

// BenchmarkServeSmallFile serves a 1 KiB file of an OS directory to an
// in-memory response: the handler's own cost per request, without the
// network.
func BenchmarkServeSmallFile(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "1k.bin"), make([]byte, 1024), 0o600); err != nil {
		b.Fatal(err)
	}
	h := dirHandler(b, dir)
	head := &api.RequestHead{Method: "GET", Path: "/1k.bin", Target: "/1k.bin", Proto: "HTTP/1.1", Header: api.Header{}}
	r := api.NewRequest(context.Background(), head, nil)
	b.ReportAllocs()
	for b.Loop() {
		w := wharftest.NewRecorder()
		if err := h.Serve(w, r); err != nil {
			b.Fatal(err)
		}
	}
}

// dirHandler serves dir with Dir, closed when the test ends.
func dirHandler(t testing.TB, dir string) *static.Handler {
	t.Helper()
	h, err := static.Dir(dir, static.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}
