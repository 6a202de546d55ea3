package wharftest

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Poll polls cond until it holds, for up to Patience, and reports whether
// it did: WaitFor for a test that says itself what did not come, with the
// state it then saw.
func Poll(cond func() bool) bool {
	deadline := time.Now().Add(Patience)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// OpenFiles returns what each of the process's open file descriptors is
// open on (its link in /proc/self/fd), so that a test can tell which it
// left open rather than only how many. It skips t where there is no
// /proc/self/fd.
func OpenFiles(t testing.TB) map[string]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	fds := make(map[string]string, len(ents))
	for _, e := range ents {
		// The descriptor ReadDir read with is closed by now.
		if to, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil {
			fds[e.Name()] = to
		}
	}
	return fds
}

// idleWorker is the function atop the stack of an executor's idle worker.
const idleWorker = "github.com/wharf-go/wharf/dispatcher.(*UnboundedExecutor).work("

// BusyGoroutines returns the stacks of the process's goroutines but the
// idle workers of the executors, which wait out their idle timeout and are
// no leak. A test counts them rather than name them (goleak's
// IgnoreCurrent): a selector's production moves from goroutine to
// goroutine, so a server at rest runs as many as before, not the same.
func BusyGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var busy []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if lines := strings.SplitN(g, "\n", 3); len(lines) > 1 && strings.HasPrefix(lines[1], idleWorker) {
			continue
		}
		busy = append(busy, g)
	}
	return busy
}
