package connector

import (
	"crypto/tls"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/netpoll"
	"github.com/wharf-go/wharf/internal/timerwheel"
)

var ioEOF = io.EOF

// selector is one epoll instance (a netpoll.Poller) and the goroutine that
// waits on it. It polls the listening sockets given to it and the
// connections registered with it (an accepted one goes to any selector,
// nextSelector); its goroutine waits for nothing but its poller (and short
// critical sections).
type selector struct {
	srv  *Server
	poll *netpoll.Poller

	conns netpoll.Table[fdConn]
	mu    sync.Mutex             // guards lns
	lns   map[uint64]*epListener // by key

	// The selector's timers: suspend timeouts of the requests on its
	// connections, their idle timeouts, the timers of its Tunnels'
	// owners (fdTunnel.TimerWheel). The timerfd wakes the producer,
	// which advances the wheel: timers fire on it, with no runtime timer
	// and no goroutine of their own. Once the selector stops, a runtime
	// timer drives the wheel instead.
	wheel    *timerwheel.Wheel
	tfd      *netpoll.Timer
	timerKey uint64

	stopped atomic.Bool
	done    chan struct{}

	// Producer state: touched only by the goroutine producing now.
	strategy  *dispatcher.Strategy
	events    []netpoll.Event
	i, n      int
	cleanOnce sync.Once

	// polled is when Wait returned events[:n]: the timers fire for what
	// was due then, after those events (see Produce). The producer's.
	polled time.Time
}

// epListener is a listening socket accepted from by a selector.
type epListener struct {
	*netpoll.Listener
	sel   *selector // whose poll set holds it
	ln    net.Listener
	addr  *net.TCPAddr // ln's address, shared by the connections accepted
	local string       // addr as text, shared the same way
	tls   *tls.Config  // the connections' TLS configuration; nil: cleartext
	err   chan error   // Serve returns what arrives here
}

func newSelector(srv *Server) (*selector, error) {
	p, err := netpoll.New()
	if err != nil {
		return nil, err
	}
	tfd, err := netpoll.NewTimer()
	if err != nil {
		p.Close()
		return nil, err
	}
	// Keyed by its number, as a listener is: below every key of conns.
	key := uint64(uint32(tfd.FD()))
	if err := p.Add(tfd.FD(), netpoll.Readable, key); err != nil {
		tfd.Close()
		p.Close()
		return nil, err
	}
	s := &selector{srv: srv, poll: p, lns: make(map[uint64]*epListener), done: make(chan struct{}), tfd: tfd, timerKey: key}
	s.wheel = timerwheel.New(s.armTimer)
	return s, nil
}

// armTimer is the wheel's driver: it sets the timerfd (under the wheel's
// lock, so never after cleanup handed the wheel over).
func (s *selector) armTimer(d time.Duration) {
	if err := s.tfd.Set(d); err != nil {
		s.srv.Config.logger().Error("connector: setting the selector's timer failed", "err", err)
	}
}

// A listener's key is its number, below the keys of s.conns: a connection
// that reuses the number of a listener its owner closed is never taken for
// it. Its registration is one-shot, re-armed by accept once the backlog is
// empty (see netpoll.Listener for why).
func (l *epListener) key() uint64 { return uint64(uint32(l.FD())) }

// addListener makes the selector accept on ln's socket.
func (s *selector) addListener(l *epListener) error {
	l.sel = s
	s.mu.Lock()
	s.lns[l.key()] = l
	s.mu.Unlock()
	if err := l.Add(s.poll, listenerEvents, l.key()); err != nil {
		s.mu.Lock()
		if s.lns[l.key()] == l { // no removeListener follows a failed add
			delete(s.lns, l.key())
		}
		s.mu.Unlock()
		return err
	}
	return nil
}

// listenerEvents is a listener's registration: see above.
const listenerEvents = netpoll.Readable | netpoll.OneShot

// rearm asks for the listener's next event.
func (l *epListener) rearm() { l.Modify(l.sel.poll, listenerEvents, l.key()) }

func (s *selector) removeListener(l *epListener) {
	s.mu.Lock()
	if s.lns[l.key()] == l {
		delete(s.lns, l.key())
	}
	s.mu.Unlock()
	l.Delete(s.poll) // a closed socket has left the epoll set already
	s.srv.connLimit().Forget(l)
}

// Pause implements connlimit.Pausable: it stops the selector from polling
// l, which at the connection limit would otherwise wake it again at once.
func (l *epListener) Pause() { l.Modify(l.sel.poll, 0, l.key()) }

// Resume implements connlimit.Pausable: it polls l again; a connection
// waiting in its backlog wakes the selector at once.
func (l *epListener) Resume() { l.rearm() }

// register adds an accepted socket, edge-triggered for every event it will
// ever need, so no epoll_ctl is needed again until it closes. Urgent data
// (Priority) is asked for only to be noticed: a read stops at its mark,
// which fdConn.fill must know.
func (s *selector) register(f *fdConn) error {
	key := s.conns.Put(f.FD, f) // an event still queued for a closed connection never finds f
	if err := s.poll.Add(f.FD, netpoll.Readable|netpoll.Priority|netpoll.Writable|netpoll.PeerClosed|netpoll.EdgeTriggered, key); err != nil {
		s.remove(f)
		return err
	}
	return nil
}

func (s *selector) remove(f *fdConn) {
	s.conns.Delete(f.FD, f)
	s.poll.Delete(f.FD)
}

