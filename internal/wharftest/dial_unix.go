//go:build !windows

package wharftest

import (
	"net"
	"syscall"
)

// SmallReceiveBuffer returns a Dialer whose sockets ask for a receive
// buffer of n bytes (the kernel doubles it), so that a client that reads
// slowly soon leaves the server waiting on a full socket, as one at the
// end of a slow network does, instead of the kernel taking the whole
// response off the server's hands.
func SmallReceiveBuffer(n int) *net.Dialer {
	return &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
		})
	}}
}
