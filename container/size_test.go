package container

import (
	"testing"
	"unsafe"
)

// The per-request state a waiting request keeps, its initial request
// inside (one allocation for both), stays in its size class: 512 bytes,
// the largest a struct with pointers fills without the allocator's 8-byte
// header (one more byte takes it to the 576-byte class). What most
// requests never use is kept elsewhere: the body form's state is made
// when a Request first asks for it; the engine's listeners, blocking
// Await and Done channel sit behind one pointer, made at first use, and
// its queue keeps one entry inline; the first three tasks' and the
// finishing phase's Responses are the engine itself under fixed tokens;
// the request context's done channel is made when asked for, in one
// word; a request's place in the handler queue is made when it must wait;
// the finished response's status and bytes are the output's (the engine
// asks the Channel for them); the output's buffer size and pool are the
// container's; the request's context path, pattern and kind are its
// route's (api.Route), shared by every request the route maps. A field
// added past it costs every waiting request 64 bytes more: make room
// first, or move this bound on purpose (docs/benchmarks.md accounts for
// it).
func TestExchangeSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(exchange{}); n > 512 {
		t.Errorf("exchange is %d bytes, more than the 512 of its size class", n)
	}
}
