package connector

import (
	"testing"
	"unsafe"
)

// The epoll side of a connection, its two timers inside it, fits the
// 288-byte size class (under 512 bytes, no header).
func TestFdConnSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(fdConn{}); n > 288 {
		t.Errorf("fdConn is %d bytes, more than the 288 of its size class", n)
	}
}

// A Tunnel (an open WebSocket's connection, say) fits 64 bytes.
func TestTunnelSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(fdTunnel{}); n > 64 {
		t.Errorf("fdTunnel is %d bytes, more than the 64 of its size class", n)
	}
}
