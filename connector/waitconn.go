package connector

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/wharf-go/wharf/api"
)

// A Waiter is a handed-over connection whose reader can wait for its peer
// without a goroutine: the epoll connector's Handover.Conn, whose socket
// stays with its selector. A protocol that finds it (package
// connector/http2 does) reads what is there with TryRead and, when nothing
// is, returns and lets NotifyReadable call it back; Read and Write still
// wait, for the code that must.
//
// TryRead and NotifyReadable belong to the connection's one reader; Close
// and the deadlines may be set from any goroutine.
type Waiter interface {
	// TryRead reads what is there now, the bytes the connector read past
	// what it consumed first: api.ErrWouldBlock when nothing is, an error
	// wrapping os.ErrDeadlineExceeded once the read deadline passed.
	TryRead(p []byte) (int, error)
	// NotifyReadable calls f once, on any goroutine, when TryRead may make
	// progress: bytes came, the peer closed or failed, the read deadline
	// passed (as set when NotifyReadable was called, or as moved while it
	// waits), or the connection was closed. f must not block.
	NotifyReadable(f func())
}

// waitConn is a handed-over connection that stays with its selector: a
// net.Conn over the connection's api.Tunnel (fdTunnel, tlsTunnel), with
// the deadlines a Tunnel lacks kept here, and the Waiter its reader parks
// on. A Read or Write that must wait holds its goroutine on a channel
// until the Tunnel's callback or the deadline's timer; a parked reader
// (NotifyReadable) holds a callback and, with a read deadline, the
// connection's one runtime timer, made once and reset.
//
// The Tunnel's callback and the timer call fireRead, which calls whatever
// NotifyReadable waits then: one that fires late, after another woke the
// reader, wakes the reader's next wait for nothing, which the Waiter
// allows (TryRead then finds nothing, and the reader waits again). One
// that fires while NotifyReadable still registers with the Tunnel is left
// to NotifyReadable, which then starts the callback on a goroutine of its
// own: the reader must not read while the Tunnel's NotifyReadable runs
// (it reads the reader's state), nor run again inside its own
// NotifyReadable.
type waitConn struct {
	t      api.Tunnel
	tunnel handedTunnel
	local  net.Addr
	remote net.Addr
	fire   func() // fireRead, as the Tunnel's callback: made once

	mu       sync.Mutex
	rdl      time.Time   // the read deadline (zero: none)
	wdl      time.Time   // the write deadline (zero: none)
	rf       func()      // the reader's NotifyReadable callback while it waits; nil: none
	parking  bool        // NotifyReadable registers with the Tunnel: a firing is left to it
	fired    bool        // a firing came while parking
	rtimer   *time.Timer // calls fireRead at the read deadline while the reader waits
	wmoved   chan bool   // a waiting Write hears that its deadline moved (buffered: one); made by the first Write that waits
	closed   bool        // Close was called
	wwaiting int         // Writes waiting for the socket (tests look)
}

// handedTunnel is what a waitConn needs of its Tunnel beside api.Tunnel:
// fdTunnel's and tlsTunnel's.
type handedTunnel interface {
	// handOver marks it as a hand-over's: its callbacks start at once.
	handOver()
	// closeWrite shuts the sending side: SHUT_WR, or close_notify over TLS.
	closeWrite() error
	// abortWrites drops what waits to be sent and fails later writes with
	// err: a write gave up on its deadline.
	abortWrites(err error)
	// addrs returns the socket's addresses.
	addrs() (local, remote net.Addr)
}

var (
	_ net.Conn = (*waitConn)(nil)
	_ Waiter   = (*waitConn)(nil)
)

// waitConnOf makes the waitConn of t, one of the epoll connector's
// Tunnels.
func waitConnOf(t api.Tunnel) *waitConn {
	h := t.(handedTunnel)
	h.handOver()
	c := &waitConn{t: t, tunnel: h}
	c.local, c.remote = h.addrs()
	c.fire = c.fireRead
	return c
}

// TryRead implements Waiter.
func (c *waitConn) TryRead(p []byte) (int, error) {
	c.mu.Lock()
	rdl := c.rdl
	c.mu.Unlock()
	if !rdl.IsZero() && !time.Now().Before(rdl) {
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.local, Addr: c.remote, Err: os.ErrDeadlineExceeded}
	}
	return c.t.TryRead(p)
}

// NotifyReadable implements Waiter.
func (c *waitConn) NotifyReadable(f func()) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		go f()
		return
	}
	c.rf, c.parking, c.fired = f, true, false
	due := c.armReadLocked()
	c.mu.Unlock()
	if !due {
		c.t.NotifyReadable(c.fire)
	}
	c.mu.Lock()
	c.parking = false
	if !due && !c.fired {
		c.mu.Unlock()
		return
	}
	f = c.takeReadLocked()
	c.mu.Unlock()
	if f != nil {
		go f()
	}
}

