package netpoll

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Events is a set of readiness conditions, or of registration flags: epoll's
// bits.
type Events uint32

// The conditions an Event reports and a registration asks for, and the
// registration flags.
const (
	Readable   Events = unix.EPOLLIN
	Priority   Events = unix.EPOLLPRI // urgent data (also readable)
	Writable   Events = unix.EPOLLOUT
	PeerClosed Events = unix.EPOLLRDHUP // the peer shut its side down: reads will end
	Hangup     Events = unix.EPOLLHUP   // reported whether asked for or not
	Error      Events = unix.EPOLLERR   // reported whether asked for or not

	EdgeTriggered Events = unix.EPOLLET      // report a condition once when it arises, not while it holds
	OneShot       Events = unix.EPOLLONESHOT // report once, then nothing until Modify
)

// Event is one ready descriptor, as Wait reports it.
type Event struct{ ev unix.EpollEvent }

// Events returns the conditions that hold.
func (e *Event) Events() Events { return Events(e.ev.Events) }

// Key returns the key the descriptor was added (or last modified) with.
func (e *Event) Key() uint64 { return uint64(uint32(e.ev.Fd)) | uint64(uint32(e.ev.Pad))<<32 }

// eventFor is the registration of events with key.
func eventFor(ev Events, key uint64) unix.EpollEvent {
	return unix.EpollEvent{Events: uint32(ev), Fd: int32(uint32(key)), Pad: int32(uint32(key >> 32))}
}

// wakeKey is the key of the Poller's eventfd, which no caller may use.
const wakeKey = ^uint64(0)

// Sentinel errors of package netpoll, the Poller's and the Conn's.
var (
	// ErrClosed is returned by a Poller's methods after Close.
	ErrClosed = net.ErrClosed
	// ErrReservedKey is returned for the one key a Poller keeps for itself.
	ErrReservedKey = errors.New("netpoll: key ^uint64(0) is reserved")
	// ErrWouldPark is what I/O on a Conn with NoPark set returns when it
	// would have to wait.
	ErrWouldPark = errors.New("netpoll: I/O would park a goroutine that must not")
)

// Poller is an epoll instance and the eventfd that wakes whoever waits on
// it. Add, Modify, Delete and Wake may be called from any goroutine; Wait
// from one goroutine at a time.
type Poller struct {
	epfd int
	file *os.File // epfd, registered with the Go runtime's poller
	rc   syscall.RawConn

	// mu orders Close after Wake, Add, Modify and Delete, which share it:
	// the eventfd's and the epoll descriptor's numbers, which may be
	// reused as soon as they are closed, are never used after.
	mu     sync.RWMutex
	wake   int // eventfd
	closed bool

	// Wait's state, for look (made once, so that Wait allocates nothing).
	lookFn func(uintptr) bool
	buf    []Event
	n      int
	err    error
}

// New creates a Poller.
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	p := &Poller{epfd: epfd, wake: wfd}
	ev := eventFor(Readable, wakeKey)
	err = unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &ev)
	// An epoll descriptor is itself pollable: readable when events are
	// ready. Handing it to the Go runtime's poller lets Wait park like any
	// goroutine instead of sitting in epoll_wait holding its P — with
	// GOMAXPROCS=1 a blocking epoll_wait would starve every other goroutine
	// until the runtime's monitor took the P back (milliseconds).
	if err == nil {
		err = unix.SetNonblock(epfd, true)
	}
	if err == nil {
		p.file = os.NewFile(uintptr(epfd), "netpoll-epoll")
		if p.rc, err = p.file.SyscallConn(); err != nil {
			p.file.Close()
			unix.Close(wfd)
			return nil, err
		}
	}
	if err != nil {
		unix.Close(wfd)
		unix.Close(epfd)
		return nil, err
	}
	p.lookFn = p.look
	return p, nil
}

// Add adds fd, reporting ev (with its flags) under key.
func (p *Poller) Add(fd int, ev Events, key uint64) error {
	return p.ctl(unix.EPOLL_CTL_ADD, fd, ev, key)
}

// Modify changes what fd reports, and under which key; it re-arms a
// one-shot registration.
func (p *Poller) Modify(fd int, ev Events, key uint64) error {
	return p.ctl(unix.EPOLL_CTL_MOD, fd, ev, key)
}

// Delete removes fd. Closing a descriptor removes it too, unless another
// descriptor (a dup) still refers to its file.
func (p *Poller) Delete(fd int) error {
	return p.ctl(unix.EPOLL_CTL_DEL, fd, 0, 0)
}

func (p *Poller) ctl(op, fd int, ev Events, key uint64) error {
	if key == wakeKey && op != unix.EPOLL_CTL_DEL {
		return ErrReservedKey
	}
	e := eventFor(ev, key)
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	return unix.EpollCtl(p.epfd, op, fd, &e)
}

// Wait fills events with ready events and returns how many, waiting until
// there is one or Wake is called: it may return 0 after a Wake. Its
// goroutine parks in the Go runtime's poller while nothing is ready; no
// thread blocks. It fails once the Poller is closed.
func (p *Poller) Wait(events []Event) (int, error) {
	if len(events) == 0 {
		return 0, errors.New("netpoll: Wait with no room for events")
	}
	p.buf, p.n, p.err = events, 0, nil
	err := p.rc.Read(p.lookFn)
	p.buf = nil
	if err == nil {
		err = p.err
	}
	if err != nil {
		return 0, err
	}
	n := p.n
	for i := 0; i < n; i++ {
		if events[i].Key() == wakeKey {
			var b [8]byte
			unix.Read(p.wake, b[:])
			copy(events[i:n], events[i+1:n])
			n--
			i--
		}
	}
	return n, nil
}

// look is the runtime poller's callback for Wait: it takes the ready events
// without blocking (epoll_pwait with a zero timeout), and reports whether
// it is done — else the goroutine parks until the epoll descriptor is
// readable, and look runs again.
func (p *Poller) look(fd uintptr) bool {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, fd, uintptr(unsafe.Pointer(&p.buf[0].ev)), uintptr(len(p.buf)), 0, 0, 0)
	if e != 0 {
		p.n, p.err = 0, errnoErr(e)
		return e != unix.EINTR
	}
	p.n, p.err = int(n), nil
	return n > 0
}

// Wake makes a Wait under way, or the next one, return.
func (p *Poller) Wake() error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	one := [8]byte{1}
	_, err := unix.Write(p.wake, one[:])
	if err == unix.EAGAIN {
		return nil // the counter is full: a wake-up is pending anyway
	}
	return err
}

// Close closes the epoll instance and its eventfd; a Wait under way fails,
// and Add, Modify and Delete fail with ErrClosed from now on, never
// reaching a reused descriptor number. The descriptors added to it stay
// open.
func (p *Poller) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.closed = true
	err := p.file.Close()
	unix.Close(p.wake)
	return err
}