func (s *selector) lookup(key uint64) (*fdConn, *epListener) {
	if f := s.conns.Get(key); f != nil {
		return f, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return nil, s.lns[key]
}

// stop makes the loop return.
func (s *selector) stop() {
	if !s.stopped.Swap(true) {
		s.poll.Wake()
	}
}

// loop starts production on the selector's first goroutine. Production
// moves between goroutines afterwards (the strategy hands it to a reserved
// goroutine when the producing one keeps a request to run), so loop may
// return long before the selector stops; the producer cleans up when it
// sees the stop.
func (s *selector) loop() {
	s.events = make([]netpoll.Event, 256)
	s.strategy.Produce()
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
			if ev.Key() == s.timerKey && s.i < s.n {
				// The timers go last: a selector back late from a long
				// batch finds its timerfd and sockets ready at once, and
				// a request that came before its connection's idle or
				// header timeout passed must be read before that timeout
				// fires, not dropped unread.
				s.i--
				s.events[s.i], s.events[s.n-1] = s.events[s.n-1], s.events[s.i]
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
		var err error
		s.i = 0
		s.n, err = s.poll.Wait(s.events)
		s.polled = time.Now()
		if err != nil {
			if !s.stopped.Load() {
				s.srv.Config.logger().Error("connector: waiting for epoll failed", "err", err)
			}
			s.cleanup()
			return dispatcher.Task{}, false
		}
	}
}

// handle applies one event: it accepts, wakes waiters, or reads a request
// head and returns the task that serves it. A panic (a bug, or a watcher or
// read listener that panicked) closes the connection concerned and is
// logged; the selector goes on serving the others.
func (s *selector) handle(ev *netpoll.Event) (t dispatcher.Task, ok bool) {
	timer := ev.Key() == s.timerKey
	var f *fdConn
	var l *epListener
	if !timer {
		f, l = s.lookup(ev.Key())
	}
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
	case timer:
		s.tfd.Clear()
		// Only what was due when the events were taken: a timeout that
		// passed while the batch was handled may have a socket's event
		// waiting behind it, which the next Wait returns first (the
		// wheel asks for that Wait to come at once).
		s.wheel.AdvanceTo(s.polled) // a panicking Firer is logged like any event's
	case l != nil:
		s.accept(l)
	case f != nil:
		if f.event(ev.Events()) {
			owned = true
			if f.tls != nil && f.c.info.TLS == nil {
				go f.c.handshakeEP() // the first bytes of a TLS connection
				return dispatcher.Task{}, false
			}
			return f.c.readHeadNB()
		}
	}
	return dispatcher.Task{}, false
}

// cleanup releases the selector's descriptors once.
func (s *selector) cleanup() {
	s.cleanOnce.Do(func() {
		// Timers still filed (a request suspended past the stop) fire
		// all the same, on a runtime timer.
		s.wheel.Drive(nil)
		s.tfd.Close()
		s.poll.Close()
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
				netpoll.Close(accepted)
			}
			s.srv.connLimit().Unreserve()
		}
	}()
	for {
		if !s.srv.connLimit().Reserve(l) {
			return // paused until a connection closes
		}
		held = true
		nfd, remote, err := l.Accept()
		if err != nil {
			held = false
			s.srv.connLimit().Unreserve()
			switch err {
			case netpoll.ErrAgain:
				l.rearm() // the backlog is empty: wake on the next connection
				return
			case syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM:
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
		netpoll.SetNoDelay(nfd)
		sel := s.srv.nextSelector() // accepted here, served by any selector
		f := &fdConn{Conn: netpoll.Conn{FD: nfd, Local: l.addr, Remote: remote}, sel: sel}
		f.tm.Init((*timerFirer)(f))
		if l.tls != nil {
			f.tls = &fdTLS{f: f, cfg: l.tls}
		}
		c := newEpollConn(s.srv, f, l.local)
		if f.tls != nil {
			// The handshake counts as the head: ReadHeaderTimeout bounds
			// it from now, silent clients included.
			c.headAt = sel.clock()
		}
		held, accepted = false, -1
		if !s.srv.addConn(c, true) {
			netpoll.Close(nfd)
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
		f.Mu.Lock()
		// Refused if its selector took it already, to read a head: the
		// timer is then that reader's to arm when the connection turns
		// idle (it may be writing headStart right now).
		if c.fire(evReady) {
			f.armIdleLocked()
		}
		f.Mu.Unlock()
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

// defaultSelectors is Jetty's rule: half the cores, at least one.
func defaultSelectors() int { return max(1, runtime.GOMAXPROCS(0)/2) }

func (s *selector) strategyStats() dispatcher.StrategyStats { return s.strategy.Stats() }

// clock returns the time on the selector's clock (its wheel's), never
// zero: a connection keeps instants on it in 8 bytes, zero for none.
// Any goroutine may call it.
func (s *selector) clock() time.Duration { return max(s.wheel.Now(), 1) }

// left returns how much is left of d counted from at, an instant on the
// selector's clock: negative once it has passed. A d of "forever" is
// capped first, so that it cannot overflow the clock. Any goroutine may
// call it.
func (s *selector) left(at, d time.Duration) time.Duration {
	return at + min(d, timerwheel.MaxDelay) - s.wheel.Now()
}

// timers returns how many timers the selector's wheel holds.
func (s *selector) timers() int { return s.wheel.Len() }
