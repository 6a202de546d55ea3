package connector

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// waitKind says what a goroutine parked on an epoll connection waits for.
type waitKind uint8

const (
	waitNone waitKind = iota
	waitRead
	waitWrite
)

// epState is the epoll side of a connection: who may touch its socket now.
type epState uint8

const (
	epIdle     epState = iota // waiting for bytes; the selector reads when they come
	epReading                 // a goroutine is reading a request head
	epServing                 // a request runs; its goroutine reads and writes, parking on EAGAIN
	epDetached                // the request is suspended: nobody reads; a hang-up fails it
	epClosed
)

// fdConn is a net.Conn over a non-blocking socket registered with a
// selector. Reads and writes that would block park the calling goroutine
// until the selector reports readiness (or the deadline passes), so the
// blocking code of the HTTP/1.1 stream works unchanged on top of it. A
// selector goroutine never parks: it only reads heads, with readHead.
type fdConn struct {
	fd     int
	sel    *selector
	local  net.Addr
	remote netip.AddrPort

	mu         sync.Mutex
	st         epState
	readable   bool   // an EPOLLIN edge came since the last read attempt
	writable   bool   // an EPOLLOUT edge came since the last write attempt
	rdhup      bool   // the peer shut down its side (RDHUP): reads will end
	hup        bool   // the connection broke (HUP or ERR): writes will fail too
	rw, ww     waiter // a goroutine parked in Read, in Write (one of each at most)
	gen        int32  // registration generation, carried in epoll events
	registered bool   // added to the selector (before that, Shutdown leaves it alone)
	rdl, wdl   time.Time
	// rto and wto bound a wait for readiness when no deadline is set: the
	// server's ReadTimeout and WriteTimeout, counted from the moment a read
	// or write has to wait, so that I/O that does not wait reads no clock.
	rto, wto time.Duration
	closed   bool
	gone     Watcher // told once if the peer hangs up while detached
	noPark   bool    // a NonBlocking handler runs on the producer: never park
	onRead   func()  // called once at the next readability (read listeners)

	idle         *time.Timer // idle and header timeouts while no goroutine serves
	idleDeadline time.Time   // when the connection, idle, times out
	idleAt       time.Time   // when idle fires, if idleArmed
	idleArmed    bool
	c            *conn
}

var _ net.Conn = (*fdConn)(nil)

// event applies an epoll event and reports whether the selector should now
// read a request head for this connection.
func (f *fdConn) event(ev uint32) (readHead bool) {
	f.mu.Lock()
	if ev&(unix.EPOLLIN|unix.EPOLLPRI) != 0 {
		f.readable = true
	}
	if ev&unix.EPOLLOUT != 0 {
		f.writable = true
	}
	if ev&unix.EPOLLRDHUP != 0 {
		f.rdhup = true
	}
	if ev&(unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		f.hup = true
	}
	canRead := f.readable || f.rdhup || f.hup
	wakeR := f.rw.on && canRead
	wakeW := f.ww.on && (f.writable || f.hup)
	if wakeR {
		f.rw.on = false
	}
	if wakeW {
		f.ww.on = false
	}
	var gone Watcher
	var onReadCB func()
	if f.onRead != nil && canRead {
		onReadCB, f.onRead = f.onRead, nil
	}
	switch f.st {
	case epIdle:
		if canRead {
			f.st = epReading
			readHead = true
		}
	case epDetached:
		if (f.rdhup || f.hup) && f.gone != nil && onReadCB == nil {
			gone, f.gone = f.gone, nil
		}
	}
	f.mu.Unlock()
	if wakeR {
		f.rw.ch <- struct{}{}
	}
	if wakeW {
		f.ww.ch <- struct{}{}
	}
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

// park waits for readiness of kind, or the deadline. It returns
// os.ErrDeadlineExceeded on timeout and net.ErrClosed after Close.
func (f *fdConn) park(kind waitKind) error {
	f.mu.Lock()
	if f.closed {
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
	w, dl, to := &f.rw, f.rdl, f.rto
	if kind == waitWrite {
		w, dl, to = &f.ww, f.wdl, f.wto
	}
	if !dl.IsZero() && !time.Now().Before(dl) {
		f.mu.Unlock()
		return os.ErrDeadlineExceeded
	}
	if dl.IsZero() && to > 0 {
		dl = time.Now().Add(to)
	}
	if w.ch == nil {
		w.ch = make(chan struct{}, 1)
	}
	w.on = true
	f.mu.Unlock()

	var timeout <-chan time.Time
	if !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
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
func (f *fdConn) wakeAllLocked() (r, w chan struct{}) {
	if f.rw.on {
		f.rw.on = false
		r = f.rw.ch
	}
	if f.ww.on {
		f.ww.on = false
		w = f.ww.ch
	}
	return r, w
}

func signal(r, w chan struct{}) {
	if r != nil {
		r <- struct{}{}
	}
	if w != nil {
		w <- struct{}{}
	}
}

// Read reads, parking while the socket has nothing.
func (f *fdConn) Read(p []byte) (int, error) {
	for {
		f.mu.Lock()
		f.readable = false
		closed := f.closed
		f.mu.Unlock()
		if closed {
			return 0, net.ErrClosed
		}
		n, err := rawRead(f.fd, p)
		switch {
		case n > 0:
			return n, nil
		case err == nil:
			return 0, ioEOF
		case err == unix.EINTR:
			continue
		case err != unix.EAGAIN:
			return 0, &net.OpError{Op: "read", Net: "tcp", Source: f.local, Addr: f.RemoteAddr(), Err: err}
		}
		if err := f.park(waitRead); err != nil {
			return 0, err
		}
	}
}

// tryRead reads without ever parking: the selector's way.
func (f *fdConn) tryRead(p []byte) (int, error) {
	for {
		f.mu.Lock()
		f.readable = false
		f.mu.Unlock()
		n, err := rawRead(f.fd, p)
		switch {
		case n > 0:
			return n, nil
		case err == nil:
			return 0, ioEOF
		case err == unix.EINTR:
			continue
		}
		return 0, err
	}
}

// Write writes all of p, parking while the socket buffer is full.
func (f *fdConn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		f.mu.Lock()
		f.writable = false
		closed := f.closed
		f.mu.Unlock()
		if closed {
			return written, net.ErrClosed
		}
		n, err := rawWrite(f.fd, p[written:])
		if n > 0 {
			written += n
			continue
		}
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if err := f.park(waitWrite); err != nil {
				return written, err
			}
			continue
		}
		return written, &net.OpError{Op: "write", Net: "tcp", Source: f.local, Addr: f.RemoteAddr(), Err: err}
	}
	return written, nil
}

// writev writes every buffer, parking on EAGAIN; it lets net.Buffers use
// one system call for head and body.
func (f *fdConn) writev(bufs [][]byte) error {
	for len(bufs) > 0 {
		for len(bufs) > 0 && len(bufs[0]) == 0 {
			bufs = bufs[1:]
		}
		if len(bufs) == 0 {
			return nil
		}
		f.mu.Lock()
		f.writable = false
		closed := f.closed
		f.mu.Unlock()
		if closed {
			return net.ErrClosed
		}
		n, err := rawWritev(f.fd, bufs)
		if n > 0 {
			for n > 0 {
				if n >= len(bufs[0]) {
					n -= len(bufs[0])
					bufs = bufs[1:]
				} else {
					bufs[0] = bufs[0][n:]
					n = 0
				}
			}
			continue
		}
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if err := f.park(waitWrite); err != nil {
				return err
			}
			continue
		}
		return &net.OpError{Op: "writev", Net: "tcp", Source: f.local, Addr: f.RemoteAddr(), Err: err}
	}
	return nil
}

