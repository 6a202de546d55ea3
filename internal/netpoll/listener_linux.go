package netpoll

import (
	"net/netip"
	"syscall"

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
}

// NewListener returns the Listener of c's socket (a *net.TCPListener).
func NewListener(c syscall.Conn) (*Listener, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	l := &Listener{rc: rc, fd: -1}
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
func (l *Listener) Accept() (int, netip.AddrPort, error) {
	for {
		var nfd int
		var sa unix.Sockaddr
		var err error
		if cerr := l.rc.Control(func(fd uintptr) {
			nfd, sa, err = unix.Accept4(int(fd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		}); cerr != nil {
			return -1, netip.AddrPort{}, cerr
		}
		switch err {
		case nil:
			return nfd, addrPort(sa), nil
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EAGAIN:
			return -1, netip.AddrPort{}, ErrAgain
		}
		return -1, netip.AddrPort{}, err
	}
}

// addrPort keeps a peer's address as a value: the caller need hold no
// net.Addr until someone asks for one.
func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(a.Port)) // as net prints a v4-mapped peer
	}
	return netip.AddrPort{}
}
