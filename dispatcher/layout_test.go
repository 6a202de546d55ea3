package dispatcher

import (
	"testing"
	"unsafe"
)

// Each executor's stack gauge shares a word with drained, in what was
// padding before stopped, so that no field an executor's submitters and
// workers touch all the time moved when it came: moving them made
// BenchmarkExecute/unbounded 14% slower.
func TestStackGaugeInPadding(t *testing.T) {
	var u UnboundedExecutor
	var b BoundedExecutor
	for _, tt := range []struct {
		name                  string
		drained, stack, after uintptr
	}{
		{"unbounded", unsafe.Offsetof(u.drained), unsafe.Offsetof(u.stack), unsafe.Offsetof(u.stopped)},
		{"bounded", unsafe.Offsetof(b.drained), unsafe.Offsetof(b.stack), unsafe.Offsetof(b.stopped)},
	} {
		if tt.stack != tt.drained+unsafe.Sizeof(u.drained) || tt.after != tt.drained+8 {
			t.Errorf("%s: drained at %d, the gauge at %d, stopped at %d: the gauge is not in drained's word", tt.name, tt.drained, tt.stack, tt.after)
		}
	}
}
