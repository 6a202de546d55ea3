package sse

import (
	"testing"
	"unsafe"
)

// A stream, which an idle subscriber keeps for hours, stays in the
// 112-byte size class: what only its opening needs (the head and the
// replay) sits behind one pointer, dropped once written. A field added
// past it costs every idle stream 16 bytes more.
func TestStreamSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(stream{}); n > 112 {
		t.Errorf("stream is %d bytes, more than the 112 of its size class", n)
	}
}