// shutdown breaks the connection without closing the descriptor, waking
// parked goroutines: any goroutine may call it; the owner then closes.
func (f *fdConn) shutdown() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	unix.Shutdown(f.fd, unix.SHUT_RDWR) // under the lock: the fd is still ours
	f.hup = true
	r, w := f.wakeAllLocked()
	f.mu.Unlock()
	signal(r, w)
}

// Close closes the socket (closing also removes it from the epoll set) and
// wakes parked goroutines. Only the connection's owner calls it: the
// descriptor's number may be reused as soon as it is closed.
func (f *fdConn) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.st = epClosed
	r, w := f.wakeAllLocked()
	if f.idle != nil {
		f.idle.Stop()
	}
	f.mu.Unlock()
	f.sel.remove(f)
	err := unix.Close(f.fd)
	signal(r, w)
	return err
}

// CloseWrite half-closes the socket so a client can read a final answer.
func (f *fdConn) CloseWrite() error { return unix.Shutdown(f.fd, unix.SHUT_WR) }

func (f *fdConn) LocalAddr() net.Addr  { return f.local }
func (f *fdConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(f.remote) }

func (f *fdConn) SetDeadline(t time.Time) error {
	f.mu.Lock()
	f.rdl, f.wdl = t, t
	f.mu.Unlock()
	return nil
}

func (f *fdConn) SetReadDeadline(t time.Time) error {
	f.mu.Lock()
	f.rdl = t
	f.mu.Unlock()
	return nil
}

func (f *fdConn) SetWriteDeadline(t time.Time) error {
	f.mu.Lock()
	f.wdl = t
	f.mu.Unlock()
	return nil
}

// notifyReadable calls cb once the socket may be read: now if an edge
// already came, else at the next one.
func (f *fdConn) notifyReadable(cb func()) {
	f.mu.Lock()
	if f.readable || f.rdhup || f.hup || f.closed {
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

// setState moves the epoll side; callers hold no lock.
func (f *fdConn) setState(st epState) {
	f.mu.Lock()
	if !f.closed {
		f.st = st
	}
	f.mu.Unlock()
}

// toNetConn hands the socket over to the Go runtime (for Hijack): it leaves
// the selector and becomes an ordinary net.Conn.
func (f *fdConn) toNetConn() (net.Conn, error) {
	f.mu.Lock()
	f.closed = true
	f.st = epClosed
	f.onRead, f.gone = nil, nil
	r, w := f.wakeAllLocked()
	if f.idle != nil {
		f.idle.Stop()
	}
	f.mu.Unlock()
	signal(r, w)
	f.sel.remove(f)
	file := os.NewFile(uintptr(f.fd), "wharf-hijacked")
	nc, err := net.FileConn(file) // dups the descriptor
	file.Close()
	return nc, err
}
