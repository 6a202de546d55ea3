package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wsframe"
)

// Sentinel errors of package websocket. OnClose reports most of them: see
// Handler.OnClose for which says what.
var (
	// ErrClosed is returned by Send after the connection began to close.
	ErrClosed = errors.New("websocket: connection closed")
	// ErrQueueFull is returned by Send when the peer does not read fast
	// enough: Config.SendQueue messages are already waiting. The message is
	// not sent; the caller decides whether to drop it or close (a Close
	// after it drops the queue: see Conn.Close).
	ErrQueueFull = errors.New("websocket: send queue full")
	// ErrIdle: the server closed the connection (1001, "idle") because no
	// message went either way for Config.IdleTimeout.
	ErrIdle = errors.New("websocket: idle timeout")
	// ErrPongTimeout: the server closed the connection (1001, "keep-alive
	// timeout") because nothing at all — no message, no pong, no ping —
	// came from the peer for PingInterval + PongTimeout (see
	// Config.PongTimeout).
	ErrPongTimeout = errors.New("websocket: nothing from the peer for PingInterval+PongTimeout")
	// ErrTooBig: the server closed the connection (1009, "message too
	// big") because the peer sent a message larger than Config.ReadLimit.
	ErrTooBig = errors.New("websocket: message larger than ReadLimit")
	// ErrProtocol: the server closed the connection (1002) because the
	// peer broke the protocol (an unmasked frame, a bad opcode...); the
	// error OnClose gets wraps it and says what.
	ErrProtocol = errors.New("websocket: protocol error")
	// ErrCloseTimeout: the server sent its close frame and the peer's did
	// not come back within Config.CloseTimeout.
	ErrCloseTimeout = errors.New("websocket: no close frame from the peer within CloseTimeout")
	// ErrAbnormalClosure: the connection ended without a close frame — the
	// peer closed or reset its TCP connection, or a write to it failed or
	// took longer than Config.WriteTimeout. The error OnClose gets wraps
	// it and the I/O error. (RFC 6455 calls this 1006, a code no frame
	// carries.)
	ErrAbnormalClosure = errors.New("websocket: connection lost without a close frame")
	// ErrAborted: Conn.Abort ended the connection.
	ErrAborted = errors.New("websocket: connection aborted")
	// ErrHTTP2 is the error of a WebSocket request made over HTTP/2 or
	// HTTP/3, answered 400: Wharf does not offer WebSocket over those
	// (RFC 8441, RFC 9220).
	ErrHTTP2 = errors.New("websocket: WebSocket over HTTP/2 (RFC 8441) or HTTP/3 (RFC 9220) is not offered: connect over HTTP/1.1")
	// ErrSubprotocol is the error of an Upgrade whose response chose, in
	// Sec-WebSocket-Protocol, a subprotocol the client did not offer;
	// the request is answered 500.
	ErrSubprotocol = errors.New("websocket: Sec-WebSocket-Protocol chose a subprotocol the client did not offer")
)

// Close codes (RFC 6455 §7.4.1) used by this package.
const (
	CloseNormal          = gws.CloseNormalClosure     // 1000: done
	CloseGoingAway       = gws.CloseGoingAway         // 1001: idle, keep-alive timeout, shutdown
	CloseProtocolError   = gws.CloseProtocolError     // 1002: the peer broke the protocol
	CloseUnsupportedData = gws.CloseUnsupportedData   // 1003: data the endpoint cannot take
	ClosePolicyViolation = gws.ClosePolicyViolation   // 1008: e.g. a peer too slow for its feed
	CloseTooBig          = gws.CloseMessageTooBig     // 1009: a message over ReadLimit
	CloseServerError     = gws.CloseInternalServerErr // 1011: a callback panicked
)

// Message is one WebSocket message.
type Message struct {
	Binary bool // a binary message; false: text (UTF-8)
	Data   []byte
}

// Text returns a text message.
func Text(s string) Message { return Message{Data: []byte(s)} }

