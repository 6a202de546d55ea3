package connector

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/h1"
)

// pendingKind says what runPending does with the pending request.
type pendingKind uint8

const (
	pendServe       pendingKind = iota // serve it on a goroutine that may block (EPC or PEC)
	pendServeInline                    // serve it on the producer (PC): its handler is NonBlocking
)

type conn struct {
	srv          *Server
	lprev, lnext *conn    // in the server's connList, under its mutex
	nc           net.Conn // the portable connector's socket; nil on epoll until handed over
	io           connIO   // how it is read and written: the platform's side

	// The small fields share words (a read buffer's offsets fit 32 bits:
	// it is never larger than a head's limits allow), and instants are
	// kept on the selector's clock (8 bytes, where a time.Time takes 24),
	// so that a connection fits the 208-byte size class.
	st       atomic.Uint32 // a connState, changed only by fire (state.go)
	nreq     uint16        // requests read on the connection, up to its limit (only 0 and 1 are told apart)
	listed   bool          // in the server's connList
	pendKind pendingKind   // what pending is for (see below)
	drained  bool          // the epoll connector's last head read came back short (fdConn.fill)
	urgent   bool          // urgent data came, so a short read says nothing (epoll; under the fdConn's Mu)
	// lingering says the epoll connector closes the connection once the
	// client has read its answer (lingerClose): the selector discards
	// what comes until then, and headAt is when it gives up.
	lingering bool
	r, w      int32 // unconsumed bytes are rbuf[r:w]
	scanned   int32 // bytes of rbuf[r:scanned] were parsed and held no complete head

	rbuf []byte // read buffer; nil while idle (epoll)
	// headAt is when the first byte of a pending head arrived, on the
	// selector's clock (selector.clock); zero for none (epoll). A
	// lingering connection has no head to wait for: headAt is when it
	// closes.
	headAt time.Duration
	// drain is the finished request whose unread body the epoll connector
	// discards, as bytes come, before it reads the next head (drain.go).
	drain *stream

	// The epoll connector's hand-over of a parsed request to the strategy:
	// pending is the request, run is made once per connection.
	pending *stream
	run     func()  // runPending, made once
	cur     *stream // the request being read or served
	wbuf    []byte  // write buffer of the current response

	// info is what every request of the connection says of it: its
	// addresses, and its TLS state, set by the handshake before any
	// request; each request's head points at it. It is an allocation of
	// its own, so that a request that outlives its exchange (Detach)
	// keeps these 48 bytes alive, not the connection and what it holds.
	info *api.ConnInfo
}

// newConn makes the portable connector's connection for nc, ready.
func newConn(s *Server, nc net.Conn) *conn {
	p := &portableIO{conn: conn{srv: s, nc: nc, rbuf: s.getReadBuffer()}}
	c := &p.conn
	c.io = p
	c.info = &api.ConnInfo{RemoteAddr: nc.RemoteAddr().String(), LocalAddr: nc.LocalAddr().String()}
	c.must(evReady)
	return c
}

// close closes the connection once, from any state: the first caller wins
// (evClose from Closed is refused), so its owner, whoever claimed it idle,
// and the portable reader that gives up on an idle connection it no longer
// owns may all call it.
func (c *conn) close() {
	if !c.fire(evClose) {
		return
	}
	// Say goodbye over TLS, wake whoever waits on the socket, then make sure no goroutine the
	// handler started is inside the body before the socket (and, on epoll,
	// the buffer) goes.
	c.io.closeNotify()
	c.io.breakConn()
	if s := c.cur; s != nil {
		s.body.mu.Lock()
		s.body.settled = true
		s.body.mu.Unlock()
	}
	c.io.Close()
	c.srv.removeConn(c)
}

// toIdle lets go of the connection while its owner waits for bytes: from
// now on anyone may claim it. It reports false if the server is shutting
// down, when Shutdown may have looked for idle connections before this one
// was: the caller then closes it (close is safe to race: one wins).
func (c *conn) toIdle() bool {
	c.fire(evWait) // refused if it is idle already (not read from yet) or closed
	return !c.srv.shutting.Load()
}

