package connector

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/netpoll"
)

// waitKind says what a goroutine parked on an epoll connection waits for.
type waitKind uint8

const (
	waitRead waitKind = iota
	waitWrite
)

// fdConn is the epoll connector's side of a connection (connIO): a
// non-blocking socket registered with a selector, read and written through
// package netpoll's system calls. Reads and writes that would block park
// the calling goroutine until the selector reports readiness (or the
// timeout passes), so the blocking code of the HTTP/1.1 stream works
// unchanged on top of it. I/O on the producing goroutine does not park: it
// reads heads with fill, which does not wait, and the NonBlocking requests
// it runs have noPark set. Who may touch the socket is the connection's
// state (state.go); what fdConn keeps is about the socket: its readiness,
// its idle timer (idleArmed), whether its descriptor is still this
// connection's (released), and the watcher of a detached request.
type fdConn struct {
	fd     int
	sel    *selector
	local  net.Addr
	remote netip.AddrPort

	mu       sync.Mutex
	readable bool    // an EPOLLIN edge came since the last read attempt
	writable bool    // an EPOLLOUT edge came since the last write attempt
	rdhup    bool    // the peer shut down its side (RDHUP): reads will end
	hup      bool    // the connection broke (HUP or ERR): writes will fail too
	rw, ww   waiter  // a goroutine parked in a read, in a write (one of each at most)
	released bool    // the descriptor was closed or given away: its number is no longer ours
	gone     Watcher // told once if the peer hangs up while detached
	noPark   bool    // a NonBlocking handler runs on the producer: never park
	onRead   func()  // called once at the next readability (read listeners)

	idle         *time.Timer // idle and header timeouts while no goroutine serves
	idleDeadline time.Time   // when the connection, idle, times out
	idleAt       time.Time   // when idle fires, if idleArmed
	idleArmed    bool
	c            *conn
}

var _ connIO = (*fdConn)(nil)

// event applies an epoll event and reports whether the selector should now
// read a request head for this connection.
func (f *fdConn) event(ev netpoll.Events) (readHead bool) {
	f.mu.Lock()
	f.readable = f.readable || ev&(netpoll.Readable|netpoll.Priority) != 0
	f.writable = f.writable || ev&netpoll.Writable != 0
	f.rdhup = f.rdhup || ev&netpoll.PeerClosed != 0
	f.hup = f.hup || ev&(netpoll.Hangup|netpoll.Error) != 0
	canRead := f.readable || f.rdhup || f.hup
	var wakeR, wakeW chan struct{}
	if canRead {
		wakeR = f.rw.take()
	}
	if f.writable || f.hup {
		wakeW = f.ww.take()
	}
	var gone Watcher
	var onReadCB func()
	if f.onRead != nil && canRead {
		onReadCB, f.onRead = f.onRead, nil
	}
	if canRead && f.c.fire(evReadable) {
		readHead = true // the connection is this goroutine's now
	}
	if (f.rdhup || f.hup) && f.gone != nil && onReadCB == nil { // detached
		gone, f.gone = f.gone, nil
	}
	f.mu.Unlock()
	signal(wakeR, wakeW)
	if onReadCB != nil {
		onReadCB()
	}
	if gone != nil {
		gone.ClientGone(ErrClientGone)
	}
	return readHead
}

// waiter is one parked goroutine's slot: on while it waits, ch to wake it.
type waiter struct {
	on bool
	ch chan struct{}
}

// take takes the parked goroutine, if any, off the slot and returns the
// channel to signal once f.mu is released (nil: nobody waits).
func (w *waiter) take() chan struct{} {
	if !w.on {
		return nil
	}
	w.on = false
	return w.ch
}

// park waits for readiness of kind, at most to (<= 0: no limit), counted
// from the moment the read or write has to wait, so that I/O that does not
// wait reads no clock. It returns os.ErrDeadlineExceeded on timeout and
// net.ErrClosed after Close.
func (f *fdConn) park(kind waitKind, to time.Duration) error {
	f.mu.Lock()
	if f.released {
		f.mu.Unlock()
		return net.ErrClosed
	}
	ready := f.hup || (kind == waitRead && (f.readable || f.rdhup)) || (kind == waitWrite && f.writable)
	if ready {
		if kind == waitRead {
			f.readable = false
		} else {
			f.writable = false
		}
		f.mu.Unlock()
		return nil
	}
	if f.noPark {
		f.mu.Unlock()
		return errWouldPark
	}
	w := &f.rw
	if kind == waitWrite {
		w = &f.ww
	}
	if w.ch == nil {
		w.ch = make(chan struct{}, 1)
	}
	w.on = true
	f.mu.Unlock()

	var timeout <-chan time.Time
	if to > 0 {
		t := time.NewTimer(to)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-w.ch:
		return nil
	case <-timeout:
		f.mu.Lock()
		if w.on { // nobody woke us: withdraw
			w.on = false
			f.mu.Unlock()
			return os.ErrDeadlineExceeded
		}
		f.mu.Unlock()
		<-w.ch // a wake-up is on its way: take it so it cannot linger
		return nil
	}
}

// wakeAllLocked takes every parked goroutine off its slot and returns the
// channels to signal once f.mu is released.
func (f *fdConn) wakeAllLocked() (r, w chan struct{}) { return f.rw.take(), f.ww.take() }

// signal wakes the goroutines taken off their slots.
func signal(r, w chan struct{}) {
	if r != nil {
		r <- struct{}{}
	}
	if w != nil {
		w <- struct{}{}
	}
}