// Handler receives a connection's events. Its methods are called on the
// connection's reader goroutine, one at a time: OnOpen first, OnMessage
// for each message in order, OnClose last and once. A slow callback delays
// the connection's reads, not its writes.
type Handler interface {
	OnOpen(c *Conn)
	OnMessage(c *Conn, m Message)
	// OnClose reports why the connection ended, once it has (the TCP
	// connection is closed):
	//
	//   - nil: a close handshake completed — the peer closed with 1000,
	//     1001 or no code and was answered, or it answered the close
	//     frame the server sent (Close, CloseNow, a container's
	//     Shutdown);
	//   - a *CloseError: the peer closed with another code, given with its
	//     reason (it was answered with the same code). A *CloseError
	//     always stands for a close frame the peer sent;
	//   - ErrIdle, ErrPongTimeout, ErrTooBig, or an error wrapping
	//     ErrProtocol: the server closed the connection for that reason,
	//     with the close frame each names;
	//   - ErrCloseTimeout: the server sent its close frame and the peer
	//     did not answer within CloseTimeout;
	//   - ErrAborted: Abort was called;
	//   - a *api.PanicError: a callback panicked (the server closed with
	//     1011);
	//   - an error wrapping ErrAbnormalClosure and the I/O error: the
	//     connection broke without a close frame (a TCP close or reset by
	//     the peer, a failed or timed-out write).
	//
	// When several happen, the first reason the server had to close wins
	// (a Close with a panic's 1011 that the peer then answers reports the
	// panic).
	OnClose(c *Conn, err error)
}

// CloseError is a close frame the peer sent with a code other than normal
// or going away.
type CloseError = gws.CloseError

// Conn is an open WebSocket connection. Send, Close, CloseNow, Abort,
// Request, Subprotocol and Done may be called from any goroutine.
type Conn struct {
	ws  *gws.Conn
	nc  net.Conn // the connection itself; gorilla's is a wireConn around it
	cfg Config
	req *api.Request
	h   Handler

	mu        sync.Mutex
	queue     []outgoing // messages waiting for the writer; a frame a direct write began first
	ctrl      []outgoing // pings and pongs: they go out ahead of queued messages
	closing   bool       // Close, CloseNow or Abort was called, or the reader ended: no more Sends
	sendClose bool       // once closing: a close frame is to go out (not after Abort or a lost connection)
	closeMsg  []byte     // the close frame's payload, once closing
	answered  bool       // the peer's close frame came after the server's close began
	overflow  bool       // Send returned ErrQueueFull: a Close drops the queue
	writing   bool       // a goroutine is writing to the socket (the writer, or a Send's direct write)
	cause     error      // the server's reason to close, for OnClose

	dropping      atomic.Bool // CloseNow or Abort: the writer stops sending queued messages
	gorillaClosed atomic.Bool // gorilla's read failed and it asked for a close frame (wireConn)

	rdl         time.Time  // the keep-alive's read deadline set last; the reader's alone
	dlMu        sync.Mutex // orders the reader's deadlines with the close handshake's
	readClosing bool       // the close handshake owns the read deadline; under dlMu

	raw     syscall.RawConn // the socket, for Send's direct non-blocking write; nil over TLS
	untrack func()          // leaves the container's shutdown set; nil without a container

	wake     chan struct{} // the writer has something to do
	done     chan struct{} // closed when both goroutines have ended
	lastSeen atomic.Int64  // unix nanos of the last frame in either direction, for IdleTimeout
}

type outgoing struct {
	op   byte // wsframe opcode, or opFramed
	data []byte
}

// opFramed marks outgoing bytes that are already framed: the rest of a
// direct write the socket did not take whole.
const opFramed = 0xff

// maxCtrl bounds the pings and pongs waiting: pongs beyond what a sane
// peer's pings need are dropped.
const maxCtrl = 8

