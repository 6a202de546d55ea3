package connector

import (
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wharf-go/wharf/dispatcher"
)

var ioEOF = io.EOF

// selector is one epoll instance and the goroutine that waits on it. It
// polls the listening sockets given to it and the connections registered
// with it (an accepted one goes to any selector, nextSelector); its goroutine waits for nothing but its epoll descriptor (and short
// critical sections).
type selector struct {
	srv  *Server
	epfd int
	file *os.File // epfd, registered with the Go runtime's poller
	wake int      // eventfd to interrupt the wait on shutdown

	mu    sync.Mutex
	conns []*fdConn // by descriptor number: denser than a map
	lns   map[int32]*epListener
	gen   int32

	stopped atomic.Bool
	done    chan struct{}

	// Producer state: touched only by the goroutine producing now.
	strategy  *dispatcher.Strategy
	rc        syscall.RawConn
	waitFn    func(uintptr) bool
	events    []unix.EpollEvent
	i, n      int
	werr      error
	cleanOnce sync.Once
}

// epListener is a listening socket accepted from by a selector.
type epListener struct {
	sel   *selector // whose poll set holds it
	rc    syscall.RawConn
	fd    int // its number when added: a key, never used as a descriptor
	ln    net.Listener
	local string     // ln's address, shared by the connections accepted
	err   chan error // Serve returns what arrives here
}

func newSelector(srv *Server) (*selector, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	s := &selector{srv: srv, epfd: epfd, wake: wfd, lns: make(map[int32]*epListener), done: make(chan struct{})}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wfd)}); err != nil {
		unix.Close(wfd)
		unix.Close(epfd)
		return nil, err
	}
	// An epoll descriptor is itself pollable: readable when events are
	// ready. Handing it to the Go runtime's poller lets the selector park
	// like any goroutine instead of sitting in epoll_wait holding its P —
	// with GOMAXPROCS=1 a blocking epoll_wait would starve every other
	// goroutine until sysmon took the P back (milliseconds).
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(wfd)
		unix.Close(epfd)
		return nil, err
	}
	s.file = os.NewFile(uintptr(epfd), "wharf-epoll")
	return s, nil
}

// A listener's socket belongs to its net.Listener, which its owner may
// close at any time, and whose number the next socket then reuses. So the
// selector touches it only inside l.rc.Control (which keeps the number
// valid, or fails once it is closed), and its events carry generation 0,
// which no connection's do: a connection that reuses a closed listener's
// number is never taken for it. The registration is one-shot, re-armed by
// accept once the backlog is empty: a closed listener whose socket lives
// on in another descriptor (a graceful restart's copy) stays in the poll
// set, where a level-triggered registration would wake the selector in a
// loop; a one-shot one fires once, and nobody re-arms it.

// addListener makes the selector accept on ln's socket.
func (s *selector) addListener(l *epListener) error {
	l.sel = s
	s.mu.Lock()
	s.lns[int32(l.fd)] = l
	s.mu.Unlock()
	return l.ctl(unix.EPOLL_CTL_ADD, listenerEvents)
}

// listenerEvents is a listener's registration: see above.
const listenerEvents = unix.EPOLLIN | unix.EPOLLONESHOT

// rearm asks for the listener's next event.
func (l *epListener) rearm() { l.ctl(unix.EPOLL_CTL_MOD, listenerEvents) }

func (s *selector) removeListener(l *epListener) {
	s.mu.Lock()
	if s.lns[int32(l.fd)] == l {
		delete(s.lns, int32(l.fd))
	}
	s.mu.Unlock()
	l.ctl(unix.EPOLL_CTL_DEL, 0) // a closed socket has left the epoll set already
}

// ctl is epoll_ctl on the listener's socket while it is open.
func (l *epListener) ctl(op int, events uint32) error {
	var err error
	if cerr := l.rc.Control(func(fd uintptr) {
		err = unix.EpollCtl(l.sel.epfd, op, int(fd), &unix.EpollEvent{Events: events, Fd: int32(fd)})
	}); cerr != nil {
		return cerr
	}
	return err
}

// pause stops the selector from polling l: at the connection limit, a
// level-triggered listener would otherwise wake it again at once.
func (l *epListener) pause() { l.ctl(unix.EPOLL_CTL_MOD, 0) }

