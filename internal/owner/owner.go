// Package owner asserts which goroutine owns a piece of state, the way
// x/net/http2's serverConn checks its serve goroutine. The checks are active
// only in test binaries (testing.Testing), where a violation panics at the
// moment code runs on the wrong goroutine; in production they cost one
// branch.
//
// It imports only the standard library.
package owner

import (
	"bytes"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
)

// enabled is fixed for the life of the process: true in test binaries.
var enabled = testing.Testing()

// Enabled reports whether ownership checks are active.
func Enabled() bool { return enabled }

// Goroutine records the goroutine that currently owns some state. The zero
// value is unowned.
type Goroutine struct {
	id atomic.Uint64
}

// Acquire makes the calling goroutine the owner. It panics if another
// goroutine owns it: two owners at once is the bug these checks exist for.
func (g *Goroutine) Acquire() {
	if !enabled {
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
	if !enabled {
		return
	}
	g.Check()
	g.id.Store(0)
}

// Check panics unless the calling goroutine is the owner.
func (g *Goroutine) Check() {
	if !enabled {
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
	if !enabled {
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
