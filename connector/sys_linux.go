package connector

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The system calls of the epoll connector go through RawSyscall: on
// non-blocking descriptors they return at once, so there is nothing for
// the Go scheduler to do around them. Through Syscall each would mark its P
// as in a system call; the runtime's monitor, seeing Ps enter and leave
// system calls all the time, then wakes every few tens of microseconds and
// takes Ps back from calls that were about to return — on a server with
// one core, a context switch each time. (net's sockets avoid none of this;
// a server doing nothing but non-blocking I/O on its own poller can.)

// rawRead is read(2) on a non-blocking descriptor.
func rawRead(fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(n), nil
}

// maxIov is how many buffers rawWritev passes at once; the rest go on the
// next call.
const maxIov = 8

// rawWritev is writev(2) on a non-blocking descriptor, for up to maxIov
// non-empty buffers.
func rawWritev(fd int, bufs [][]byte) (int, error) {
	var iov [maxIov]unix.Iovec
	n := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		if n == maxIov {
			break
		}
		iov[n].Base = &b[0]
		iov[n].SetLen(len(b))
		n++
	}
	if n == 0 {
		return 0, nil
	}
	w, _, e := unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(n))
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(w), nil
}

// rawEpollWait is epoll_pwait(2) with a zero timeout: it never blocks.
func rawEpollWait(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(n), nil
}

// errnoErr returns the common errors as the values unix uses, so callers
// can compare with unix.EAGAIN and friends.
func errnoErr(e unix.Errno) error {
	switch e {
	case unix.EAGAIN:
		return unix.EAGAIN
	case unix.EINTR:
		return unix.EINTR
	}
	return e
}
