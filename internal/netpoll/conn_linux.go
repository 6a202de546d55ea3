package netpoll

import (
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// Conn is a connected non-blocking socket registered edge-triggered with a
// Poller, for goroutines that want blocking I/O on it: its owner hands
// each of the socket's events to ApplyLocked, and a Read or Writev that
// finds the socket not ready parks the calling goroutine until an event
// says it is, or its timeout passes. I/O that does not have to wait reads
// no clock and takes no timer.
//
// Mu guards the readiness below, the parked goroutines and whatever state
// of its own the owner must change in step with them: the connector
// decides under it whether a connection turns idle or its selector takes
// it, which an edge landing between two locks would leave undecided.
type Conn struct {
	FD int
	// Local is the listener's address, shared by its connections (a
	// pointer, not a net.Addr, to keep a connection a word smaller); it
	// and Remote are for the errors' net.OpError. Never nil.
	Local  *net.TCPAddr
	Remote netip.AddrPort

	Mu sync.Mutex
	// What the events said since the last attempt (under Mu).
	Readable   bool // an EPOLLIN edge came since the last read attempt
	Writable   bool // an EPOLLOUT edge came since the last write attempt
	PeerClosed bool // the peer shut down its side (RDHUP): reads will end
	Broken     bool // HUP or ERR came, or Break: writes will fail too
	// Released says the descriptor was closed or given away (under Mu):
	// its number is no longer this Conn's, and I/O fails with
	// net.ErrClosed.
	Released bool
	// NoPark makes I/O that would have to wait fail with ErrWouldPark
	// instead (under Mu): the goroutine doing it is the one that would
	// hand the events over.
	NoPark bool
	// A goroutine parked in a read, in a write (one of each at most):
	// whether one waits sits with the flags above, to share their word,
	// and its channel, made at its first wait, below.
	rOn, wOn bool
	rch, wch chan struct{}
}

// localAddr is Local as a net.Addr: nil, not a typed nil, when unset.
func (c *Conn) localAddr() net.Addr {
	if c.Local == nil {
		return nil
	}
	return c.Local
}

// take takes the parked goroutine, if any, off its slot (on, ch) and
// returns the channel to signal once Mu is released (nil: nobody waits).
func take(on *bool, ch chan struct{}) chan struct{} {
	if !*on {
		return nil
	}
	*on = false
	return ch
}

// Wake holds the goroutines taken off their slots under Mu, to be woken
// once it is released.
type Wake struct{ r, w chan struct{} }

// Signal wakes them; call it after unlocking Mu.
func (w Wake) Signal() {
	if w.r != nil {
		w.r <- struct{}{}
	}
	if w.w != nil {
		w.w <- struct{}{}
	}
}

// ApplyLocked records an event of the socket and returns the parked
// goroutines it lets go on. Mu is held.
func (c *Conn) ApplyLocked(ev Events) Wake {
	c.Readable = c.Readable || ev&(Readable|Priority) != 0
	c.Writable = c.Writable || ev&Writable != 0
	c.PeerClosed = c.PeerClosed || ev&PeerClosed != 0
	c.Broken = c.Broken || ev&(Hangup|Error) != 0
	var w Wake
	if c.ReadReadyLocked() {
		w.r = take(&c.rOn, c.rch)
	}
	if c.Writable || c.Broken {
		w.w = take(&c.wOn, c.wch)
	}
	return w
}

// ReadReadyLocked reports whether a read would not wait: bytes, the
// peer's end or a break came. Mu is held.
func (c *Conn) ReadReadyLocked() bool { return c.Readable || c.PeerClosed || c.Broken }

// WakeAllLocked takes every parked goroutine off its slot. Mu is held.
func (c *Conn) WakeAllLocked() Wake { return Wake{take(&c.rOn, c.rch), take(&c.wOn, c.wch)} }

// park waits for readiness to write (or read), at most to (<= 0: no
// limit), counted from the moment the read or write has to wait. It
// returns os.ErrDeadlineExceeded on timeout, net.ErrClosed once Released
// and ErrWouldPark with NoPark.
func (c *Conn) park(write bool, to time.Duration) error {
	c.Mu.Lock()
	if c.Released {
		c.Mu.Unlock()
		return net.ErrClosed
	}
	ready := c.Broken || (!write && (c.Readable || c.PeerClosed)) || (write && c.Writable)
	if ready {
		if write {
			c.Writable = false
		} else {
			c.Readable = false
		}
		c.Mu.Unlock()
		return nil
	}
	if c.NoPark {
		c.Mu.Unlock()
		return ErrWouldPark
	}
	on, ch := &c.rOn, &c.rch
	if write {
		on, ch = &c.wOn, &c.wch
	}
	if *ch == nil {
		*ch = make(chan struct{}, 1)
	}
	*on = true
	wake := *ch
	c.Mu.Unlock()

	var timeout <-chan time.Time
	if to > 0 {
		t := time.NewTimer(to)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-wake:
		return nil
	case <-timeout:
		c.Mu.Lock()
		if *on { // nobody woke us: withdraw
			*on = false
			c.Mu.Unlock()
			return os.ErrDeadlineExceeded
		}
		c.Mu.Unlock()
		<-wake // a wake-up is on its way: take it so it cannot linger
		return nil
	}
}

// attempt clears a readiness flag before a read or write attempt, so that
// an edge arriving during it is seen, and reports whether the descriptor
// is still this Conn's.
func (c *Conn) attempt(flag *bool) bool {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	*flag = false
	return !c.Released
}

// ReadNow reads without parking: ErrAgain when the socket has nothing,
// io.EOF at its end.
func (c *Conn) ReadNow(p []byte) (int, error) {
	if !c.attempt(&c.Readable) {
		return 0, net.ErrClosed
	}
	n, err := Read(c.FD, p)
	if n == 0 && err == nil {
		return 0, io.EOF
	}
	return n, err
}

// Read reads, parking (at most to, <= 0: no limit) while the socket has
// nothing.
func (c *Conn) Read(p []byte, to time.Duration) (int, error) {
	for {
		n, err := c.ReadNow(p)
		switch err {
		case nil, io.EOF, net.ErrClosed:
			return n, err
		case ErrAgain:
			if err := c.park(false, to); err != nil {
				return 0, err
			}
			continue
		}
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.localAddr(), Addr: net.TCPAddrFromAddrPort(c.Remote), Err: err}
	}
}