// start serves a connection the portable connector just accepted: over
// TLS, after the handshake, and as HTTP/2 when ALPN chose it.
func (c *conn) start() {
	if tc, ok := c.nc.(*tls.Conn); ok {
		if !c.handshake(tc) {
			c.close()
			return
		}
		if c.info.TLS.NegotiatedProtocol == "h2" {
			if c.srv.Config.HTTP2 == nil {
				c.close() // an HTTP/2 client: HTTP/1.1 means nothing to it
				return
			}
			c.handOver(nil)
			return
		}
	}
	c.serve()
}

// serve reads requests and dispatches them until the connection closes or a
// request suspends (then the finisher of that request calls serve again).
func (c *conn) serve() {
	p := c.io.(*portableIO)
	returned := false
	defer func() {
		if v := recover(); v != nil {
			c.srv.Config.logger().Error("connector: panic serving connection", "panic", v)
		}
		if !returned {
			// A panic, or a handler's runtime.Goexit (t.FailNow under
			// test), which no recover stops: the goroutine that owns the
			// connection is going, and nobody would read from it again.
			c.close()
			p.endWatch() // the close ends its read
		}
	}()
	c.serveRequests(p)
	returned = true
}

// serveRequests is serve's loop.
func (c *conn) serveRequests(p *portableIO) {
	for {
		s, res := c.readRequest()
		if res == readH2C || res == readH2CUpgrade {
			c.handOver(s)
			return
		}
		switch res {
		case readAnswered:
			c.lingerClose()
			return
		case readClose:
			c.close()
			return
		}
		c.must(evHead)
		p.dispatching(s)
		c.srv.Handler.ServeStream(s)
		p.endWatch()
		if s.handoff.Load() == hoServing {
			// Probably suspended: a waiting request keeps no read buffer
			// (on TLS, crypto/tls's own buffers are what it holds). Then
			// mark it before it leaves: once hoLeave is taken, the
			// finisher owns the connection state.
			c.releaseIdleReadBuffer(s)
			c.must(evSuspend)
			if _, ok := s.handoff.fire(hoLeave); ok {
				return // Finish or Abort picks the connection up
			}
		}
		if !c.next(s) {
			return
		}
	}
}

// next settles the connection after a response and reports whether to read
// another request; if not, the connection is closed or, when hijacked, let
// go.
func (c *conn) next(s *stream) bool {
	if s.hijacked {
		c.must(evClose)
		// Neither the Tunnel nor a hijacker reads the buffer (Hijack
		// handed over a copy of what was read past the head), and
		// neither needs the request: the buffer goes back to the pool.
		c.dropReadBuffer()
		c.cur, c.pending = nil, nil
		// A hijacked connection left the books at Hijack; a Tunnel keeps
		// the socket, and the connection in the books until it closes.
		if !s.tunneled {
			c.srv.hijacking.Add(-1)
		}
		return false
	}
	if !c.afterResponse(s) {
		if !s.aborted && s.werr == nil && s.rbody().unread() {
			c.lingerClose() // more of the body may be on its way
		} else {
			c.close()
		}
		return false
	}
	return true
}

// lingerTimeout bounds a lingering close (lingerClose), as net/http's
// server and the HTTP/2 connector bound theirs.
const lingerTimeout = 500 * time.Millisecond

// lingerClose closes the connection after an answer while the client may
// still be sending what this side will not read: a body too large to
// discard, refused, or never invited, or the rest of a refused head.
// Closing a socket with unread input resets the connection, and the reset
// destroys what of the answer is still in flight or unread in the
// client's buffers: a client sending a large upload then sees "connection
// reset" instead of its 413. So the sending side is shut first, and what
// the client sends is discarded until it ends its own side, for at most
// lingerTimeout; then the connection closes. The portable connector
// waits for that on the connection's goroutine; the epoll connector's
// selector discards as bytes come, and no goroutine waits.
//
// The connection's owner calls it.
func (c *conn) lingerClose() {
	if s := c.cur; s != nil {
		b := &s.body
		if !b.mu.TryLock() {
			c.close() // a goroutine of the handler is inside the body: only a close wakes it
			return
		}
		b.settled = true // the socket's input is the linger's now
		b.mu.Unlock()
	}
	c.io.lingerClose()
}

// resume continues a connection after a suspended request finished.
func (c *conn) resume(s *stream) {
	if c.next(s) {
		c.serve()
	}
}