// armReadLocked times the reader's wait by the read deadline; true when
// that passed already. mu is held.
func (c *waitConn) armReadLocked() (due bool) {
	if c.rdl.IsZero() {
		if c.rtimer != nil {
			c.rtimer.Stop()
		}
		return false
	}
	d := time.Until(c.rdl)
	switch {
	case d <= 0:
		return true
	case c.rtimer == nil:
		c.rtimer = time.AfterFunc(d, c.fire)
	default:
		c.rtimer.Reset(d)
	}
	return false
}

// fireRead calls the reader's waiting callback, if any, or leaves it to
// NotifyReadable while that runs.
func (c *waitConn) fireRead() {
	c.mu.Lock()
	if c.parking {
		c.fired = true
		c.mu.Unlock()
		return
	}
	f := c.takeReadLocked()
	c.mu.Unlock()
	if f != nil {
		f()
	}
}

// takeReadLocked takes the reader's waiting callback and stops its timer.
// mu is held.
func (c *waitConn) takeReadLocked() func() {
	f := c.rf
	c.rf = nil
	if f != nil && c.rtimer != nil {
		c.rtimer.Stop()
	}
	return f
}

// Read waits, at most until the read deadline, for what TryRead reads.
func (c *waitConn) Read(p []byte) (int, error) {
	for {
		n, err := c.TryRead(p)
		if err != api.ErrWouldBlock {
			return n, err
		}
		ready := make(chan struct{})
		c.NotifyReadable(func() { close(ready) })
		<-ready
	}
}

// Write writes all of p, waiting while the socket takes nothing, at most
// until the write deadline (moving it moves a wait under way).
func (c *waitConn) Write(p []byte) (int, error) {
	sent := 0
	for {
		n, err := c.t.WriteNow(p[sent:])
		sent += n
		if err != nil || sent == len(p) {
			return sent, err
		}
		if err := c.waitWritable(); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				c.tunnel.abortWrites(err)
			}
			return sent, err
		}
	}
}

// waitWritable waits for the socket to take more bytes, the write
// deadline, or Close.
func (c *waitConn) waitWritable() error {
	ready := make(chan struct{}, 1)
	c.t.NotifyWritable(func() { ready <- struct{}{} }, 0)
	c.mu.Lock()
	c.wwaiting++
	if c.wmoved == nil {
		c.wmoved = make(chan bool, 1) // most connections never wait to write
	}
	moved := c.wmoved
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.wwaiting--
		c.mu.Unlock()
	}()
	for {
		c.mu.Lock()
		wdl, closed := c.wdl, c.closed
		c.mu.Unlock()
		if closed {
			return net.ErrClosed
		}
		var timer *time.Timer
		var expired <-chan time.Time
		if !wdl.IsZero() {
			d := time.Until(wdl)
			if d <= 0 {
				return &net.OpError{Op: "write", Net: "tcp", Source: c.local, Addr: c.remote, Err: os.ErrDeadlineExceeded}
			}
			timer = time.NewTimer(d)
			expired = timer.C
		}
		writable := false
		select {
		case <-ready:
			writable = true
		case <-expired:
		case <-moved:
		}
		if timer != nil {
			timer.Stop()
		}
		if writable {
			return nil
		}
	}
}

func (c *waitConn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the read deadline, retiming a NotifyReadable under
// way: one whose new deadline passed is called now.
func (c *waitConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.rdl = t
	due := c.rf != nil && c.armReadLocked()
	c.mu.Unlock()
	if due {
		go c.fireRead() // not under the caller's locks
	}
	return nil
}

// SetWriteDeadline sets the write deadline, and tells a Write that waits.
func (c *waitConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.wdl = t
	c.mu.Unlock()
	c.tellWriter()
	return nil
}

// tellWriter wakes a Write that waits, to look at the deadline and Close
// again. A Write that comes later reads them itself first, under mu.
func (c *waitConn) tellWriter() {
	c.mu.Lock()
	moved := c.wmoved
	c.mu.Unlock()
	select {
	case moved <- true: // a nil channel: nobody ever waited
	default:
	}
}

// CloseWrite ends the sending side: the peer reads the end of the stream
// (over TLS, close_notify) while the connection still reads.
func (c *waitConn) CloseWrite() error { return c.tunnel.closeWrite() }

// Close closes the Tunnel, which sends what it took first, and calls a
// parked reader back, whose TryRead then fails.
func (c *waitConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.tellWriter()
	err := c.t.Close()
	go c.fireRead() // not on the caller's goroutine, a writer's say
	return err
}

func (c *waitConn) LocalAddr() net.Addr  { return c.local }
func (c *waitConn) RemoteAddr() net.Addr { return c.remote }
