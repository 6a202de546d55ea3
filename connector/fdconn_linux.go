package connector

import (
	"errors"
	"net"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/netpoll"
	"github.com/wharf-go/wharf/internal/timerwheel"
)

// fdConn is the epoll connector's side of a connection (connIO): a
// non-blocking socket registered with a selector (a netpoll.Conn, whose
// reads and writes park the calling goroutine until the selector reports
// readiness, or the timeout passes), so the blocking code of the HTTP/1.1
// stream works unchanged on top of it. I/O on the producing goroutine does
// not park: it reads heads with fill, which does not wait, and the
// NonBlocking requests it runs have NoPark set. Who may touch the socket
// is the connection's state (state.go), changed under the socket's Mu
// where readiness decides it; what fdConn keeps beside the socket is its
// idle timer (idleArmed) and the watcher of a detached request.
type fdConn struct {
	netpoll.Conn
	sel *selector

	gone    Watcher // told once if the peer hangs up while detached; under Mu
	onRead  func()  // called once at the next readability (read listeners); under Mu
	onWrite func()  // called once at the next writability or failure (write listeners); under Mu
	// tm is the connection's one timer, in the selector's wheel (see
	// timerFirer): while onWrite waits it bounds the wait (the response's
	// write timeout and data rate; wArmed, generation wgen), and while no
	// goroutine serves the connection it is the idle and header timeout
	// (idleArmed, generation 0). Never both: scheduling it for one
	// purpose takes it from the other. wexpired says the write wait's
	// fired, so the write that follows fails as too slow rather than as
	// a client gone. All under Mu.
	tm       timerwheel.Timer
	wgen     uint32 // which write wait tm bounds (never 0): a stale firing finds it moved on
	wArmed   bool   // tm is scheduled for the write wait
	wexpired bool
	// startNow says onRead starts at once, never behind the executor's
	// work: the connection was handed over (waitConn), and its reader is
	// what the executor's handlers may wait for. Under Mu.
	startNow bool

	idleArmed    bool          // tm is scheduled for the idle or header timeout
	idleDeadline time.Duration // when the connection, idle, times out, on the wheel's clock
	idleAt       time.Duration // when tm fires, if idleArmed, on the wheel's clock
	c            *conn
	tls          *fdTLS // the TLS layer (tls_linux.go); nil in cleartext
}

var _ connIO = (*fdConn)(nil)
var _ runningWatcher = (*fdConn)(nil)

// event applies an epoll event and reports whether the selector should now
// read a request head for this connection.
func (f *fdConn) event(ev netpoll.Events) (readHead bool) {
	f.Mu.Lock()
	wake := f.ApplyLocked(ev)
	if ev&netpoll.Priority != 0 {
		f.c.urgent = true
	}
	canRead := f.ReadReadyLocked()
	var gone Watcher
	var onReadCB func()
	if f.onRead != nil && canRead {
		onReadCB, f.onRead = f.onRead, nil
	}
	startNow := f.startNow
	onWriteCB := f.takeOnWriteLocked(f.Writable || f.Broken)
	if canRead && f.c.fire(evReadable) {
		readHead = true // the connection is this goroutine's now
	}
	// A detached request hears that its client left; not when the break
	// is this side's, after a write waited too long: the wait's callback
	// reports that, as the timeout it was (writeExpired).
	if (f.PeerClosed || f.Broken) && f.gone != nil && onReadCB == nil && !f.wexpired {
		gone, f.gone = f.gone, nil
	}
	f.Mu.Unlock()
	wake.Signal()
	if f.tls != nil && ev&netpoll.Writable != 0 {
		f.tls.flushPending()
	}
	if onReadCB != nil {
		switch {
		case f.tls == nil:
			onReadCB()
		case startNow:
			// Its read may wait for crypto/tls's write lock (tls_linux.go),
			// and handlers may wait for it (an HTTP/2 handler for the
			// WINDOW_UPDATE its reader would read): not on the executor.
			f.c.srv.goNow(dispatcher.Task{Run: onReadCB})
		default:
			// Its read may wait for crypto/tls's write lock (tls_linux.go).
			f.c.srv.execute(dispatcher.Task{Run: onReadCB})
		}
	}
	if onWriteCB != nil {
		onWriteCB()
	}
	if gone != nil {
		gone.ClientGone(ErrClientGone)
	}
	return readHead
}

