// Package owner asserts which goroutine owns a piece of state, the way
// x/net/http2's serverConn checks its serve goroutine. The checks are active
// only in test binaries (testing.Testing) that run no benchmarks, where a
// violation panics at the moment code runs on the wrong goroutine; in
// production they cost one atomic load.
//
// It imports only the standard library.
package owner

import (
	"bytes"
	"flag"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// enabled is decided once, at the first check: true in test binaries,
// except when they run benchmarks (the checks parse stacks, which would
// swamp what a benchmark measures).
var (
	enabled     bool
	enabledOnce sync.Once
)

func decide() {
	enabled = testing.Testing()
	if f := flag.Lookup("test.bench"); enabled && f != nil && f.Value.String() != "" {
		enabled = false
	}
}

// Enabled reports whether ownership checks are active.
func Enabled() bool {
	enabledOnce.Do(decide)
	return enabled
}

// Goroutine records the goroutine that currently owns some state. The zero
// value is unowned.
type Goroutine struct {
	id atomic.Uint64
}

// Acquire makes the calling goroutine the owner. It panics if another
// goroutine owns it: two owners at once is the bug these checks exist for.
func (g *Goroutine) Acquire() {
	if !Enabled() {
		return
	}
	id := current()
	if !g.id.CompareAndSwap(0, id) {
		panic("owner: acquired by goroutine " + strconv.FormatUint(id, 10) +
			" while owned by goroutine " + strconv.FormatUint(g.id.Load(), 10))
	}
}

// Release gives up ownership. It panics if the caller is not the owner.
func (g *Goroutine) Release() {
	if !Enabled() {
		return
	}
	g.Check()
	g.id.Store(0)
}

// Check panics unless the calling goroutine is the owner.
func (g *Goroutine) Check() {
	if !Enabled() {
		return
	}
	if id, want := current(), g.id.Load(); id != want {
		panic("owner: running on goroutine " + strconv.FormatUint(id, 10) +
			", owned by goroutine " + strconv.FormatUint(want, 10))
	}
}

// Owned reports whether the calling goroutine is the owner. It is always
// true when checks are disabled.
func (g *Goroutine) Owned() bool {
	if !Enabled() {
		return true
	}
	return g.id.Load() == current()
}

var goroutinePrefix = []byte("goroutine ")

// current parses the goroutine id from the stack header; slow, test-only.
func current() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, goroutinePrefix)
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		panic("owner: cannot parse goroutine id: " + err.Error())
	}
	return id
}
