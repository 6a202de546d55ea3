package connector

import (
	"testing"
	"unsafe"
)

// The HTTP/1.1 stream a waiting request keeps stays in its size class,
// 352 bytes (under 512 bytes, no header): its head points at the
// connection's addresses and TLS state (api.ConnInfo) rather than
// copying them, what reading a body takes is
// allocated apart, for a request that has one (bodyRead, with the lock
// that orders a 100 Continue), the instant a write began waiting is kept
// on the connection's clock (8 bytes, not a time.Time's 24), the body
// reaches its stream as a view of it (reqBody) rather than through a
// pointer, and the response's data rate limits are the server's, not
// copied into each stream. A field added past it costs every waiting
// request 32 bytes more: make room first, or move this bound on purpose
// (docs/benchmarks.md accounts for it).
func TestStreamSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(stream{}); n > 352 {
		t.Errorf("stream is %d bytes, more than the 352 of its size class", n)
	}
}

// A connection fits the 176-byte size class (under 512 bytes, no
// header): every open connection keeps one, and a field added past it
// costs each 16 bytes more. Its writes' vectors live on the stack, the
// head parser's scratch in a local, a discarded body's deadline with the
// body, its read buffer's offsets take 32 bits each, and its addresses
// and TLS state are an api.ConnInfo of their own, which its requests
// share.
func TestConnSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(conn{}); n > 176 {
		t.Errorf("conn is %d bytes, more than the 176 of its size class", n)
	}
}
