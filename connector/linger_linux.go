package connector

import (
	"io"

	"github.com/wharf-go/wharf/internal/netpoll"
)

// A lingering close on the epoll connector is selector work, like a drain
// (drain_linux.go): once the sending side is shut, the connection is idle
// with c.lingering set, and each time bytes come the selector discards them
// (lingerNB) rather than read a head. It closes when the client ends its
// side or breaks the connection, or when its idle timer fires at headAt.
// Meanwhile it is idle, as between requests, but Shutdown does not close it
// as it closes those: the client may still be sending, and a close then
// resets the connection, destroying what of the answer it has not read.
// Shutdown waits for it as for a request in flight; the timer bounds that.
// Over TLS the sending side is shut only once the records the socket did
// not take yet (fdTLS.pend) went, and the client's end does not close the
// connection before: a close or a shut then would end the stream on a
// record cut short. The timer bounds that wait too, but the connection
// closes as soon as they went, whoever owned it then. The selector sends
// them at a writable edge (flushPending) after it looked whether the
// connection is idle, and the shut raises an edge of its own (the kernel
// wakes the socket's watchers at a shutdown): an idle connection is
// taken at one of them, and reads the client's end again. An owner that
// read that end and let the connection go idle after both edges looked
// finds the side shut, and takes the connection back to close it;
// without that look, a Shutdown or an executor's goroutine that read the
// end while the selector sent the rest left it idle with no edge to come.

// lingerPass bounds what one pass of lingerNB discards, so that a client
// that keeps sending cannot hold the selector's producer: past it the
// connection waits for the next edge, or its timer.
const lingerPass = 64 << 10

// lingerClose implements connIO. The owner of a connection Serving or
// Detached (a response just finished) or Reading (a head refused) calls it.
func (f *fdConn) lingerClose() {
	c := f.c
	if st := c.state(); st != connReading && !c.fire(evNext) {
		c.close()
		return
	}
	f.closeNotify()
	if f.shutWrite() != nil {
		c.close()
		return
	}
	if c.rbuf != nil {
		c.dropReadBuffer() // what it holds is input nobody reads now
	}
	c.drain = nil
	c.lingering = true
	c.headAt = f.sel.clock() + or(c.srv.Config.testLinger, lingerTimeout)
	c.lingerNB()
}

// lingerNB discards what the client of a lingering connection sent,
// without waiting, and closes the connection at its end; otherwise the
// connection turns idle until more comes. Its owner calls it, Reading.
func (c *conn) lingerNB() {
	f := c.io.(*fdConn)
	var buf [4096]byte
	for n := 0; n < lingerPass; n += len(buf) {
		_, err := f.Conn.ReadNow(buf[:]) // beneath TLS: nothing read is wanted
		switch {
		case err == netpoll.ErrAgain:
			switch f.idleLingering(true) {
			case nil:
				continue // more came meanwhile
			case errWouldBlock:
				return
			}
			c.close()
			return
		case err == io.EOF && f.tls != nil && f.tls.shutWaits():
			// The client ended its side, but the answer's last records
			// wait for the socket to take them: they go at its
			// writability (flushPending), and the timer ends the wait.
			if h := c.srv.Config.testLingerEnd; h != nil {
				h()
			}
			f.idleLingering(false)
			// The selector may have sent them and shut the side since
			// shutWaits looked, its edges finding the connection not
			// idle: taken back, it closes, unless another took it.
			if f.tls.shutWaits() || !c.claim() {
				return
			}
			c.close()
			return
		case err != nil: // its end (the client read the answer and closed), or a reset
			c.close()
			return
		}
	}
	if f.sel.clock() >= c.headAt || f.idleLingering(false) != errWouldBlock {
		c.close()
	}
}

// idleLingering lets go of a lingering connection, as idleUnless does of
// one waiting for a head: nil if it was readable meanwhile (with
// readable set; read again), else errWouldBlock. Without readable it
// turns idle whatever came, to wait for the next edge: a pass ended with
// bytes still in the socket. Unlike idleUnless it does so when the
// server shuts down too: the linger ends as its timer says (see above).
func (f *fdConn) idleLingering(readable bool) error {
	c := f.c
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if readable && f.Readable {
		return nil
	}
	c.toIdle()
	f.armIdleLocked()
	return errWouldBlock
}
