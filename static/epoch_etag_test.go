//go:build unix

package static_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-go/wharf/static"
)

// TestDirEpochMtimeETag: a Dir file whose modification time is the Unix
// epoch (reproducible builds, some archive extractions) gets a content
// hash; the file system is mutable, so a rewrite with the same size must
// change the ETag, else a stale If-None-Match gets 304 and a resumed
// download (If-Range) gets new bytes spliced onto old ones.
func TestDirEpochMtimeETag(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	write := func(s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, time.Unix(0, 0), time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
	}
	write("version one")
	h, err := static.Dir(dir, static.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	e1 := do(t, h, "/", "GET", "/f.txt").Header().Get("Etag")
	write("version two")
	rec := do(t, h, "/", "GET", "/f.txt", "If-None-Match", e1)
	if rec.Code != 200 || rec.Header().Get("Etag") == e1 {
		t.Errorf("after a same-size rewrite: %d, ETag %s (was %s), body %q", rec.Code, rec.Header().Get("Etag"), e1, rec.Body)
	}
	rec = do(t, h, "/", "GET", "/f.txt", "Range", "bytes=8-", "If-Range", e1)
	if rec.Code != 200 {
		t.Errorf("If-Range with the old ETag: %d %q, want the whole new file", rec.Code, rec.Body)
	}
}