// attempt clears a readiness flag before a read or write attempt, so that
// an edge arriving during it is seen, and reports whether the descriptor
// is still this connection's.
func (f *fdConn) attempt(flag *bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	*flag = false
	return !f.released
}

// readNow reads without parking: netpoll.ErrAgain when the socket has
// nothing.
func (f *fdConn) readNow(p []byte) (int, error) {
	if !f.attempt(&f.readable) {
		return 0, net.ErrClosed
	}
	n, err := netpoll.Read(f.fd, p)
	if n == 0 && err == nil {
		return 0, ioEOF
	}
	return n, err
}

// read reads body bytes, parking (at most to) while the socket has nothing.
func (f *fdConn) read(p []byte, to time.Duration) (int, error) {
	for {
		n, err := f.readNow(p)
		switch err {
		case nil, ioEOF, net.ErrClosed:
			return n, err
		case netpoll.ErrAgain:
			if err := f.park(waitRead, to); err != nil {
				return 0, err
			}
			continue
		}
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: f.local, Addr: net.TCPAddrFromAddrPort(f.remote), Err: err}
	}
}

// tryRead reads body bytes without parking.
func (f *fdConn) tryRead(p []byte) (int, error) {
	n, err := f.readNow(p)
	if err == netpoll.ErrAgain {
		return 0, api.ErrWouldBlock
	}
	return n, err
}

// write sends head and body with one system call where it can, parking
// while the socket buffer is full.
func (f *fdConn) write(head, body []byte, to time.Duration) error {
	c := f.c
	c.iov = [2][]byte{head, body}
	err := f.writev(c.iov[:], to)
	c.iov = [2][]byte{}
	return err
}

// writev writes every buffer, parking on EAGAIN, within to of its first
// wait (<= 0: no limit); it lets net.Buffers use one system call for head
// and body.
func (f *fdConn) writev(bufs [][]byte, to time.Duration) error {
	var until time.Time
	for bufs = netpoll.Consume(bufs, 0); len(bufs) > 0; {
		if !f.attempt(&f.writable) {
			return net.ErrClosed
		}
		n, err := netpoll.Writev(f.fd, bufs)
		switch {
		case n > 0:
			bufs = netpoll.Consume(bufs, n)
		case err == netpoll.ErrAgain:
			left := to
			if to > 0 {
				if until.IsZero() {
					until = time.Now().Add(to)
				}
				if left = time.Until(until); left <= 0 {
					return os.ErrDeadlineExceeded
				}
			}
			if err := f.park(waitWrite, left); err != nil {
				return err
			}
		default:
			return &net.OpError{Op: "writev", Net: "tcp", Source: f.local, Addr: net.TCPAddrFromAddrPort(f.remote), Err: err}
		}
	}
	return nil
}

// breakConn breaks the connection without closing the descriptor, waking
// parked goroutines: any goroutine may call it; the owner then closes.
func (f *fdConn) breakConn() {
	f.mu.Lock()
	if f.released {
		f.mu.Unlock()
		return
	}
	netpoll.Shutdown(f.fd) // under the lock: the fd is still ours
	f.hup = true
	r, w := f.wakeAllLocked()
	f.mu.Unlock()
	signal(r, w)
}

// letGo releases the descriptor from the connection and the selector,
// waking parked goroutines; false if it was released already.
func (f *fdConn) letGo() bool {
	f.mu.Lock()
	if f.released {
		f.mu.Unlock()
		return false
	}
	f.released = true
	f.onRead, f.gone = nil, nil
	r, w := f.wakeAllLocked()
	if f.idle != nil {
		f.idle.Stop()
	}
	f.mu.Unlock()
	f.sel.remove(f)
	signal(r, w)
	return true
}

// Close closes the socket and gives the read buffer back. Only the
// connection's owner calls it (conn.close): the descriptor's number may be
// reused as soon as it is closed.
func (f *fdConn) Close() error {
	if !f.letGo() {
		return nil
	}
	if c := f.c; c.rbuf != nil {
		c.srv.putReadBuffer(c.rbuf)
		c.rbuf = nil
	}
	return netpoll.Close(f.fd)
}

// release hands the socket over to the Go runtime (for Hijack and the
// hand-over to HTTP/2): it leaves the selector and becomes an ordinary
// net.Conn.
func (f *fdConn) release() (net.Conn, error) {
	f.letGo()
	return netpoll.NetConn(f.fd)
}

// notifyReadable calls cb once the socket may be read: now if an edge
// already came, else at the next one.
func (f *fdConn) notifyReadable(cb func()) {
	f.mu.Lock()
	if f.readable || f.rdhup || f.hup || f.released {
		f.mu.Unlock()
		cb()
		return
	}
	f.onRead = cb
	f.mu.Unlock()
}

// setNoPark marks whether the goroutine using the connection is the
// producer, which must never park.
func (f *fdConn) setNoPark(v bool) {
	f.mu.Lock()
	f.noPark = v
	f.mu.Unlock()
}

// liftNoPark ends the no-parking rule and reports whether it was in force.
func (f *fdConn) liftNoPark() bool {
	f.mu.Lock()
	was := f.noPark
	f.noPark = false
	f.mu.Unlock()
	return was
}

// errWouldPark fails I/O of a NonBlocking handler that would have to wait.
var errWouldPark = errors.New("connector: a NonBlocking handler's I/O would block")
