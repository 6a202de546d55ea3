//go:build unix

package static_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-go/wharf/static"
)

// tempTree makes root/ and, beside it, outside/ with a secret, and links
// from the root to both.
func tempTree(t *testing.T) (root string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{root, outside, filepath.Join(root, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "inside.txt"), "inside")
	write(filepath.Join(root, "sub", "index.html"), "<p>sub</p>")
	write(filepath.Join(outside, "secret.txt"), "SECRET")
	link := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Skipf("symlinks: %v", err)
		}
	}
	link("inside.txt", "link-in.txt")
	link("sub", "link-dir")
	link(filepath.Join("..", "outside", "secret.txt"), "link-out.txt")
	link(filepath.Join(outside, "secret.txt"), "link-abs.txt")
	link(filepath.Join("..", "outside"), "link-outdir")
	link("sub/../../outside/secret.txt", "link-climb.txt")
	link("loop", "loop")
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Logf("no FIFO: %v", err)
	}
	return root
}

// TestDir serves an OS directory: links inside the root are followed,
// links out of it are 404, and a FIFO is refused without being opened
// (an open would block the test until its timeout).
func TestDir(t *testing.T) {
	root := tempTree(t)
	h, err := static.Dir(root, static.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, tc := range []struct {
		target string
		status int
		body   string
	}{
		{"/static/inside.txt", 200, "inside"},
		{"/static/link-in.txt", 200, "inside"},
		{"/static/link-dir/", 200, "<p>sub</p>"},
		{"/static/sub/", 200, "<p>sub</p>"},
		{"/static/link-out.txt", 404, ""},
		{"/static/link-abs.txt", 404, ""},
		{"/static/link-outdir/secret.txt", 404, ""},
		{"/static/link-outdir/", 404, ""},
		{"/static/link-climb.txt", 404, ""},
		{"/static/loop", 404, ""},
		{"/static/fifo", 404, ""},
		{"/static/../outside/secret.txt", 404, ""},
		{"/static/%2e%2e/outside/secret.txt", 404, ""},
		{"/static/..%2foutside%2fsecret.txt", 404, ""},
		{"/static/inside.txt%00", 400, ""},
		{"/static/inside.txt%0a", 404, ""},
	} {
		// The escaped climbs and control characters reach the handler
		// only with WithAmbiguousPaths; by default the container answers
		// them 400, and an escaped NUL even with it.
		rec := doWith(t, allowAmbiguous, h, "/static/*", "GET", tc.target)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d (%q)", tc.target, rec.Code, tc.status, rec.Body)
			continue
		}
		if tc.status == 200 && rec.Body.String() != tc.body {
			t.Errorf("%s: body %q, want %q", tc.target, rec.Body, tc.body)
		}
		if strings.Contains(rec.Body.String(), "SECRET") {
			t.Errorf("%s: the secret out of the root was served", tc.target)
		}
	}
}

// TestDirETag: an OS file's ETag changes when the file is rewritten (a
// new modification time) or replaced by another of the same size and
// time (a new inode); Last-Modified is the file's time.
func TestDirETag(t *testing.T) {
	root := tempTree(t)
	h, err := static.Dir(root, static.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	p := filepath.Join(root, "inside.txt")
	mod := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(p, mod, mod); err != nil {
		t.Fatal(err)
	}
	rec := do(t, h, "/static/*", "GET", "/static/inside.txt")
	first := rec.Header().Get("Etag")
	if lm := rec.Header().Get("Last-Modified"); lm != "Thu, 02 Jan 2025 03:04:05 GMT" {
		t.Errorf("Last-Modified %q", lm)
	}
	if again := do(t, h, "/static/*", "GET", "/static/inside.txt").Header().Get("Etag"); again != first {
		t.Errorf("ETag changed without a change: %q then %q", first, again)
	}
	later := mod.Add(time.Second)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	second := do(t, h, "/static/*", "GET", "/static/inside.txt").Header().Get("Etag")
	if second == first {
		t.Errorf("ETag %q kept after the modification time changed", first)
	}
	// Same size, same time, another file.
	tmp := filepath.Join(root, "new.txt")
	if err := os.WriteFile(tmp, []byte("INSIDE"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, later, later); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	if third := do(t, h, "/static/*", "GET", "/static/inside.txt").Header().Get("Etag"); third == second {
		t.Errorf("ETag %q kept after the file was replaced", third)
	}
}

func TestDirMissing(t *testing.T) {
	if _, err := static.Dir(filepath.Join(t.TempDir(), "nope"), static.Config{}); err == nil {
		t.Error("Dir of a missing directory: no error")
	}
}
