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

// A connection of Upgrade keeps its settings for its life: its Config and
// a pointer to the pools a Handler's connections share (nil for it), not
// pools of its own.
func TestSettingsSize(t *testing.T) {
	if n, c := unsafe.Sizeof(settings{}), unsafe.Sizeof(Config{}); n > c+8 {
		t.Errorf("settings is %d bytes, more than Config's %d and a pointer", n, c)
	}
}