// resume polls l again; a connection waiting in its backlog wakes the
// selector at once.
func (l *epListener) resume() { l.rearm() }

func (l *epListener) listener() net.Listener { return l.ln }

// register adds an accepted socket, edge-triggered for every event it will
// ever need, so no epoll_ctl is needed again until it closes.
func (s *selector) register(f *fdConn) error {
	s.mu.Lock()
	s.gen++
	if s.gen <= 0 {
		s.gen = 1 // 0 marks listeners' events
	}
	f.gen = s.gen
	if f.fd >= len(s.conns) {
		s.conns = append(s.conns, make([]*fdConn, f.fd+1-len(s.conns))...)
	}
	s.conns[f.fd] = f
	s.mu.Unlock()
	// The generation rides in the event so that an event still queued for
	// a closed connection is never applied to a new one with the same fd.
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(f.fd), Pad: f.gen}
	if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, f.fd, &ev); err != nil {
		s.remove(f)
		return err
	}
	return nil
}

func (s *selector) remove(f *fdConn) {
	s.mu.Lock()
	if f.fd < len(s.conns) && s.conns[f.fd] == f {
		s.conns[f.fd] = nil
	}
	s.mu.Unlock()
	unix.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, f.fd, nil)
}

func (s *selector) lookup(ev *unix.EpollEvent) (*fdConn, *epListener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ev.Pad == 0 {
		return nil, s.lns[ev.Fd]
	}
	if int(ev.Fd) < len(s.conns) {
		if f := s.conns[ev.Fd]; f != nil && f.gen == ev.Pad {
			return f, nil
		}
	}
	return nil, nil
}

// stop makes the loop return.
func (s *selector) stop() {
	if s.stopped.Swap(true) {
		return
	}
	var one = [8]byte{1}
	unix.Write(s.wake, one[:])
}

// loop starts production on the selector's first goroutine. Production
// moves between goroutines afterwards (the strategy hands it to a reserved
// goroutine when the producing one keeps a request to run), so loop may
// return long before the selector stops; the producer cleans up when it
// sees the stop.
func (s *selector) loop() {
	rc, err := s.file.SyscallConn()
	if err != nil {
		s.srv.Config.logger().Error("connector: epoll descriptor not pollable", "err", err)
		s.cleanup()
		return
	}
	s.rc = rc
	s.events = make([]unix.EpollEvent, 256)
	s.waitFn = s.harvest
	s.strategy.Produce()
}

// harvest is the poller callback: it takes the ready events without
// blocking, and reports whether there were any (else the goroutine parks in
// the Go runtime's poller until the epoll descriptor is readable).
func (s *selector) harvest(fd uintptr) bool {
	s.n, s.werr = rawEpollWait(int(fd), s.events)
	return s.n > 0 || (s.werr != nil && s.werr != unix.EINTR)
}

// Produce implements dispatcher.Producer: it handles I/O events inline —
// accepting, reading request heads (non-blocking work done here on a hot
// cache), waking parked goroutines, noticing hang-ups of suspended requests
// — and returns a Task for each request ready to run. When no event is
// ready it parks until one is. It returns false only once the selector
// stops, after releasing the epoll descriptor.
func (s *selector) Produce() (dispatcher.Task, bool) {
	for {
		for s.i < s.n {
			ev := &s.events[s.i]
			s.i++
			if int(ev.Fd) == s.wake {
				var buf [8]byte
				unix.Read(s.wake, buf[:])
				continue
			}
			if t, ok := s.handle(ev); ok {
				return t, true
			}
		}
		if s.stopped.Load() {
			s.cleanup()
			return dispatcher.Task{}, false
		}
		s.i, s.n = 0, 0
		if err := s.rc.Read(s.waitFn); err != nil || (s.werr != nil && s.werr != unix.EINTR) {
			if !s.stopped.Load() {
				s.srv.Config.logger().Error("connector: waiting for epoll failed", "err", err, "epoll_wait", s.werr)
			}
			s.cleanup()
			return dispatcher.Task{}, false
		}
		if s.werr == unix.EINTR {
			s.n = 0
		}
	}
}