func newConn(ws *gws.Conn, nc net.Conn, cfg Config, r *api.Request, h Handler) *Conn {
	c := &Conn{ws: ws, nc: nc, cfg: cfg, req: r, h: h, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if sc, ok := nc.(syscall.Conn); ok && directWrites {
		c.raw, _ = sc.SyscallConn() // TLS connections have none: their writes all go through the writer
	}
	return c
}

// Request returns the request that was upgraded.
func (c *Conn) Request() *api.Request { return c.req }

// Subprotocol returns the subprotocol the handshake chose, or "" if none.
func (c *Conn) Subprotocol() string { return c.ws.Subprotocol() }

// Done returns a channel closed once the connection is fully closed and
// OnClose has returned.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Send sends m without blocking: written at once on the calling goroutine
// when the connection is idle (a message up to 16 KiB, TCP only, one
// non-blocking write; the writer finishes what the socket did not take),
// else queued for the writer. It returns ErrClosed once the connection is
// closing, ErrQueueFull when SendQueue messages are waiting. Messages go
// out in the order Send was called.
func (c *Conn) Send(m Message) error {
	op := wsframe.OpText
	if m.Binary {
		op = wsframe.OpBinary
	}
	c.mu.Lock()
	switch {
	case c.closing:
		c.mu.Unlock()
		return ErrClosed
	case len(c.queue) >= c.cfg.sendQueue():
		c.overflow = true
		c.mu.Unlock()
		return ErrQueueFull
	}
	if len(c.queue) == 0 && len(c.ctrl) == 0 && !c.writing && c.raw != nil && len(m.Data) <= directMax {
		// Nothing waits and nobody writes: write it now, without waking
		// the writer goroutine. The write never blocks; what the socket
		// does not take goes to the writer.
		c.writing = true
		c.mu.Unlock()
		c.direct(wsframe.AppendFrame(make([]byte, 0, len(m.Data)+10), op, m.Data))
		return nil
	}
	c.queue = append(c.queue, outgoing{op, m.Data})
	c.mu.Unlock()
	c.signal()
	return nil
}

// directMax is the largest message Send writes on the caller's goroutine.
const directMax = 16 << 10

// direct makes one non-blocking write of frame; c.writing is set. The rest,
// if the socket took only part, goes to the front of the queue.
func (c *Conn) direct(frame []byte) {
	n, err := 0, error(nil)
	werr := c.raw.Write(func(fd uintptr) bool {
		n, err = writeFD(fd, frame)
		return true // never wait for the socket: the writer goroutine would
	})
	if err == syscall.EAGAIN || err == syscall.EINTR {
		n, err = 0, nil
	}
	switch {
	case errors.Is(werr, os.ErrDeadlineExceeded):
		// The writer's last deadline has passed, which says nothing about
		// this write: the writer sends it under a fresh one.
		n, err = 0, nil
	case werr != nil:
		err = werr
	}
	n = max(n, 0)
	c.touch()
	c.mu.Lock()
	c.writing = false
	if err == nil && n < len(frame) {
		c.queue = append([]outgoing{{opFramed, frame[n:]}}, c.queue...)
	}
	more := len(c.queue) > 0 || len(c.ctrl) > 0 || c.closing
	c.mu.Unlock()
	if err != nil {
		c.fail(err)
		return
	}
	if more {
		c.signal()
	}
}

// Close starts the close handshake: the messages already queued go out,
// then a close frame with code and reason (cut to the 123 bytes a close
// frame holds); the connection closes when the peer answers, or
// Config.CloseTimeout after the close frame went out. If Send has
// returned ErrQueueFull on this connection, Close acts as CloseNow: a
// peer that could not keep up would otherwise reach its close frame only
// after the backlog it could not read. Calling Close again does nothing.
func (c *Conn) Close(code int, reason string) {
	c.startClose(closeFrame(code, reason), false, nil)
}

// CloseNow starts the close handshake at once: the messages still queued
// are dropped (a message the socket has begun to take is finished, so
// frames stay whole), and the close frame is the next thing the peer
// reads. Use it to end a peer that does not keep up, e.g. with 1008
// (ClosePolicyViolation). Called after Close, it drops what Close would
// still have sent; the close frame is the first one's.
func (c *Conn) CloseNow(code int, reason string) {
	c.startClose(closeFrame(code, reason), true, nil)
}

// Abort ends the connection at once without a close handshake: queued
// messages are dropped and the TCP connection is closed, so the peer
// sees it drop (a browser reports 1006). OnClose gets ErrAborted. Use it
// for a peer not worth a goodbye; Close and CloseNow are the polite ways.
func (c *Conn) Abort() {
	c.mu.Lock()
	c.closing, c.sendClose = true, false
	if c.cause == nil {
		c.cause = ErrAborted
	}
	c.dropping.Store(true)
	c.queue, c.ctrl = nil, nil
	c.mu.Unlock()
	c.nc.Close() // the reader, and a write under way, fail at once
	c.signal()
}

// goingAway starts the close a server's shutdown asks for.
func (c *Conn) goingAway() { c.Close(CloseGoingAway, "server shutting down") }

// startClose begins closing with a close frame carrying payload; now
// drops the queue ahead of it; cause is the server's reason for OnClose.
// Once closing, only the dropping of the queue can still change.
func (c *Conn) startClose(payload []byte, now bool, cause error) {
	c.mu.Lock()
	if !c.closing {
		c.closing, c.sendClose, c.closeMsg = true, true, payload
		if c.cause == nil {
			c.cause = cause
		}
		now = now || c.overflow
	} else if !now || c.dropping.Load() {
		c.mu.Unlock()
		return
	}
	if now {
		c.dropping.Store(true)
		keep := 0
		if len(c.queue) > 0 && c.queue[0].op == opFramed {
			keep = 1 // the peer has part of this frame: it must get the rest
		}
		clear(c.queue[keep:])
		c.queue = c.queue[:keep]
	}
	c.mu.Unlock()
	c.signal()
}

// closeFrame is a close frame's payload: code, and reason cut on a
// character boundary to what a control frame holds.
func closeFrame(code int, reason string) []byte {
	const maxReason = 125 - 2
	if len(reason) > maxReason {
		reason = reason[:maxReason]
		for len(reason) > 0 && !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	return gws.FormatCloseMessage(code, reason)
}

// control queues a ping or a pong for the writer, ahead of the messages
// waiting; beyond maxCtrl waiting, or once closing, it is dropped.
func (c *Conn) control(op byte, data []byte) {
	c.mu.Lock()
	if c.closing || len(c.ctrl) >= maxCtrl {
		c.mu.Unlock()
		return
	}
	c.ctrl = append(c.ctrl, outgoing{op, data})
	c.mu.Unlock()
	c.signal()
}

func (c *Conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *Conn) touch() { c.lastSeen.Store(time.Now().UnixNano()) }

// serve runs the connection: the writer on a goroutine of its own, the
// reader (and every callback) on the calling one.
func (c *Conn) serve() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.write()
	}()
	err := c.ended(c.read())
	// The reader is done: let the writer finish the close handshake (or
	// give up), then report.
	<-writerDone
	c.nc.Close()
	c.safely(func() { c.h.OnClose(c, err) })
	close(c.done)
	if c.untrack != nil {
		c.untrack()
	}
}

