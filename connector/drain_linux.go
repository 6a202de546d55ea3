package connector

import (
	"errors"
	"time"

	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/timerwheel"
)

// Discarding an unread body on the epoll connector is selector work, like
// waiting for a head: the connection turns idle between the body's bytes,
// and the selector discards what arrives before it reads the next head.
// A client that dribbles a body the handler never read therefore holds no
// goroutine; DiscardTimeout and MaxDiscardBytes bound how long it holds the
// connection, which past either closes lingering (linger_linux.go): the
// client may still be sending. Meanwhile the connection is Reading or Idle, as between
// requests: Stats sees it so. Shutdown does not close it as it closes
// those, for the client may still be sending and a close would reset the
// connection, destroying what of the answer it has not read: the discard
// goes on within its bounds, and the connection closes at its end, as it
// closes when the server shuts down after any response; Shutdown waits
// for it as for a request in flight.

// drainThenPeek settles the connection after s, whose body is not read to
// its end, without waiting: it discards what of the body is here and, if
// the body ends, reads the next head as settleAndPeek does; otherwise the
// connection is idle until more comes. It returns the task that serves the
// next request, if one came.
func (c *conn) drainThenPeek(s *stream) (dispatcher.Task, bool) {
	c.io.(*fdConn).attach() // a read listener of the finished request must not fire now
	if s.hijacked || !s.mayDrain() {
		c.next(s) // closes, or lets go of a hijacked connection
		return dispatcher.Task{}, false
	}
	// Reading: the bytes before the next head are the body's rest.
	c.must(evNext)
	c.drain = s
	return c.readHeadNB()
}

// drainNB discards the rest of c.drain's body without waiting. It reports
// true once the body ended and the connection may read the next head;
// false when the connection is idle waiting for more of the body, or
// closed.
func (c *conn) drainNB() bool {
	if c.rbuf == nil {
		c.rbuf = c.srv.getReadBuffer() // a chunked body's framing is read into it
		c.r, c.w, c.scanned = 0, 0, 0
	}
	s := c.drain
	for {
		done, until, err := s.rbody().discardNB(c.srv.limits().MaxDiscardBytes)
		if done {
			c.drain = nil
			if s.rbody().settle(0) && !c.srv.shutting.Load() { // settled: kept if read to its end
				return true
			}
			if s.rbody().unread() {
				c.lingerClose() // more than may be discarded: the client may still be sending it
			} else {
				c.close()
			}
			return false
		}
		if !errors.Is(err, errWouldBlock) {
			c.drain = nil
			c.close()
			return false
		}
		// Waiting for more of a body (only one with bytes to read waits:
		// done sends none without bytes here, and discardNB would end
		// one above), until its deadline.
		s.body.x.drainBy = c.io.(*fdConn).sel.clock() + max(min(time.Until(until), timerwheel.MaxDelay), 0)
		switch err := c.io.(*fdConn).idleUnlessReadable(); err {
		case nil:
			continue // more came meanwhile
		case errWouldBlock:
			return false // the selector goes on when more comes
		default:
			c.drain = nil
			c.close()
			return false
		}
	}
}
