package connector

import (
	"testing"
	"unsafe"
)

// The epoll side of a connection, its one timer inside it (the idle and
// header timeout, or a write wait's), fits the 208-byte size class
// (under 512 bytes, no header): the listener's address is shared, and
// whether a goroutine is parked on the socket shares the readiness
// flags' word.
func TestFdConnSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(fdConn{}); n > 208 {
		t.Errorf("fdConn is %d bytes, more than the 208 of its size class", n)
	}
}

// A Tunnel (an open WebSocket's connection, say) fits 48 bytes.
func TestTunnelSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(fdTunnel{}); n > 48 {
		t.Errorf("fdTunnel is %d bytes, more than the 48 of its size class", n)
	}
}
