package replacefile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf-go/wharf/internal/replacefile"
)

// Write leaves a regular file of mode 0600 holding what fill wrote,
// whatever was at the path (nothing, a file readable by all, a link to a
// file elsewhere, which keeps its bytes), and on a failure of fill leaves
// the path as it was and no temporary file behind.
func TestWrite(t *testing.T) {
	for _, tt := range []struct {
		name    string
		prepare func(t *testing.T, path, elsewhere string)
	}{
		{"new", func(*testing.T, string, string) {}},
		{"existing readable by all", func(t *testing.T, path, _ string) {
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"link elsewhere", func(t *testing.T, path, elsewhere string) {
			if err := os.Symlink(elsewhere, path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path, elsewhere := filepath.Join(dir, "f"), filepath.Join(t.TempDir(), "other")
			if err := os.WriteFile(elsewhere, []byte("other"), 0o644); err != nil {
				t.Fatal(err)
			}
			tt.prepare(t, path, elsewhere)
			if err := replacefile.Write(path, ".test-*", func(w io.Writer) error {
				_, err := io.WriteString(w, "new")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(path)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
				t.Fatalf("path: %v, %v; want a regular file of mode 0600", fi.Mode(), err)
			}
			if b, _ := os.ReadFile(path); string(b) != "new" {
				t.Errorf("path holds %q, want new", b)
			}
			if b, _ := os.ReadFile(elsewhere); string(b) != "other" {
				t.Errorf("the link's target holds %q, want it untouched", b)
			}
			boom := errors.New("boom")
			if err := replacefile.Write(path, ".test-*", func(io.Writer) error { return boom }); !errors.Is(err, boom) {
				t.Fatalf("a failing fill: %v", err)
			}
			if b, _ := os.ReadFile(path); string(b) != "new" {
				t.Errorf("after a failed write the path holds %q, want it as it was", b)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("%d entries in the directory, want the file alone", len(entries))
			}
		})
	}
}
