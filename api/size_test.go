package api

import (
	"testing"
	"unsafe"
)

// A WebSocket keeps its detached request for the connection's life: it
// stays in the 320-byte size class, one allocation with its head (the
// mapping's context path, pattern and kind are its Route's, the
// connection's addresses and TLS state its ConnInfo, both shared). A
// field added to Request or RequestHead past it costs every open
// WebSocket 32 bytes more.
func TestDetachedSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(detached{}); n > 320 {
		t.Errorf("a detached request is %d bytes, more than the 320 of its size class", n)
	}
}
