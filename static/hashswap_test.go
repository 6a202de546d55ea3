//go:build unix

package static_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/static"
)

// swapFS is an OS directory whose file "f.txt" is replaced (renamed over,
// as a deployment does) right after the first Open of it: the request that
// made that Open serves the old file, and anything it opens afterwards is
// the new one.
type swapFS struct {
	fs.StatFS
	dir  string
	once sync.Once
}

func (s *swapFS) Open(name string) (fs.File, error) {
	f, err := s.StatFS.Open(name)
	if name == "f.txt" {
		s.once.Do(func() {
			if err := os.Rename(filepath.Join(s.dir, "f.txt.new"), filepath.Join(s.dir, "f.txt")); err != nil {
				panic(err)
			}
		})
	}
	return f, err
}

// hashTag is the content-hash ETag the package documents for content.
func hashTag(content string) string {
	sum := sha256.Sum256([]byte(content))
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// TestContentHashOfServedFile: a file with an epoch modification time is
// tagged with the hash of its content, and that must be the content sent
// with the tag. Replaced while the request runs, the old file goes out; if
// the tag were the new file's, the client would keep the old bytes under
// the new file's tag, and every If-None-Match afterwards would answer 304.
func TestContentHashOfServedFile(t *testing.T) {
	const oldBody, newBody = "old content", "new content, longer"
	dir := t.TempDir()
	for name, s := range map[string]string{"f.txt": oldBody, "f.txt.new": newBody} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, time.Unix(0, 0), time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	h := static.New(&swapFS{StatFS: root.FS().(fs.StatFS), dir: dir}, static.Config{})

	rec := do(t, h, "/", "GET", "/f.txt")
	if rec.Code != 200 || rec.Body.String() != oldBody {
		t.Fatalf("first GET: %d %q, want 200 %q", rec.Code, rec.Body, oldBody)
	}
	etag := rec.Header().Get("Etag")
	if want := hashTag(oldBody); etag != want {
		t.Errorf("ETag %s with the old body, want %s (the new file's is %s)", etag, want, hashTag(newBody))
	}
	// The client revalidates what it keeps: the file has changed since.
	rec = do(t, h, "/", "GET", "/f.txt", "If-None-Match", etag)
	if rec.Code != 200 || rec.Body.String() != newBody {
		t.Errorf("revalidation: %d %q, want 200 %q", rec.Code, rec.Body, newBody)
	}
}