// read is the reader loop; it returns the error that ended it.
func (c *Conn) read() error {
	c.ws.SetReadLimit(c.cfg.readLimit())
	c.ws.SetPongHandler(func(string) error {
		c.touch()
		c.alive(true)
		return nil
	})
	// Pongs and the answer to a close frame go through the writer too,
	// ahead of queued messages: in order, in few system calls.
	c.ws.SetPingHandler(func(data string) error {
		c.touch()
		c.alive(true)
		c.control(wsframe.OpPong, []byte(data))
		return nil
	})
	c.ws.SetCloseHandler(func(code int, text string) error {
		c.mu.Lock()
		if c.closing && c.sendClose {
			c.answered = true // the peer answers the server's close
		}
		c.mu.Unlock()
		echo := gws.FormatCloseMessage(code, "")
		if code == gws.CloseNoStatusReceived {
			echo = nil // a close frame without a code is answered without one
		}
		// The peer said goodbye: what is still queued for it is moot.
		c.startClose(echo, true, nil)
		return nil
	})
	c.alive(true)
	c.touch()
	c.safely(func() { c.h.OnOpen(c) })
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return err
		}
		c.touch()
		c.alive(false)
		c.safely(func() { c.h.OnMessage(c, Message{Binary: typ == gws.BinaryMessage, Data: data}) })
	}
}

// alive moves the read deadline, the keep-alive's: a peer that sends
// nothing at all — no message, no pong, no ping — for PingInterval +
// PongTimeout is taken for dead. A ping or a pong (exact) sets it to that
// from now; a data message moves it only when less than that is left, to
// a quarter more, so that a busy connection does not reset the runtime's
// timer on every message. The close handshake, once under way, owns the
// deadline (CloseTimeout) and alive leaves it.
func (c *Conn) alive(exact bool) {
	if c.cfg.pingInterval() < 0 {
		return
	}
	d := c.cfg.pingInterval() + c.cfg.pongTimeout()
	now := time.Now()
	if !exact && c.rdl.Sub(now) >= d {
		return // the common case for a busy connection: no lock, no timer
	}
	dl := now.Add(d)
	if !exact {
		dl = dl.Add(d / 4)
	}
	c.dlMu.Lock()
	defer c.dlMu.Unlock()
	if !c.readClosing {
		c.rdl = dl
		c.nc.SetReadDeadline(dl)
	}
}

