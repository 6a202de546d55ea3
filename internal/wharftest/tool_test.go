package wharftest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// fakeT records how Tool ended a test; Fatalf and Skip end the goroutine as
// the real ones do.
type fakeT struct {
	testing.TB
	ended string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.ended = "failed: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeT) Skip(args ...any) {
	f.ended = "skipped: " + fmt.Sprint(args...)
	runtime.Goexit()
}

func TestTool(t *testing.T) {
	tool := func(name string) (path, ended string) {
		f := &fakeT{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			path = Tool(f, name, "how to install it")
		}()
		<-done
		return path, f.ended
	}
	const missing = "wharf-no-such-program"
	t.Run("present", func(t *testing.T) {
		if path, ended := tool("sh"); path == "" || ended != "" {
			t.Errorf("sh: path %q, ended %q", path, ended)
		}
	})
	t.Run("missing", func(t *testing.T) {
		t.Setenv("CI", "")
		if _, ended := tool(missing); ended != "skipped: "+missing+" not installed (how to install it)" {
			t.Errorf("without CI: %q, want skipped", ended)
		}
	})
	t.Run("missing on CI", func(t *testing.T) {
		t.Setenv("CI", "true")
		if _, ended := tool(missing); !strings.HasPrefix(ended, "failed: "+missing+" not installed") {
			t.Errorf("with CI=true: %q, want failed", ended)
		}
	})
}
