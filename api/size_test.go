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

// A connection's ConnInfo is one allocation that every open connection
// keeps: it stays in the 48-byte size class (issue 17 counts each byte
// of a suspended request's connection). A string field past it would
// make it 64.
func TestConnInfoSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(ConnInfo{}); n > 48 {
		t.Errorf("ConnInfo is %d bytes, more than the 48 of its size class", n)
	}
}