// afterResponse prepares the connection for the next request: it settles the
// request body (discarding a small unread rest) and reports whether the
// connection may be kept alive.
func (c *conn) afterResponse(s *stream) bool {
	if s.aborted || s.closeAfter || s.werr != nil || s.bodyClose.Load() {
		return false
	}
	if !s.rbody().settle(c.srv.limits().MaxDiscardBytes) {
		return false
	}
	if c.srv.shutting.Load() {
		return false
	}
	c.must(evNext)
	return true
}

// releaseWriteBuffer gives the write buffer back once a response is sent:
// a connection between responses holds none.
func (c *conn) releaseWriteBuffer() {
	if c.wbuf != nil {
		c.srv.putReadBuffer(c.wbuf[:cap(c.wbuf)])
		c.wbuf = nil
	}
}

// dropReadBuffer gives the read buffer back to the server's pool and
// forgets its offsets. The caller owns the connection and knows that
// nothing left in the buffer is still wanted.
func (c *conn) dropReadBuffer() {
	c.srv.putReadBuffer(c.rbuf)
	c.rbuf, c.r, c.w, c.scanned = nil, 0, 0, 0
}

// releaseIdleReadBuffer gives the read buffer back while a request is
// suspended, if nothing is pending in it and the body can no longer need
// it (none, or read to its end).
func (c *conn) releaseIdleReadBuffer(s *stream) {
	// Under the body's lock: a goroutine of the handler may be reading the
	// body, moving r and w. If it holds the lock now it may be waiting for
	// the client, and this goroutine may be the producer that would wake
	// it: the buffer is in use anyway, so keep it rather than wait.
	if !s.body.mu.TryLock() {
		return
	}
	defer s.body.mu.Unlock()
	if c.rbuf == nil || c.r != c.w {
		return
	}
	if s.body.kind == bodyNone || s.body.err != nil {
		c.dropReadBuffer()
	}
}

// makeRoom makes room after the unread bytes of the read buffer, moving
// them to its start or else growing it up to limit bytes (and never past
// what the buffer's 32-bit offsets reach); false if it is full at the
// limit.
func (c *conn) makeRoom(limit int) bool {
	limit = min(limit, math.MaxInt32)
	switch {
	case c.r == c.w:
		c.r, c.w, c.scanned = 0, 0, 0
		return true
	case int(c.w) < len(c.rbuf):
		return true
	case c.r == 0 && len(c.rbuf) >= limit:
		return false
	}
	buf := c.rbuf
	if c.r == 0 {
		buf = make([]byte, min(2*len(c.rbuf), limit))
	}
	c.scanned -= c.r
	c.w = int32(copy(buf, c.rbuf[c.r:c.w]))
	c.r = 0
	c.rbuf = buf
	return true
}

// readResult is how readRequest ended.
type readResult uint8

const (
	readOK         readResult = iota // a request head is parsed
	readClose                        // EOF, timeout or a protocol error not answered: close
	readAnswered                     // a protocol error, answered: close after the client read the answer (lingerClose)
	readWouldBlock                   // non-blocking mode: the socket has nothing more now
	readH2C                          // the HTTP/2 preface opened the connection (h2c with prior knowledge): hand it over
	readH2CUpgrade                   // the first request asks to switch to h2c ("Upgrade: h2c"): hand it over
)

