package netpoll

import (
	"encoding/binary"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Listener is a listening socket that belongs to someone else: a
// *net.TCPListener, which its owner may close at any time, and whose
// number the next socket opened then reuses. So a Listener touches the
// socket only through its syscall.RawConn's Control, which keeps the
// number valid while it runs and fails once the socket is closed; every
// method reports that failure. A closed listening socket leaves a Poller's
// set by itself, unless another descriptor (a graceful restart's dup)
// keeps its file open: then it stays, and a level-triggered registration
// would report its backlog forever, where a one-shot one reports it once.
type Listener struct {
	rc syscall.RawConn
	fd int

	// Accept's scratch, kept here so that accepting allocates nothing
	// (unix.Accept4 allocates the peer's address twice, and a closure
	// over locals would move them to the heap): the call Control runs,
	// made once, and what it leaves.
	accept func(fd uintptr)
	acc    struct {
		nfd   int
		errno syscall.Errno
		rsa   unix.RawSockaddrAny
		n     uint32 // rsa's length, in and out
	}
}

// NewListener returns the Listener of c's socket (a *net.TCPListener).
func NewListener(c syscall.Conn) (*Listener, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	l := &Listener{rc: rc, fd: -1}
	l.accept = l.accept4
	if err := rc.Control(func(fd uintptr) { l.fd = int(fd) }); err != nil {
		return nil, err
	}
	return l, nil
}

// FD returns the socket's number when NewListener was called: a name for
// it (a key, say), never to be used as a descriptor.
func (l *Listener) FD() int { return l.fd }

// Err returns nil while the socket is open, and the error that says it was
// closed once it is.
func (l *Listener) Err() error { return l.rc.Control(func(uintptr) {}) }

// Add adds the socket to p, reporting ev under key (see Poller.Add).
func (l *Listener) Add(p *Poller, ev Events, key uint64) error {
	return l.ctl(p, unix.EPOLL_CTL_ADD, ev, key)
}

// Modify changes the socket's registration with p, re-arming a one-shot
// one (see Poller.Modify).
func (l *Listener) Modify(p *Poller, ev Events, key uint64) error {
	return l.ctl(p, unix.EPOLL_CTL_MOD, ev, key)
}

// Delete removes the socket from p.
func (l *Listener) Delete(p *Poller) error {
	return l.ctl(p, unix.EPOLL_CTL_DEL, 0, 0)
}

func (l *Listener) ctl(p *Poller, op int, ev Events, key uint64) error {
	var err error
	if cerr := l.rc.Control(func(fd uintptr) { err = p.ctl(op, int(fd), ev, key) }); cerr != nil {
		return cerr
	}
	return err
}

// Accept accepts a connection without blocking: a non-blocking,
// close-on-exec socket and its peer's address. A connection aborted before
// it was accepted, or a signal, makes it try again. ErrAgain says the
// backlog is empty; unix.EMFILE, ENFILE, ENOBUFS and ENOMEM that the
// process or system is out of resources; another error that the socket
// was closed or failed.
//
// It uses scratch space of the Listener's: one goroutine at a time may
// call it (a selector, for the listeners it polls).
func (l *Listener) Accept() (int, netip.AddrPort, error) {
	for {
		if cerr := l.rc.Control(l.accept); cerr != nil {
			return -1, netip.AddrPort{}, cerr
		}
		switch e := l.acc.errno; e {
		case 0:
			return l.acc.nfd, l.peer(), nil
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EAGAIN:
			return -1, netip.AddrPort{}, ErrAgain
		default:
			return -1, netip.AddrPort{}, e
		}
	}
}

// accept4 is accept4(2) on the listening socket fd, into l.acc. A
// non-blocking socket's accept never waits, so it needs no word with the
// scheduler (RawSyscall).
func (l *Listener) accept4(fd uintptr) {
	a := &l.acc
	a.n = unix.SizeofSockaddrAny
	r, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, fd, uintptr(unsafe.Pointer(&a.rsa)), uintptr(unsafe.Pointer(&a.n)),
		unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	a.nfd, a.errno = int(r), e
}

// peer returns the address accept4 left in l.acc as a value: the caller
// need hold no net.Addr until someone asks for one. A v4-mapped IPv6 peer
// is given as IPv4, as net prints one.
func (l *Listener) peer() netip.AddrPort {
	rsa := &l.acc.rsa
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), port(sa.Port))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), port(sa.Port))
	}
	return netip.AddrPort{}
}

// port reads a sockaddr's port, kept in network byte order.
func port(p uint16) uint16 { return binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&p))[:]) }