// handle applies one event: it accepts, wakes waiters, or reads a request
// head and returns the task that serves it. A panic (a bug, or a watcher or
// read listener that panicked) closes the connection concerned and is
// logged; the selector goes on serving the others.
func (s *selector) handle(ev *unix.EpollEvent) (t dispatcher.Task, ok bool) {
	f, l := s.lookup(ev)
	owned := false // the connection is this goroutine's: it reads a head
	defer func() {
		if p := recover(); p != nil {
			s.srv.Config.logger().Error("connector: panic handling an I/O event", "panic", p, "stack", string(debug.Stack()))
			switch {
			case owned:
				f.c.close()
			case f != nil:
				f.breakConn() // its owner closes it
			}
			t, ok = dispatcher.Task{}, false
		}
	}()
	switch {
	case l != nil:
		s.accept(l)
	case f != nil:
		if f.event(ev.Events) {
			owned = true
			return f.c.readHeadNB()
		}
	}
	return dispatcher.Task{}, false
}

// cleanup releases the selector's descriptors once.
func (s *selector) cleanup() {
	s.cleanOnce.Do(func() {
		s.file.Close()
		unix.Close(s.wake)
		close(s.done)
	})
}

// accept takes every pending connection from l.
func (s *selector) accept(l *epListener) {
	// A reservation not yet turned into a connection or given back; a
	// panic (recovered by handle) must not keep it.
	held, accepted := false, -1
	var listed *conn
	defer func() {
		if p := recover(); p != nil {
			l.rearm()      // or the listener would never wake the selector again
			defer panic(p) // on to handle, which logs it
		}
		switch {
		case listed != nil:
			listed.close() // counted already: closing takes it out
		case held:
			if accepted >= 0 {
				unix.Close(accepted)
			}
			s.srv.unreserveConn()
		}
	}()
	for {
		if !s.srv.reserveConn(l) {
			return // paused until a connection closes
		}
		held = true
		var nfd int
		var sa unix.Sockaddr
		var err error
		if cerr := l.rc.Control(func(fd uintptr) {
			nfd, sa, err = unix.Accept4(int(fd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		}); cerr != nil {
			err = cerr // its owner closed the listener
		}
		if err != nil {
			held = false
			s.srv.unreserveConn()
			switch err {
			case unix.EAGAIN:
				l.rearm() // the backlog is empty: wake on the next connection
				return
			case unix.EINTR, unix.ECONNABORTED:
				continue
			case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
				// Out of resources: try again shortly, not in a loop.
				s.srv.Config.logger().Warn("connector: accept failed; retrying", "err", err)
				time.AfterFunc(acceptRetry, l.rearm)
				return
			}
			if !s.srv.shutting.Load() {
				select {
				case l.err <- err:
				default:
				}
			}
			return
		}
		accepted = nfd
		unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		sel := s.srv.nextSelector() // accepted here, served by any selector
		f := &fdConn{fd: nfd, sel: sel, local: l.ln.Addr(), remote: sockaddrToAddrPort(sa)}
		c := newEpollConn(s.srv, f, l.local)
		held, accepted = false, -1
		if !s.srv.addConn(c, true) {
			unix.Close(nfd)
			continue
		}
		listed = c
		s.srv.accepted.Add(1)
		if err := sel.register(f); err != nil {
			listed = nil
			c.close()
			continue
		}
		if h := s.srv.Config.testBeforeReady; h != nil {
			h()
		}
		f.mu.Lock()
		c.fire(evReady) // refused if the selector took it already
		f.armIdleLocked()
		f.mu.Unlock()
		listed = nil
		// A Shutdown or Close that came while the connection was New could
		// not claim it: look again now that it is idle, as toIdle does, or
		// it would stay open until its idle timer.
		if s.srv.shutting.Load() && c.claim() {
			c.close()
		}
	}
}

// acceptRetry is how long accept waits after running out of descriptors
// or memory before it tries again.
const acceptRetry = 100 * time.Millisecond

// sockaddrToAddrPort keeps a peer's address as a value: a connection holds
// no net.Addr until someone asks for one.
func sockaddrToAddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(a.Port)) // as net prints a v4-mapped peer
	}
	return netip.AddrPort{}
}

// defaultSelectors is Jetty's rule: half the cores, at least one.
func defaultSelectors() int { return max(1, runtime.GOMAXPROCS(0)/2) }

func (s *selector) strategyStats() dispatcher.StrategyStats { return s.strategy.Stats() }
