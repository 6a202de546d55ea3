package api

import (
	"testing"
	"unsafe"
)

// A WebSocket keeps its detached request for the connection's life: it
// stays in the 352-byte size class, one allocation with its head (the
// mapping's context path, pattern and kind are its Route's, shared). A
// field added to Request or RequestHead past it costs every open
// WebSocket 32 bytes more.
func TestDetachedSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(detached{}); n > 352 {
		t.Errorf("a detached request is %d bytes, more than the 352 of its size class", n)
	}
}
