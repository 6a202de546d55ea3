//go:build unix

package websocket

import "syscall"

// directWrites says Send may write an idle connection's message itself
// (see Conn.direct).
const directWrites = true

// writeFD is one non-blocking write(2) on the socket.
func writeFD(fd uintptr, p []byte) (int, error) { return syscall.Write(int(fd), p) }
