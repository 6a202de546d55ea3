package wharf_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every fuzz target of the module is run by test.sh (and so by CI) and
// named in docs/security.md's list, and both name only targets that exist.
func TestFuzzTargetsListed(t *testing.T) {
	targets := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(f \*testing\.F\)`)
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bench") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllSubmatch(b, -1) {
			targets[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []struct {
		file string
		re   *regexp.Regexp
	}{
		{"test.sh", regexp.MustCompile(`(?m)^fuzz \S+ (Fuzz\w+)$`)},
		{"docs/security.md", regexp.MustCompile("`(Fuzz\\w+)`")},
	} {
		b, err := os.ReadFile(src.file)
		if err != nil {
			t.Fatal(err)
		}
		named := map[string]bool{}
		for _, m := range src.re.FindAllSubmatch(b, -1) {
			named[string(m[1])] = true
			if !targets[string(m[1])] {
				t.Errorf("%s names %s, which no test file declares", src.file, m[1])
			}
		}
		for name := range targets {
			if !named[name] {
				t.Errorf("%s does not name the fuzz target %s", src.file, name)
			}
		}
	}
}
