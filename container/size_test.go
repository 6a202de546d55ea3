package container

import (
	"testing"
	"unsafe"
)

// The per-request state a waiting request keeps stays in its size class,
// 512 bytes. A field added past 512 costs every waiting request 64 bytes
// more (and, past 512, a struct with pointers carries an 8-byte header):
// make room first, or move this bound on purpose (docs/benchmarks.md
// accounts for it).
func TestExchangeSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(exchange{}); n > 512 {
		t.Errorf("exchange is %d bytes, more than the 512 of its size class", n)
	}
}