// WritevNow writes what the socket takes now, without parking: the bytes
// written (the first MaxIov non-empty buffers at most), or ErrAgain when
// the socket buffer is full.
func (c *Conn) WritevNow(bufs [][]byte) (int, error) {
	if !c.attempt(&c.Writable) {
		return 0, net.ErrClosed
	}
	n, err := Writev(c.FD, bufs)
	if err != nil && err != ErrAgain {
		return 0, c.opError("writev", err)
	}
	return n, err
}

// SendfileNow sends up to n bytes of file from *off (advanced by what
// went) as far as the socket takes them now, without parking: ErrAgain
// when the socket buffer is full.
func (c *Conn) SendfileNow(file int, off *int64, n int) (int, error) {
	if !c.attempt(&c.Writable) {
		return 0, net.ErrClosed
	}
	w, err := Sendfile(c.FD, file, off, n)
	if err != nil && err != ErrAgain {
		return 0, c.opError("sendfile", err)
	}
	return w, err
}

func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.localAddr(), Addr: net.TCPAddrFromAddrPort(c.Remote), Err: err}
}

// Writev writes every buffer, with one system call where it can, parking
// while the socket buffer is full, within to of its first wait (<= 0: no
// limit). It returns how long it waited for the peer, from its first wait
// to its end: zero, and no clock read, when the socket took everything at
// once.
func (c *Conn) Writev(bufs [][]byte, to time.Duration) (waited time.Duration, err error) {
	var first time.Time
	defer func() {
		if !first.IsZero() {
			waited = time.Since(first)
		}
	}()
	for bufs = Consume(bufs, 0); len(bufs) > 0; {
		if !c.attempt(&c.Writable) {
			return 0, net.ErrClosed
		}
		n, err := Writev(c.FD, bufs)
		switch {
		case n > 0:
			bufs = Consume(bufs, n)
		case err == ErrAgain:
			if first.IsZero() {
				first = time.Now()
			}
			left := to
			if to > 0 {
				if left = to - time.Since(first); left <= 0 {
					return 0, os.ErrDeadlineExceeded
				}
			}
			if err := c.park(true, left); err != nil {
				return 0, err
			}
		default:
			return 0, &net.OpError{Op: "writev", Net: "tcp", Source: c.localAddr(), Addr: net.TCPAddrFromAddrPort(c.Remote), Err: err}
		}
	}
	return 0, nil
}

// Break makes the socket's I/O fail without closing the descriptor, and
// wakes the parked goroutines; any goroutine may call it, and the owner
// closes the descriptor later.
func (c *Conn) Break() {
	c.Mu.Lock()
	if c.Released {
		c.Mu.Unlock()
		return
	}
	Shutdown(c.FD) // under the lock: the descriptor is still ours
	c.Broken = true
	w := c.WakeAllLocked()
	c.Mu.Unlock()
	w.Signal()
}

// ReleaseLocked marks the descriptor as no longer this Conn's, and returns
// the parked goroutines to wake (they fail with net.ErrClosed); false if
// it was released already. Mu is held. Closing the descriptor, or giving
// it away, is the caller's.
func (c *Conn) ReleaseLocked() (Wake, bool) {
	if c.Released {
		return Wake{}, false
	}
	c.Released = true
	return c.WakeAllLocked(), true
}
