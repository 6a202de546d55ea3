package dispatcher

import (
	"log/slog"
	"runtime/debug"
	"testing"
)

// growBy needs about n bytes of stack below its caller.
//
//go:noinline
func growBy(n int) byte {
	if n <= 0 {
		return 0
	}
	var b [256]byte
	b[n%len(b)] = byte(n)
	return b[(n*7)%len(b)] + growBy(n-len(b))
}

// The gauge counts only what a task does to its worker's stack: a stack
// that grew on the worker's own way before the task (as the bounded
// worker's select on its idle timer may grow it) does not make the
// executor's tasks deep, as stackGauge's doc says.
func TestStackGaugeCountsOnlyTheTask(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // a collection may shrink a stack and move it
	grew, deep := make(chan bool), make(chan bool)
	go func() {
		before := frameAddr()
		growBy(4096) // outside the task
		grew <- frameAddr() != before
		var g stackGauge
		var room uintptr
		g.run(slog.New(slog.DiscardHandler), func() {}, &room)
		deep <- g.deep.Load()
	}()
	if !<-grew {
		<-deep
		t.Skip("goroutines start with room for the growth already")
	}
	if <-deep {
		t.Error("growth before the task made the executor's tasks deep")
	}
}