// readRequest reads and parses the next request head. On a protocol error
// it answers with the error's status and reports readAnswered; on EOF or
// timeout with nothing read it reports readClose silently. On the epoll
// connector it never blocks: it reports readWouldBlock instead, and the
// selector calls it again when bytes arrive.
func (c *conn) readRequest() (*stream, readResult) {
	cl := c.srv.limits()
	lim := h1.Limits{MaxHeaderBytes: cl.MaxHeaderBytes, MaxURILength: cl.MaxURILength, MaxHeaders: cl.MaxHeaders}
	maxBuf := cl.MaxHeaderBytes + 4096
	if c.rbuf == nil {
		c.rbuf = c.srv.getReadBuffer()
		c.r, c.w, c.scanned = 0, 0, 0
	}
	first := true
	if c.scanned < c.r {
		c.scanned = c.r
	}
	for {
		// Parse only when new bytes could complete the head (a '\n' arrived)
		// or could break a limit, so a client sending a byte at a time does
		// not make every read rescan the whole head.
		if c.w > c.r && (c.scanned == c.r || bytes.IndexByte(c.rbuf[c.scanned:c.w], '\n') >= 0 || int(c.w-c.r) > lim.MaxURILength) {
			c.scanned = c.w
			h := c.srv.getHead()
			n, err := h1.ParseRequestHead(c.rbuf[c.r:c.w], lim, h)
			if err == nil {
				s := newStream(c, h, c.rbuf[c.r:int(c.r)+n], cl)
				if c.nreq < math.MaxUint16 {
					c.nreq++
				}
				c.srv.putHead(h)
				c.cur = s
				c.headAt = 0
				if s.body.kind != bodyNone {
					c.drained = false // its body is read from the socket too
				}
				c.r += int32(n)
				c.scanned = c.r
				if s.rejected != 0 {
					c.writeError(int(s.rejected), "")
					return nil, readAnswered
				}
				if c.nreq == 1 && c.h2cEnabled() && c.wantsUpgrade(s) {
					return s, readH2CUpgrade
				}
				return s, readOK
			}
			c.srv.putHead(h)
			if c.nreq == 0 && c.h2cEnabled() {
				if bytes.HasPrefix(c.rbuf[c.r:c.w], handoverPreface) {
					return nil, readH2C
				}
				if bytes.HasPrefix(handoverPreface, c.rbuf[c.r:c.w]) {
					// The preface cut after its first line, a whole
					// request line that fails to parse: wait for the
					// rest rather than close on an HTTP/2 client.
					err = h1.ErrIncomplete
				}
			}
			if !errors.Is(err, h1.ErrIncomplete) {
				// A target past MaxURILength is an HTTP/1 request line's,
				// met before its version may have come (the parser says so
				// as soon as it is certain): the preface's target is "*".
				if c.nreq == 0 && c.h2cEnabled() && !errors.Is(err, h1.ErrURITooLong) && !h1.LooksHTTP1(c.rbuf[c.r:c.w]) {
					// Not HTTP/1 at all on a port that takes h2c: a broken
					// HTTP/2 preface, which RFC 9113 §3.4 answers by
					// closing (an HTTP/1.1 400 would mean nothing to it).
					return nil, readClose
				}
				var pe *h1.Error
				status := 400
				if errors.As(err, &pe) {
					status = pe.Status
				}
				c.writeError(status, err.Error())
				return nil, readAnswered
			}
		}
		if !c.makeRoom(maxBuf) {
			c.writeError(431, h1.ErrHeaderTooLarge.Error())
			return nil, readAnswered
		}
		// No byte of this request yet: the empty lines a client may send
		// after its last request begin none (h1.OnlyEmptyLines), so
		// IdleTimeout bounds the wait, not ReadHeaderTimeout and its 408.
		waiting := h1.OnlyEmptyLines(c.rbuf[c.r:c.w])
		n, err := c.io.fill(waiting, first)
		if err == errWouldBlock {
			return nil, readWouldBlock
		}
		first = first && waiting
		c.w += int32(n)
		if err != nil && n == 0 {
			if !waiting && errors.Is(err, os.ErrDeadlineExceeded) {
				c.writeError(408, "request header timeout")
				return nil, readAnswered
			}
			return nil, readClose
		}
	}
}

// writeError answers a request that never reached the handler, before the
// connection closes (lingerClose). msg is also the refusal's logged reason.
func (c *conn) writeError(status int, msg string) {
	reason := msg
	if reason == "" {
		reason = http.StatusText(status)
	}
	c.refused(status, "HTTP/1.1", reason, nil)
	b := h1.AppendError(c.wbuf[:0], status, msg)
	c.wbuf = b[:0]
	c.io.answer(b)
}

// refused logs, at Debug, a request the connector refused itself: no
// filter saw it, so no access log has it, and without this line a
// slowloris or a header flood would leave no trace. status is 0 when the
// connection was closed with no answer. The reason is reason followed by
// err's text, if err is not nil: nothing is built, not even that text,
// unless Debug is enabled, as refusals are what a flood is made of.
func (c *conn) refused(status int, proto, reason string, err error) {
	l := c.srv.Config.logger()
	if !l.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	if err != nil {
		reason += err.Error()
	}
	l.LogAttrs(context.Background(), slog.LevelDebug, "connector: request refused",
		slog.String("remote", c.info.RemoteAddr),
		slog.Int("status", status),
		slog.String("reason", reason),
		slog.String("proto", proto))
}
