package websocket

import (
	"testing"
	"unsafe"
)

// A Conn lives as long as its connection, hours for a quiet one, so it
// stays in the 416-byte size class. A field added past it costs every
// open WebSocket 32 bytes more: make room first, or move this bound on
// purpose (docs/benchmarks.md accounts for it).
func TestConnSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 416 {
		t.Errorf("Conn is %d bytes, more than the 416 of its size class", n)
	}
}