// awaitClose gives the peer CloseTimeout to answer the close frame just
// sent.
func (c *Conn) awaitClose() {
	c.dlMu.Lock()
	c.readClosing = true
	c.nc.SetReadDeadline(time.Now().Add(c.cfg.closeTimeout()))
	c.dlMu.Unlock()
}

// ended turns the error that ended the reader into OnClose's, and starts
// whatever close is still to be made: the keep-alive's close frame, or
// none when the connection is lost.
func (c *Conn) ended(err error) error {
	var ce *gws.CloseError
	switch {
	case errors.As(err, &ce) && ce.Code != gws.CloseAbnormalClosure:
		// The peer's close frame: the close handler answered it, or it
		// answered the server's.
		c.mu.Lock()
		answered := c.answered
		c.mu.Unlock()
		if answered || ce.Code == CloseNormal || ce.Code == CloseGoingAway || ce.Code == gws.CloseNoStatusReceived {
			err = nil
		}
	case errors.Is(err, gws.ErrReadLimit):
		// gorilla asked for this close frame already (wireConn), unless its
		// length counter overflowed.
		c.startClose(closeFrame(CloseTooBig, "message too big"), true, ErrTooBig)
		err = ErrTooBig
	case c.gorillaClosed.Load():
		// A protocol error: its close frame is on its way, with the cause.
	case isTimeout(err):
		c.dlMu.Lock()
		handshake := c.readClosing
		c.dlMu.Unlock()
		if handshake {
			err = ErrCloseTimeout
			break
		}
		c.startClose(closeFrame(CloseGoingAway, "keep-alive timeout"), true, ErrPongTimeout)
		err = ErrPongTimeout
	default:
		// No close frame came and none can go: the peer is gone (or Abort,
		// or a failed write, closed the connection, and said so as the
		// cause).
		if errors.As(err, &ce) {
			// gorilla's stand-in for an EOF: no frame said 1006.
			err = io.ErrUnexpectedEOF
		}
		err = fmt.Errorf("%w: %w", ErrAbnormalClosure, err)
		c.mu.Lock()
		c.closing, c.sendClose = true, false
		if c.cause == nil {
			c.cause = err
		}
		c.mu.Unlock()
		c.nc.Close() // a write under way fails now rather than at WriteTimeout
		c.signal()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause != nil { // the server's own reason: idle, too big, a panic, a failed write...
		return c.cause
	}
	return err
}

// write is the writer loop: pings, pongs and queued messages, the idle
// check and the close frame.
func (c *Conn) write() {
	var pings <-chan time.Time
	var pingTimer *time.Timer
	if p := c.cfg.pingInterval(); p > 0 {
		// A timer, not a ticker: the next ping is due PingInterval after
		// this one went out, whatever the timer's jitter.
		pingTimer = time.NewTimer(p)
		defer pingTimer.Stop()
		pings = pingTimer.C
	}
	var idleCheck <-chan time.Time
	var idleTimer *time.Timer
	if idle := c.cfg.idleTimeout(); idle > 0 {
		idleTimer = time.NewTimer(idle)
		defer idleTimer.Stop()
		idleCheck = idleTimer.C
	}
	nc := c.nc
	var buf []byte // frames to write, several messages in one system call
	var deadline time.Time
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		deadline = refreshDeadline(nc.SetWriteDeadline, deadline, c.cfg.writeTimeout())
		_, err := nc.Write(buf)
		if cap(buf) > 1<<20 {
			buf = nil // do not keep a huge message's buffer
		} else {
			buf = buf[:0]
		}
		return err
	}
	for {
		c.mu.Lock()
		if c.writing {
			// A Send is writing directly; it signals when it leaves work.
			c.mu.Unlock()
		} else {
			c.writing = true
			ctrl, batch := c.ctrl, c.queue
			c.ctrl, c.queue = nil, nil
			closing, sendClose, frame := c.closing, c.sendClose, c.closeMsg
			c.mu.Unlock()
			if closing && !sendClose {
				return // aborted, or the peer is gone: nothing more to say
			}
			i := 0
			if len(batch) > 0 && batch[0].op == opFramed {
				// The peer has the start of this frame: the rest comes first.
				buf = append(buf, batch[0].data...)
				i = 1
			}
			for _, m := range ctrl {
				buf = wsframe.AppendFrame(buf, m.op, m.data)
			}
			sent := len(ctrl) > 0 || i > 0
			for ; i < len(batch) && !c.dropping.Load(); i++ {
				buf = wsframe.AppendFrame(buf, batch[i].op, batch[i].data)
				batch[i] = outgoing{}
				sent = true
				if len(buf) >= 64<<10 {
					if err := flush(); err != nil {
						c.fail(err)
						return
					}
				}
			}
			if sent {
				c.touch()
			}
			if closing {
				buf = wsframe.AppendFrame(buf, wsframe.OpClose, frame)
			}
			err := flush()
			c.mu.Lock()
			c.writing = false
			c.mu.Unlock()
			if err != nil {
				c.fail(err)
				return
			}
			if closing {
				// Exactly one close frame: it is out; wait for the reader
				// to see the peer's, or not.
				c.awaitClose()
				return
			}
		}
		select {
		case <-c.wake:
		case <-pings:
			c.control(wsframe.OpPing, nil) // queued: a Send may be writing now
			pingTimer.Reset(c.cfg.pingInterval())
		case now := <-idleCheck:
			idle := c.cfg.idleTimeout()
			if quiet := now.Sub(time.Unix(0, c.lastSeen.Load())); quiet < idle {
				idleTimer.Reset(idle - quiet)
				continue
			}
			c.startClose(closeFrame(CloseGoingAway, "idle"), false, ErrIdle)
		}
	}
}

