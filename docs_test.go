package wharf_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
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

// docs/security.md's HTTP/1.1 limits table gives each connector.Config
// field's default as the code has it.
func TestSecurityLimitDefaults(t *testing.T) {
	lim := (&connector.Config{}).Limits()
	size := func(n int64) string {
		switch {
		case n >= 1<<20 && n%(1<<20) == 0:
			return fmt.Sprintf("%d MiB", n>>20)
		case n >= 1<<10 && n%(1<<10) == 0:
			return fmt.Sprintf("%d KiB", n>>10)
		}
		return fmt.Sprint(n)
	}
	dur := func(d time.Duration) string { return fmt.Sprintf("%d s", int(d/time.Second)) }
	want := map[string]string{
		"MaxHeaderBytes":      size(int64(lim.MaxHeaderBytes)),
		"MaxURILength":        size(int64(lim.MaxURILength)),
		"MaxHeaders":          fmt.Sprint(lim.MaxHeaders),
		"MaxBodyBytes":        size(lim.MaxBodyBytes),
		"ReadHeaderTimeout":   dur(lim.ReadHeaderTimeout),
		"ReadTimeout":         dur(lim.ReadTimeout),
		"WriteTimeout":        dur(lim.WriteTimeout),
		"IdleTimeout":         dur(lim.IdleTimeout),
		"MaxDiscardBytes":     size(lim.MaxDiscardBytes),
		"DiscardTimeout":      dur(lim.DiscardTimeout),
		"DataRateGrace":       dur(lim.DataRateGrace),
		"MinRequestDataRate":  fmt.Sprintf("%d B/s", lim.MinRequestDataRate),
		"MinResponseDataRate": fmt.Sprintf("%d B/s", lim.MinResponseDataRate),
	}
	b, err := os.ReadFile("docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(\\w+)`[^|]*\\| ([^|]+) \\|")
	seen := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		w, ok := want[m[1]]
		if !ok || seen[m[1]] {
			continue // another table's field, or a later table's row
		}
		seen[m[1]] = true
		if !strings.HasPrefix(m[2], w) {
			t.Errorf("docs/security.md gives %s's default as %q; the code's is %s", m[1], m[2], w)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("docs/security.md's limits table has no row for %s", name)
		}
	}
}
