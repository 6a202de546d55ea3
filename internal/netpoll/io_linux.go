package netpoll

import (
	"net"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The system calls on the hot paths (Read, Writev, and the look at the
// ready list in Wait) go through RawSyscall: on non-blocking descriptors
// they return at once, so there is nothing for the Go scheduler to do
// around them. Through Syscall each would mark its P as in a system call;
// the runtime's monitor, seeing Ps enter and leave system calls all the
// time, then wakes every few tens of microseconds and takes Ps back from
// calls that were about to return — on a server with one core, a context
// switch each time. (net's sockets avoid none of this; a server doing
// nothing but non-blocking I/O on its own poller can.)

// ErrAgain is what I/O on a non-blocking descriptor returns when it is not
// ready: unix.EAGAIN itself, so errors.Is(err, unix.EAGAIN) holds too.
var ErrAgain error = unix.EAGAIN

// errnoErr returns the common errors as shared values, so that callers can
// compare with ErrAgain and unix's errors, and nothing is allocated.
func errnoErr(e unix.Errno) error {
	switch e {
	case unix.EAGAIN:
		return ErrAgain
	case unix.EINTR:
		return unix.EINTR
	}
	return e
}

// Read is read(2) on a non-blocking descriptor, retried when a signal
// interrupts it: n > 0 with a nil error, 0 and nil at end of file, or
// ErrAgain when there is nothing to read now.
func Read(fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(ptr), uintptr(len(p)))
		if e == 0 {
			return int(n), nil
		}
		if e != unix.EINTR {
			return 0, errnoErr(e)
		}
	}
}

// MaxIov is how many buffers Writev passes to the kernel at once.
const MaxIov = 8

// Writev is writev(2) on a non-blocking descriptor, retried when a signal
// interrupts it. It writes from the first MaxIov non-empty buffers of bufs
// (the rest are for the next call; see Consume) and returns how many bytes
// went: 0 and nil if every buffer is empty, ErrAgain when the socket buffer
// is full.
func Writev(fd int, bufs [][]byte) (int, error) {
	var iov [MaxIov]unix.Iovec
	n := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		if n == MaxIov {
			break
		}
		iov[n].Base = &b[0]
		iov[n].SetLen(len(b))
		n++
	}
	if n == 0 {
		return 0, nil
	}
	for {
		w, _, e := unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(n))
		if e == 0 {
			return int(w), nil
		}
		if e != unix.EINTR {
			return 0, errnoErr(e)
		}
	}
}

// Sendfile is sendfile(2) from file to the non-blocking socket fd, retried
// when a signal interrupts it: up to n bytes of file from *off, which it
// advances by what went; ErrAgain when the socket buffer is full. It goes
// through Syscall, not RawSyscall: reading the file may wait for the disk,
// and the scheduler should run other goroutines meanwhile.
func Sendfile(fd, file int, off *int64, n int) (int, error) {
	for {
		w, err := unix.Sendfile(fd, file, off, n)
		if err == nil {
			return w, nil
		}
		if e, ok := err.(unix.Errno); ok {
			if e == unix.EINTR {
				continue
			}
			return 0, errnoErr(e)
		}
		return 0, err
	}
}

// Consume drops the first n bytes of bufs, n being what Writev wrote, and
// the empty buffers before the first byte left; it returns what is left to
// write (none: empty). The first buffer left may be resliced in place.
func Consume(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && (n > 0 || len(bufs[0]) == 0) {
		if n < len(bufs[0]) {
			bufs[0] = bufs[0][n:]
			return bufs
		}
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	return bufs
}

// Shutdown shuts both directions of a socket down without closing its
// descriptor: I/O on it fails from now on, and whoever waits for it is
// woken by the event that follows.
func Shutdown(fd int) error { return unix.Shutdown(fd, unix.SHUT_RDWR) }

// CloseWrite shuts down the writing side of a socket: the peer reads the
// end of the stream after what was written.
func CloseWrite(fd int) error { return unix.Shutdown(fd, unix.SHUT_WR) }

// Close closes a descriptor; a Poller forgets it, if it was added to one
// and no other descriptor refers to its file.
func Close(fd int) error { return unix.Close(fd) }

// NetConn turns socket fd into a net.Conn of the Go runtime's own (for a
// hand-over to blocking code), taking fd over: fd is closed, whatever the
// result, and must no longer be in any Poller.
func NetConn(fd int) (net.Conn, error) {
	file := os.NewFile(uintptr(fd), "netpoll")
	defer file.Close()
	return net.FileConn(file) // dups the descriptor
}

// SetNoDelay turns Nagle's algorithm off on a TCP socket: small writes go
// out at once.
func SetNoDelay(fd int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
}