// read reads body bytes, parking (at most to) while the socket has nothing.
func (f *fdConn) read(p []byte, to time.Duration) (int, error) {
	if f.tls != nil {
		return f.tls.read(p, to)
	}
	n, err := f.Read(p, to)
	if err == netpoll.ErrWouldPark {
		err = errWouldPark
	}
	return n, err
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
func (f *fdConn) write(head, body []byte, to time.Duration) (time.Duration, error) {
	if f.tls != nil {
		return f.tls.write(head, body, to)
	}
	iov := [2][]byte{head, body} // on the stack: Writev keeps no part of it
	waited, err := f.Writev(iov[:], to)
	if err == netpoll.ErrWouldPark {
		err = errWouldPark
	}
	return waited, err
}

// breakConn breaks the connection without closing the descriptor, waking
// parked goroutines and telling the listeners waiting for readiness (a
// Tunnel's, a request's read or write listener): any goroutine may call
// it; the owner then closes. The listeners are told here rather than left
// to the selector, which Server.Close stops right after, and on the
// executor rather than on the caller's goroutine: a listener may run a
// NonBlocking handler's callbacks inline, as it may on the selector.
func (f *fdConn) breakConn() {
	f.Break()
	f.Mu.Lock()
	onRead := f.onRead
	f.onRead = nil
	onWrite := f.takeOnWriteLocked(true)
	f.Mu.Unlock()
	for _, cb := range [...]func(){onRead, onWrite} {
		if cb != nil {
			f.c.srv.execute(dispatcher.Task{Run: cb})
		}
	}
}

// breakWatched implements connIO. As event does, the watcher is not told
// of a break that a write wait's timeout made: its callback reports it.
func (f *fdConn) breakWatched() {
	f.breakConn()
	f.Mu.Lock()
	var gone Watcher
	if !f.wexpired {
		gone, f.gone = f.gone, nil
	}
	f.Mu.Unlock()
	if gone != nil {
		gone.ClientGone(ErrClientGone)
	}
}

// letGo releases the descriptor from the connection and the selector,
// waking parked goroutines; false if it was released already.
func (f *fdConn) letGo() bool {
	f.Mu.Lock()
	wake, ok := f.ReleaseLocked()
	if !ok {
		f.Mu.Unlock()
		return false
	}
	f.onRead, f.gone = nil, nil
	onWriteCB := f.takeOnWriteLocked(true)
	if f.idleArmed {
		f.sel.wheel.Stop(&f.tm)
		f.idleArmed = false
	}
	f.Mu.Unlock()
	f.sel.remove(f)
	wake.Signal()
	if onWriteCB != nil {
		onWriteCB() // its next write fails: the connection is gone
	}
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
	if f.tls != nil {
		// A flushPending of the selector's that looked before letGo may be
		// writing to the socket: the number must not be reused under it.
		f.tls.pmu.Lock()
		//lint:ignore SA2001 a barrier: waiting for pmu is the point
		f.tls.pmu.Unlock()
	}
	return netpoll.Close(f.FD)
}

// release hands the socket over to the Go runtime (for Hijack and the
// hand-over to HTTP/2): it leaves the selector and becomes an ordinary
// net.Conn.
func (f *fdConn) release() (net.Conn, error) {
	if f.tls != nil {
		return f.tls.release()
	}
	f.letGo()
	return netpoll.NetConn(f.FD)
}

// notifyReadable calls cb once the socket may be read: now if an edge
// already came or, over TLS, unless the last read found crypto/tls and
// the socket empty (records may wait inside crypto/tls, unannounced);
// else at the next edge.
func (f *fdConn) notifyReadable(cb func()) {
	f.Mu.Lock()
	if f.ReadReadyLocked() || f.Released || (f.tls != nil && !f.tls.drained) {
		f.Mu.Unlock()
		cb()
		return
	}
	f.onRead = cb
	f.Mu.Unlock()
}

// readNow reads without parking, through TLS if the connection has it:
// netpoll.ErrAgain when nothing is there.
func (f *fdConn) readNow(p []byte) (int, error) {
	if f.tls != nil {
		return f.tls.readNow(p)
	}
	return f.ReadNow(p)
}

// plain implements nbIO: writes that bypass TLS are for cleartext only.
func (f *fdConn) plain() bool { return f.tls == nil }

// handshaking implements connIO.
func (f *fdConn) handshaking() bool { return f.tls != nil && f.tls.shaking.Load() }

// shutWrite shuts the socket's sending side: over TLS, once what of
// crypto/tls's records the socket did not take yet went (fdTLS.shutWrite).
func (f *fdConn) shutWrite() error {
	if f.tls != nil {
		return f.tls.shutWrite()
	}
	return netpoll.CloseWrite(f.FD)
}

// closeNotify implements connIO: over TLS, close_notify goes out first.
func (f *fdConn) closeNotify() {
	if f.tls != nil {
		f.tls.closeNotify()
	}
}

// writeNow writes what the socket takes now, without parking: ErrAgain
// when its buffer is full.
func (f *fdConn) writeNow(p []byte) (int, error) {
	iov := [1][]byte{p} // on the stack: WritevNow keeps no part of it
	return f.WritevNow(iov[:])
}

// clock implements nbIO: the selector's.
func (f *fdConn) clock() time.Duration { return f.sel.clock() }

// sendfileNow sends up to n bytes of file from *off as far as the socket
// takes them now, without parking: ErrAgain when its buffer is full.
func (f *fdConn) sendfileNow(file int, off *int64, n int) (int, error) {
	return f.SendfileNow(file, off, n)
}

// notifyWritable calls cb once the socket may take more bytes (now, if an
// edge came since the last write attempt), or once it failed or was
// released. A wait longer than to (> 0) breaks the connection and calls cb,
// and writeExpired then reports it.
func (f *fdConn) notifyWritable(cb func(), to time.Duration) {
	f.Mu.Lock()
	if f.Writable || f.Broken || f.Released {
		f.Mu.Unlock()
		cb()
		return
	}
	f.onWrite = cb
	if f.wgen++; f.wgen == 0 {
		f.wgen = 1 // 0 is the idle timeout's
	}
	if to > 0 {
		// An idle timer left filed while the connection is served (see
		// armIdleLocked) gives way: the connection is not idle, and
		// turning idle files it anew.
		f.idleArmed = false
		f.sel.wheel.Schedule(&f.tm, to, f.wgen)
		f.wArmed = true
	}
	f.Mu.Unlock()
}

// timerFirer is a connection as its timer's timerwheel.Firer: generation
// 0 is the idle or header timeout, any other a write wait's.
type timerFirer fdConn

// Fire implements timerwheel.Firer, on the selector's producer.
func (t *timerFirer) Fire(gen uint32) {
	if gen != 0 {
		(*fdConn)(t).writeTimedOut(gen)
		return
	}
	(*fdConn)(t).idleFired()
}

// takeOnWriteLocked takes the write callback if ready, stopping its timer.
// Mu is held.
func (f *fdConn) takeOnWriteLocked(ready bool) func() {
	cb := f.onWrite
	if cb == nil || !ready {
		return nil
	}
	f.onWrite = nil
	if f.wArmed {
		f.sel.wheel.Stop(&f.tm)
		f.wArmed = false
	}
	return cb
}

// writeTimedOut ends a wait for writability that took too long. It runs
// on the selector's producer: the callback it calls only dispatches.
func (f *fdConn) writeTimedOut(gen uint32) {
	f.Mu.Lock()
	var cb func()
	if gen == f.wgen && f.wArmed {
		cb = f.onWrite
		f.onWrite, f.wArmed = nil, false
		f.wexpired = cb != nil
	}
	f.Mu.Unlock()
	if cb != nil {
		f.Break()
		cb()
	}
}

// writeExpired reports whether a wait for writability timed out.
func (f *fdConn) writeExpired() bool {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.wexpired
}

// setNoPark marks whether the goroutine using the connection is the
// producer, which must never park.
func (f *fdConn) setNoPark(v bool) {
	f.Mu.Lock()
	f.NoPark = v
	f.Mu.Unlock()
}

// liftNoPark ends the no-parking rule and reports whether it was in force.
func (f *fdConn) liftNoPark() bool {
	f.Mu.Lock()
	was := f.NoPark
	f.NoPark = false
	f.Mu.Unlock()
	return was
}

// noPark reports whether the no-parking rule is in force.
func (f *fdConn) noPark() bool {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.NoPark
}

// errWouldPark fails I/O of a NonBlocking handler that would have to wait
// (netpoll.ErrWouldPark, said as a handler sees it).
var errWouldPark = errors.New("connector: a NonBlocking handler's I/O would block")

// timerWheel implements connIO: the wheel of the selector polling f.
func (f *fdConn) timerWheel() *timerwheel.Wheel { return f.sel.wheel }

// runInline implements connIO: a suspended request's timeout fired on
// the producer, which runs its work as it runs a NonBlocking request:
// I/O that would park fails. A re-dispatch that suspends again lifts the
// rule itself (liftNoPark), and its later tasks go to the executor.
func (f *fdConn) runInline(w interface{ Run() }) bool {
	f.setNoPark(true)
	defer f.setNoPark(false)
	w.Run()
	return true
}