// fail ends a connection the writer (or a direct Send) could not write
// to.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	c.closing, c.sendClose = true, false
	if c.cause == nil {
		c.cause = fmt.Errorf("%w: %w", ErrAbnormalClosure, err)
	}
	c.mu.Unlock()
	c.nc.Close() // the reader wakes with an error
	// The writer may be asleep (a failed direct Send happens on another
	// goroutine): wake it to see closing and end, or the reader, done,
	// would wait for it until the next keep-alive tick.
	c.signal()
}

// safely runs a callback; a panic closes the connection with 1011 instead
// of killing the process.
func (c *Conn) safely(f func()) {
	defer func() {
		if p := recover(); p != nil {
			c.cfg.logger().Error("websocket: panic in a handler callback", "panic", p)
			c.startClose(closeFrame(CloseServerError, ""), true, &api.PanicError{Value: p})
		}
	}()
	f()
}

// refreshDeadline moves a deadline that is set to now + d only when less
// than half of d is left: every call still gets at least d/2, and a busy
// connection does not move the runtime's timer on every message.
func refreshDeadline(set func(time.Time) error, cur time.Time, d time.Duration) time.Time {
	now := time.Now()
	if cur.Sub(now) >= d/2 {
		return cur
	}
	cur = now.Add(d)
	set(cur)
	return cur
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// wireConn is the connection as gorilla sees it. gorilla reads from it;
// it writes nothing on its own but the close frame it sends when a read
// breaks the protocol or ReadLimit, and that frame goes through the
// Conn's writer instead: in order with what is queued, and as the one
// close frame the connection sends.
type wireConn struct {
	net.Conn
	c *Conn // nil during the handshake: the 101 goes out as it is
}

func (w *wireConn) Write(p []byte) (int, error) {
	if w.c == nil {
		return w.Conn.Write(p)
	}
	if f, _, err := wsframe.Parse(p); err == nil && f.Opcode == wsframe.OpClose {
		w.c.gorillaClose(f.Payload)
	}
	return len(p), nil
}

// gorillaClose sends the close frame gorilla asked for after a failed
// read, with its cause.
func (c *Conn) gorillaClose(payload []byte) {
	code := 0
	if len(payload) >= 2 {
		code = int(binary.BigEndian.Uint16(payload))
	}
	c.gorillaClosed.Store(true)
	switch code {
	case CloseTooBig:
		c.startClose(closeFrame(CloseTooBig, "message too big"), true, ErrTooBig)
	case CloseProtocolError:
		c.startClose(append([]byte(nil), payload...), true, fmt.Errorf("%w: %s", ErrProtocol, payload[2:]))
	default:
		c.startClose(append([]byte(nil), payload...), true, nil)
	}
}
