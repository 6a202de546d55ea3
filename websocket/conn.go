package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/lazydone"
	"github.com/wharf-go/wharf/internal/timerwheel"
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
	// ErrInvalidUTF8: the server closed the connection (1007) because the
	// peer sent a text message that is not UTF-8 (RFC 6455 §8.1), or a
	// close frame whose reason is not (the error OnClose gets then wraps
	// it and says so). Send
	// returns it, and sends nothing, for a text message of its own that
	// is not UTF-8, which the peer would close the connection for.
	ErrInvalidUTF8 = errors.New("websocket: text message is not valid UTF-8")
	// ErrCloseTimeout: the server sent its close frame and the peer's did
	// not come back within Config.CloseTimeout.
	ErrCloseTimeout = errors.New("websocket: no close frame from the peer within CloseTimeout")
	// ErrConfig: a Config field holds a value it has no meaning for (a
	// negative limit or timeout where only PingInterval and IdleTimeout
	// take one). NewHandler panics with it; Upgrade returns it.
	ErrConfig = errors.New("websocket: invalid configuration")
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
	// ErrHTTP10 is the error of a WebSocket request made over HTTP/1.0,
	// answered 400: the handshake needs HTTP/1.1 (RFC 6455 §4.1).
	ErrHTTP10 = errors.New("websocket: the handshake needs HTTP/1.1 (RFC 6455 §4.1), not HTTP/1.0")
	// ErrRequestBody is the error of a WebSocket request that has a body
	// (a Content-Length other than 0, or chunked), answered 400: the
	// connection is taken over right behind the request's header, so the
	// body would be read as the client's first frames.
	ErrRequestBody = errors.New("websocket: the handshake request has a body")
	// ErrSubprotocol is the error of an Upgrade whose response chose, in
	// Sec-WebSocket-Protocol, a subprotocol the client did not offer;
	// the request is answered 500.
	ErrSubprotocol = errors.New("websocket: Sec-WebSocket-Protocol chose a subprotocol the client did not offer")
	// ErrOrigin is the error of an Upgrade whose request came from an
	// origin Config.CheckOrigin refused (by default, one whose host is
	// not the request's Host), or whose Origin named more than one origin;
	// the request is answered 403.
	ErrOrigin = errors.New("websocket: request origin not allowed (Config.CheckOrigin; by default the Origin's host must be the request's Host)")
	// ErrNilHandler is the error of an Upgrade given a nil Handler, or of
	// a NewHandler whose open returned neither a Handler nor an error:
	// the request is answered 500 and not upgraded, as no callback could
	// serve the connection.
	ErrNilHandler = errors.New("websocket: nil Handler: open must return a Handler or an error")
)

// Close codes (RFC 6455 §7.4.1) used by this package.
const (
	CloseNormal          = gws.CloseNormalClosure           // 1000: done
	CloseGoingAway       = gws.CloseGoingAway               // 1001: idle, keep-alive timeout, shutdown
	CloseProtocolError   = gws.CloseProtocolError           // 1002: the peer broke the protocol
	CloseUnsupportedData = gws.CloseUnsupportedData         // 1003: data the endpoint cannot take
	CloseInvalidPayload  = gws.CloseInvalidFramePayloadData // 1007: a text message or a close reason that is not UTF-8
	ClosePolicyViolation = gws.ClosePolicyViolation         // 1008: e.g. a peer too slow for its feed
	CloseTooBig          = gws.CloseMessageTooBig           // 1009: a message over ReadLimit
	CloseServerError     = gws.CloseInternalServerErr       // 1011: a callback panicked
)

// Message is one WebSocket message. Conn.Send keeps its Data until it is
// written; OnMessage's is the Handler's to keep.
type Message struct {
	Binary bool // a binary message; false: text (UTF-8)
	Data   []byte
}

// Text returns a text message.
func Text(s string) Message { return Message{Data: []byte(s)} }

// Handler receives a connection's events, one at a time: OnOpen first,
// OnMessage for each message in order, OnClose last and once. They run on
// the server's executor when the connection has something for them (no
// goroutine waits for a quiet peer), or, for a Handler that declares
// api.NonBlocking (api.InvocationTypeOf), where the bytes were read: on
// the epoll connector, the selector's own goroutine. A slow callback
// delays the connection's reads, not its writes.
type Handler interface {
	OnOpen(c *Conn)
	OnMessage(c *Conn, m Message)
	// OnClose reports why the connection ended, once it has: the close
	// handshake is over or given up, the connection closed, and nothing
	// more is read or written. The TCP connection may outlive it a
	// little: the last bytes the connection took (the close frame, most
	// often) may still be on their way, over TLS (the ciphertext the
	// socket has not taken) or on a hijacked connection (the portable
	// connector, net/http: a write under way), and the socket closes once
	// they are sent, or a write timeout passed.
	//
	//   - nil: a close handshake completed — the peer closed with 1000,
	//     1001 or no code and was answered, or it answered the close
	//     frame the server sent (Close, CloseNow, a container's
	//     Shutdown) with one of those or the server's own code;
	//   - a *CloseError: the peer closed with another code, given with its
	//     reason (it was answered with the same code, unless the server's
	//     close frame had gone first: the two crossed, or the peer
	//     answered with a code of its own). A *CloseError always stands
	//     for a close frame the peer sent;
	//   - ErrIdle, ErrPongTimeout, ErrTooBig, or an error that is or
	//     wraps ErrInvalidUTF8 or wraps ErrProtocol: the server closed the connection for that
	//     reason, with the close frame each names;
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

// Conn is an open WebSocket connection. Send, SendPrepared, Close,
// CloseNow, Abort, Request, Subprotocol and Done may be called from any
// goroutine.
//
// A Conn keeps no goroutine of its own. It lives on an api.Tunnel: the
// epoll connector's selector says when the peer sent bytes, and a task on
// the executor (or the selector itself, for a NonBlocking Handler) reads
// the frames then and runs the callbacks, one task at a time (work);
// writes are made by whoever has something to send, without blocking,
// and the rest goes when the tunnel says it takes more (flush); one
// timer serves the pings, the keep-alive, the idle and the close timeouts
// (tick): on the epoll connector it is filed in the timer wheel of the
// selector that polls the connection, and fires there, so a quiet
// connection costs no runtime timer either (timer.go). A quiet connection
// holds no buffer.
type Conn struct {
	t      api.Tunnel
	cfg    *settings // shared by the connections of a Handler
	req    *api.Request
	h      Handler
	sub    string
	inline bool // the Handler is NonBlocking: work runs where readiness is told
	// deflate: the handshake accepted permessage-deflate (Config.EnableCompression).
	// Set before the connection starts.
	deflate bool

	// The reading side: work's alone.
	msgOp       byte // the opcode of the fragmented message in frag
	msgDeflated bool // frag holds a compressed message, inflated once whole
	// timerGen, under mu, is the timer's (below), kept here where the
	// bytes above leave room for it: beside the flags it would take 8
	// bytes of padding, and Conn past its size class.
	timerGen uint32 // which arming of tm a firing is for
	// rbuf holds the bytes read, up to its capacity, the buffer: the
	// frames not yet handled are rbuf[r:]. Nil while no frame is partly
	// read.
	rbuf []byte
	r    int
	frag *[]byte // a fragmented message so far, nil outside one (rare: kept apart, it costs a quiet connection 8 bytes, not 24)
	// The function values the connection is woken with, each made once:
	// one built at each wake-up would be an allocation a message.
	onRead     func() // the tunnel's readable callback
	run        func() // work, as a task for the executor
	onWritable func() // writable, as the tunnel's callback: made the first time the socket is full (under mu)

	mu       sync.Mutex
	queue    []outgoing // messages waiting to be framed
	ctrl     []outgoing // pings and pongs: framed ahead of queued messages
	out      []byte     // framed bytes the tunnel has not taken yet
	outKeep  int        // of out, the bytes of a frame the peer has begun to get: they go even when dropping
	closeMsg []byte     // the close frame's payload, once closing
	// reason is what OnClose gets: the server's reason to close (idle,
	// too big, a panic, a failed write...: the first wins) if it had one
	// (serverReason), else how reading ended. One field for both, as only
	// one reaches OnClose.
	reason error
	// The state, under mu: the close handshake's (state.go), and flags.
	cs           closeState // how far the close has come: Close, CloseNow, Abort, a failed read or write...
	overflow     bool       // Send returned ErrQueueFull: a Close drops the queue
	dropping     bool       // CloseNow or Abort: queued messages are not sent
	writing      bool       // a goroutine is writing, or out waits for the tunnel
	readDone     bool       // nothing more is read: the connection ends once the close frame is out
	finished     bool       // the tunnel is closed; OnClose is on its way
	running      bool       // work is running or about to
	canceled     bool       // the context is canceled: the connection ended
	ended        bool       // OnClose returned: Done's channel is closed, or made closed
	serverReason bool       // reason is the server's
	unread       bool       // reading stopped before the peer's end: the close lingers (lingerLocked)
	lingering    bool       // the sending side is shut; what comes is discarded until the peer's end
	events       uint8      // for work to handle

	// The timer (timer.go), under mu. Instants are on the connection's
	// clock (now), zero for none.
	rdl      int64 // the keep-alive's deadline
	nextPing int64 // when the next ping is due
	closeBy  int64 // once the close frame is out and an answer awaited: when to give up
	timerAt  int64 // when the timer fires; zero if it is not armed
	wheel    *timerwheel.Wheel
	tm       timerwheel.Timer // in wheel, when there is one
	rt       *runtimeTimer    // else

	lastSeen atomic.Int64           // when the last frame went either way, on the clock, for IdleTimeout
	ctxDone  chan struct{}          // the context's Done, made when asked for (context.go)
	done     chan struct{}          // Done's, made when asked for; under mu
	tracked  interface{ Untrack() } // in the container's shutdown set; nil without a container
}

type outgoing struct {
	op       byte // wsframe opcode
	deflated bool // data is compressed: the frame has RSV1 set
	data     []byte
}

// appendTo frames o at the end of b.
func (o outgoing) appendTo(b []byte) []byte {
	if o.deflated {
		return wsframe.AppendCompressed(b, o.op, o.data)
	}
	return wsframe.AppendFrame(b, o.op, o.data)
}

// maxCtrl bounds the pings and pongs waiting: beyond what a sane peer's
// pings need, the oldest pongs are dropped.
const maxCtrl = 8

// What work has to do.
const (
	evOpen uint8 = 1 << iota
	evRead
	evEnd
)

func newConn(t api.Tunnel, sub string, cfg *settings, r *api.Request, h Handler) *Conn {
	c := &Conn{t: t, sub: sub, cfg: cfg, h: h}
	c.req = r.Detach((*connContext)(c))
	c.inline = api.InvocationTypeOf(h) == api.NonBlocking
	c.initTimer()
	c.onRead = func() { c.post(evRead, c.inline) }
	c.run = c.work
	// The runner is claimed until start: what happens before (a shutdown
	// that closes the connection at once) waits for OnOpen.
	c.running, c.events = true, evOpen|evRead
	return c
}

// start opens the connection: OnOpen, then reading, on the executor.
func (c *Conn) start() {
	now := c.now()
	c.lastSeen.Store(now)
	c.mu.Lock()
	if p := c.cfg.pingInterval(); p > 0 {
		c.nextPing = after(now, p)
	}
	if c.cfg.pingInterval() >= 0 {
		c.rdl = after(now, sum(c.cfg.pingInterval(), c.cfg.pongTimeout()))
	}
	c.armLocked(now)
	c.mu.Unlock()
	c.t.Execute(c.run)
}

// Request returns the request that was upgraded, as the connection keeps
// it (api.Request.Detach): its head, attributes and mapping, but neither
// its body nor the state the connector and the container kept for it,
// which ended with the handshake (its Exchange is nil). Its context is
// the connection's: canceled once the connection has ended, before
// OnClose runs. It does not carry the values of the request's context
// (a filter's telemetry span, say): keeping them would keep the whole
// exchange for as long as the connection lasts. Read what a callback
// needs in the handshake's handler, or put it in an attribute.
func (c *Conn) Request() *api.Request { return c.req }

// Subprotocol returns the subprotocol the handshake chose, or "" if none.
func (c *Conn) Subprotocol() string { return c.sub }

// Done returns a channel closed once the connection is closed and OnClose
// has returned (the TCP connection may linger a little longer: see
// Handler.OnClose).
func (c *Conn) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return lazydone.Chan(&c.done, c.ended)
}

// Send sends m without blocking: when nothing else is being written, the
// calling goroutine frames it and writes what the connection takes now
// (eat what you kill: no goroutine is woken for it); the rest, and
// messages sent meanwhile, go when the connection takes more. It returns
// ErrClosed once the connection is closing, ErrQueueFull when SendQueue
// messages are waiting, ErrInvalidUTF8 for a text message that is not
// UTF-8. Messages go out in the order Send was called.
//
// Send keeps m.Data, without a copy, until it is written, which may be
// after Send returns (this is what lets a broadcast share one slice among
// all its connections): the caller must not change it afterwards, where
// gorilla's WriteMessage is done with its slice when it returns. A caller
// that reuses a buffer sends a copy (bytes.Clone).
//
// When the handshake accepted compression (Config.EnableCompression), a
// message of 128 bytes or more is compressed by Send, on the calling
// goroutine, and goes compressed if that made it smaller; the queue then
// keeps the compressed copy, not m.Data. A message sent to many
// connections is compressed for each: SendPrepared compresses it once.
func (c *Conn) Send(m Message) error {
	op, err := opcode(m)
	if err != nil {
		return err
	}
	return c.send(op, m.Data, nil)
}

// SendPrepared is Send for a message prepared once for many connections
// (Prepare): its data is not checked again, and where the handshake
// accepted compression it goes compressed as every such connection sends
// it, compressed once, by the first SendPrepared that needed it. Like
// Send, it may be called from any goroutine, and for one Prepared from
// many connections' goroutines at once.
func (c *Conn) SendPrepared(p *Prepared) error {
	return c.send(p.op, p.data, p)
}

// opcode returns m's opcode, or ErrInvalidUTF8.
func opcode(m Message) (byte, error) {
	if m.Binary {
		return wsframe.OpBinary, nil
	}
	if !utf8.Valid(m.Data) {
		return 0, ErrInvalidUTF8
	}
	return wsframe.OpText, nil
}

// send queues a message of opcode op; p, if not nil, is the Prepared
// data comes from, which holds its compressed form.
func (c *Conn) send(op byte, data []byte, p *Prepared) error {
	o := outgoing{op: op, data: data}
	if c.deflate && len(data) >= minDeflate {
		// Refused before it is compressed: a peer that does not keep up
		// costs no compression of messages it will never get.
		c.mu.Lock()
		err := c.sendableLocked()
		c.mu.Unlock()
		if err != nil {
			return err
		}
		var z []byte
		if p != nil {
			z = p.deflated()
		} else {
			z = deflate(data)
		}
		if z != nil {
			o.data, o.deflated = z, true
		}
	}
	c.mu.Lock()
	if err := c.sendableLocked(); err != nil {
		c.mu.Unlock()
		return err
	}
	c.queue = append(c.queue, o)
	c.mu.Unlock()
	c.flush()
	return nil
}

// sendableLocked says why Send cannot queue a message now, or nil. Under
// mu.
func (c *Conn) sendableLocked() error {
	switch {
	case c.cs.closing():
		return ErrClosed
	case len(c.queue) >= c.cfg.sendQueue():
		c.overflow = true
		return ErrQueueFull
	}
	return nil
}

// Close starts the close handshake: the messages already queued go out,
// then a close frame with code and reason (cut to the 123 bytes a close
// frame holds; bytes that are not UTF-8 become U+FFFD); the connection
// closes when the peer answers, or Config.CloseTimeout after the close
// frame went out. A code a close frame may not carry, such as 1006, is
// sent as an empty close frame, without code or reason: RFC 6455 §7.4.1
// leaves 1000-1003, 1007-1014 and 3000-4999 to endpoints. While the queued
// messages drain, the keep-alive goes on: pings still go out every
// PingInterval and the peer's pings are answered, so a slow but live peer
// is not taken for dead before it has read them. If Send has returned
// ErrQueueFull on this connection, Close acts as CloseNow: a peer that
// could not keep up would otherwise reach its close frame only after the
// backlog it could not read. Calling Close again does nothing.
//
// The peer may send until it reads the close frame (RFC 6455 §5.5.1), and
// what it sent meanwhile still reaches OnMessage, as in Jetty, where a
// gorilla program that closes stops reading: Send returns ErrClosed for
// an answer to it, and a handler that ended a client for what it sent
// (1008) tells the messages that follow by that, or by a mark of its own,
// rather than passing them on to others. So does CloseNow.
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
func (c *Conn) Abort() { c.drop(ErrAborted) }

// startClose begins closing with a close frame carrying payload; now
// drops the queue ahead of it; cause is the server's reason for OnClose.
// Once closing, only the dropping of the queue can still change.
func (c *Conn) startClose(payload []byte, now bool, cause error) {
	c.mu.Lock()
	if c.cs.fire(csClose) {
		c.closeMsg = payload
		c.serverReasonLocked(cause)
		now = now || c.overflow
	} else if !now || c.dropping || !c.cs.handshake() {
		c.mu.Unlock()
		return
	}
	if now {
		c.dropLocked()
	}
	c.mu.Unlock()
	c.flush()
}

// dropLocked drops what is queued and framed but not begun, so that the
// close frame is the next the peer reads after the frame it is getting.
func (c *Conn) dropLocked() {
	c.dropping = true
	clear(c.queue)
	c.queue = c.queue[:0]
	c.ctrl = nil
	if len(c.out) > c.outKeep && !c.cs.sent() {
		c.out = c.out[:c.outKeep]
		c.cs.fire(csUnframe) // framed behind what is dropped: it goes again, next
	}
}

// closeFrame is a close frame's payload: code, and reason, its bytes that
// are not UTF-8 made U+FFFD, cut on a character boundary to what a
// control frame holds.
func closeFrame(code int, reason string) []byte {
	if !validCloseCode(code) {
		// A code no close frame may carry (1005, 1006 and 1015 stand for
		// no frame or no code; the others are unassigned or reserved,
		// RFC 6455 §7.4.1) is not sent: the frame says nothing of why,
		// and the peer reads 1005, no status.
		return []byte{}
	}
	// A close frame's reason is UTF-8 (RFC 6455 §7.1.6): a peer fails
	// the connection on one that is not.
	reason = strings.ToValidUTF8(reason, "\uFFFD")
	const maxReason = 125 - 2
	if len(reason) > maxReason {
		reason = reason[:maxReason]
		for len(reason) > 0 && !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	return gws.FormatCloseMessage(code, reason)
}

// control queues a ping or a pong ahead of the messages waiting; beyond
// maxCtrl waiting a pong takes the place of the oldest pong, and a ping
// is dropped; once no control frame may go (pinging), both are. The
// caller flushes.
func (c *Conn) controlLocked(op byte, data []byte) {
	if !c.pingingLocked() {
		return
	}
	if len(c.ctrl) >= maxCtrl {
		// RFC 6455 §5.5.3 lets pings not yet answered get one pong, the
		// most recent's, not none: dropping the new pong left the peer's
		// latest pings unanswered for good (a peer that waits for the
		// answer to its last ping then took the connection for dead).
		i := slices.IndexFunc(c.ctrl, func(o outgoing) bool { return o.op == wsframe.OpPong })
		if op != wsframe.OpPong || i < 0 {
			return
		}
		c.ctrl = slices.Delete(c.ctrl, i, i+1)
	}
	c.ctrl = append(c.ctrl, outgoing{op: op, data: data})
}

// pingingLocked reports whether pings and pongs may still go out: until
// the connection closes, and while a Close sends what was queued before
// its close frame — a drain that may outlast PingInterval + PongTimeout,
// during which the keep-alive still counts on the peer's pongs — but not
// once the close frame is framed, nor when it is to be the next thing the
// peer reads (CloseNow, an overflowed Close, a close the peer began or a
// read that failed). Under mu.
func (c *Conn) pingingLocked() bool {
	if c.finished {
		return false
	}
	return c.cs == csOpen || c.cs == csQueued && !c.dropping
}

func (c *Conn) touch() { c.lastSeen.Store(c.now()) }

// flush writes what waits, framed in one buffer, as far as the tunnel
// takes it now; the rest goes when the tunnel says it takes more
// (writable). One goroutine writes at a time: the others leave their
// messages queued for it.
func (c *Conn) flush() {
	c.mu.Lock()
	if c.writing || c.finished {
		c.mu.Unlock()
		return
	}
	c.writing = true
	for {
		if c.cs.silent() {
			c.writing = false
			c.mu.Unlock()
			return // aborted, or the peer is gone: nothing more to say
		}
		buf, keep := c.out, c.outKeep
		c.out, c.outKeep = nil, 0
		if len(buf) == 0 {
			// Frame what waits only once the last batch is out, and at
			// most maxBatch bytes of it (or one message, if larger): no
			// more than SendQueue messages wait beyond one batch the
			// socket is taking, and that batch is not a second queue.
			for _, m := range c.ctrl {
				buf = m.appendTo(buf)
			}
			c.ctrl = nil
			if c.dropping {
				clear(c.queue)
				c.queue = c.queue[:0]
			}
			n := 0
			for ; n < len(c.queue) && (n == 0 || len(buf) < maxBatch); n++ {
				buf = c.queue[n].appendTo(buf)
			}
			rest := copy(c.queue, c.queue[n:])
			clear(c.queue[rest:])
			c.queue = c.queue[:rest]
			if len(c.queue) == 0 && c.cs.fire(csFrame) { // legal only once the close is queued
				buf = wsframe.AppendFrame(buf, wsframe.OpClose, c.closeMsg)
			}
		}
		if len(buf) == 0 {
			c.writing = false
			c.mu.Unlock()
			return
		}
		closeIn := c.cs == csFramed
		c.mu.Unlock()
		n, err := c.t.WriteNow(buf)
		if n > 0 {
			c.touch()
		}
		c.mu.Lock()
		if err != nil {
			c.writing = false
			c.mu.Unlock()
			c.fail(err)
			return
		}
		if c.finished {
			c.writing = false
			c.mu.Unlock()
			return
		}
		if n < len(buf) {
			// The frame the peer has begun to get must reach it whole,
			// even if the rest is dropped (CloseNow); a close frame cut
			// off with the rest is framed again behind it.
			c.out = buf[n:]
			c.outKeep = frameEnd(buf, keep, n) - n
			if c.dropping && len(c.out) > c.outKeep {
				c.out = c.out[:c.outKeep]
				c.cs.fire(csUnframe)
			}
			if cap(c.out) > 1<<20 && len(c.out) < 64<<10 {
				c.out = append([]byte(nil), c.out...) // do not keep a huge message's buffer
			}
			if c.onWritable == nil {
				// Made once, not with the connection: a connection whose
				// socket always takes what it writes never needs it.
				c.onWritable = c.writable
			}
			f := c.onWritable
			c.mu.Unlock()
			c.t.NotifyWritable(f, c.cfg.writeTimeout())
			return
		}
		if closeIn && c.cs.fire(csCloseOut) {
			c.closeOutLocked()
		}
	}
}

// maxBatch is about the most bytes flush frames at once: a peer that
// reads slowly costs SendQueue messages and one batch of memory, not
// twice SendQueue messages (the whole queue framed, then a full queue
// again behind it).
const maxBatch = 64 << 10

// frameEnd returns where the frame holding byte n-1 of buf ends, or from
// if n <= from: buf[from:] is whole frames, as flush frames them (RSV1
// on the compressed ones), and buf[:from] the rest of a frame begun
// before.
func frameEnd(buf []byte, from, n int) int {
	end := from
	for end < n && end < len(buf) {
		_, hdr, plen, err := wsframe.HeaderDeflate(buf[end:])
		if err != nil {
			return len(buf)
		}
		end += hdr + int(plen)
	}
	return end
}

// writable is the tunnel's word that it takes more bytes.
func (c *Conn) writable() {
	c.mu.Lock()
	c.writing = false
	c.mu.Unlock()
	c.flush()
}

// closeOutLocked: the close frame is out whole. The connection ends now
// if nothing more is to be read, else when the peer answers or
// CloseTimeout passes.
func (c *Conn) closeOutLocked() {
	if c.readDone {
		c.mu.Unlock()
		c.finish()
		c.mu.Lock()
		return
	}
	now := c.now()
	c.closeBy = after(now, c.cfg.closeTimeout())
	c.armLocked(now)
}

// fail ends a connection that could not be written to.
func (c *Conn) fail(err error) { c.drop(fmt.Errorf("%w: %w", ErrAbnormalClosure, err)) }

// drop ends the connection at once, without a close frame, for cause
// (unless the server had a reason already); once it has ended, nothing.
func (c *Conn) drop(cause error) {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return
	}
	c.cs.fire(csAbandon)
	c.serverReasonLocked(cause)
	c.mu.Unlock()
	c.finishNow()
}

// lost ends a connection that could not be read any more, without a
// close frame: the peer is gone.
func (c *Conn) lost(err error) {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF // no frame said goodbye
	}
	c.mu.Lock()
	c.cs.fire(csAbandon)
	c.readEndedLocked(fmt.Errorf("%w: %w", ErrAbnormalClosure, err))
	c.mu.Unlock()
	c.finish()
}

// finishNow finishes without waiting for a write under way: it fails.
func (c *Conn) finishNow() {
	if a, ok := c.t.(interface{ abort() }); ok {
		a.abort()
	}
	c.finish()
}

// finish closes the tunnel, once, and has work report it; when reading
// stopped before the peer's end, it lingers first (lingerLocked).
func (c *Conn) finish() {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return
	}
	if c.lingerLocked() {
		return
	}
	c.finished = true
	c.cs.fire(csFinish)
	c.queue, c.ctrl, c.out = nil, nil, nil
	c.stopTimerLocked()
	c.mu.Unlock()
	c.t.Close()
	c.cancelContext()
	c.post(evEnd, false)
}

// lingerTimeout bounds a lingering close (lingerLocked), as the connector
// bounds an HTTP/1.1 connection's.
const lingerTimeout = 500 * time.Millisecond

// halfCloser is a Tunnel whose sending side can end alone, after what
// WriteNow took: the epoll connector's, and netTunnel over TCP or TLS.
type halfCloser interface{ CloseWrite() error }

// lingerLocked begins a lingering close, if the connection needs one, and
// reports whether it did (mu is then unlocked). When reading stopped
// before the peer's end (a protocol error, a message over ReadLimit), the
// peer may still be sending, and closing a socket with unread input
// resets the connection: the reset may destroy the close frame just sent
// before the peer reads it. So the sending side is shut, after the close
// frame, and what the peer sends is discarded until it ends its own side
// (discard), for at most lingerTimeout (tick); then the tunnel closes.
// Under mu.
func (c *Conn) lingerLocked() bool {
	if !c.unread || c.lingering || c.cs != csSent {
		return false
	}
	hc, ok := c.t.(halfCloser)
	if !ok {
		return false
	}
	c.lingering = true
	c.queue, c.ctrl, c.out = nil, nil, nil
	now := c.now()
	c.closeBy = after(now, lingerTimeout)
	c.armLocked(now)
	c.mu.Unlock()
	if hc.CloseWrite() != nil {
		c.finish() // lingering: it closes now
		return true
	}
	c.post(evRead, false) // the reader discards
	return true
}

// discard reads and drops what the peer sends while the close lingers,
// and finishes at its end, or once the linger's time is up (which tick
// sees too, unless a peer that never stops keeps this loop on the
// selector that would fire it).
func (c *Conn) discard() {
	buf := c.cfg.getBuffer()
	defer c.cfg.putBuffer(buf)
	for {
		_, err := c.t.TryRead(buf)
		switch {
		case err == api.ErrWouldBlock:
			c.t.NotifyReadable(c.onRead)
			return
		case err != nil:
			c.finish()
			return
		}
		c.mu.Lock()
		over := c.now() >= c.closeBy
		c.mu.Unlock()
		if over {
			c.finish()
			return
		}
	}
}

// stopReading ends reading: the connection ends once the close frame
// startClose asked for is out, or now when none is to go.
func (c *Conn) stopReading() {
	c.mu.Lock()
	c.readDone = true
	end := c.cs == csSent || c.cs.silent()
	c.mu.Unlock()
	if end {
		c.finish()
	}
}

// post hands work something to do, starting it unless it runs: on the
// calling goroutine when inline (the tunnel's readable callback, for a
// NonBlocking Handler), else on the executor. Only reading runs inline: a
// connection's OnClose never runs inside another's Send.
func (c *Conn) post(ev uint8, inline bool) {
	c.mu.Lock()
	c.events |= ev
	if c.running {
		c.mu.Unlock()
		return
	}
	c.running = true
	c.mu.Unlock()
	if inline {
		c.work()
	} else {
		c.t.Execute(c.run)
	}
}

// work runs the callbacks and reads, one run at a time, until it has
// nothing to do. After OnClose nothing runs again.
func (c *Conn) work() {
	for {
		c.mu.Lock()
		ev := c.events
		c.events = 0
		if ev == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if ev&evOpen != 0 {
			c.safely(func() { c.h.OnOpen(c) })
		}
		if ev&evEnd != 0 {
			c.end()
			return // running stays set: nothing runs after OnClose
		}
		if ev&evRead != 0 {
			c.read()
		}
	}
}

// end reports the connection's end to OnClose.
func (c *Conn) end() {
	c.dropBuffer()
	c.frag, c.msgDeflated = nil, false
	c.mu.Lock()
	err := c.reason
	c.mu.Unlock()
	c.safely(func() { c.h.OnClose(c, err) })
	c.mu.Lock()
	lazydone.End(&c.done, &c.ended)
	c.mu.Unlock()
	if c.tracked != nil {
		c.tracked.Untrack()
	}
}

// read reads and handles the frames the peer sent, until the tunnel has
// no more for now; then it waits for it to say it has, holding no buffer
// unless a frame is partly read.
func (c *Conn) read() {
	// seen is how far into rbuf frames has looked: what the last run
	// left buffered it has, and then all but what each read added.
	seen := len(c.rbuf)
	for {
		if c.readOver() {
			c.dropBuffer()
			if c.draining() {
				c.discard()
			}
			return
		}
		need, ok := c.frames(seen)
		if !ok {
			return
		}
		if c.rbuf == nil {
			c.rbuf, c.r = c.cfg.getBuffer()[:0], 0
		} else if c.r > 0 {
			c.rbuf = c.rbuf[:copy(c.rbuf, c.rbuf[c.r:])]
			c.r = 0
		}
		if len(c.rbuf) == cap(c.rbuf) {
			// A frame larger than the buffer: it grows as the bytes come,
			// not to what a header claims.
			b := make([]byte, len(c.rbuf), min(need, 2*cap(c.rbuf)))
			copy(b, c.rbuf)
			c.cfg.putBuffer(c.rbuf)
			c.rbuf = b
		}
		w := len(c.rbuf)
		n, err := c.t.TryRead(c.rbuf[w:cap(c.rbuf)])
		c.rbuf = c.rbuf[:w+n]
		seen = w
		switch {
		case n > 0:
		case err == api.ErrWouldBlock:
			if c.r == len(c.rbuf) {
				c.dropBuffer() // a quiet connection keeps no buffer
			}
			c.t.NotifyReadable(c.onRead)
			return
		case err != nil:
			c.lost(err)
			return
		}
	}
}

// dropBuffer gives the read buffer back.
func (c *Conn) dropBuffer() {
	if c.rbuf != nil {
		c.cfg.putBuffer(c.rbuf)
	}
	c.rbuf, c.r = nil, 0
}

// frames handles the whole frames buffered. It returns how many bytes the
// buffer must hold for the next frame, and false when reading ended.
// rbuf[:seen] is what an earlier call looked at already: a text frame
// still partly read is checked for UTF-8 from there (textSoFar).
func (c *Conn) frames(seen int) (need int, ok bool) {
	for c.r < len(c.rbuf) {
		b := c.rbuf[c.r:]
		f, hdr, plen, err := c.header(b)
		switch {
		case err == wsframe.ErrShort:
			return 14, true // the longest header
		case err != nil:
			c.protocolError("invalid frame header")
			return 0, false
		case !f.Masked:
			c.protocolError("a client frame is not masked")
			return 0, false
		case c.misplaced(f.Opcode) != "":
			// Before the size: a frame out of its message breaks the
			// protocol (1002) however long it is, and the size it is
			// measured against (the message so far) is not its message's.
			c.protocolError(c.misplaced(f.Opcode))
			return 0, false
		case plen > c.wireLimit(f)-uint64(c.fragLen()) && f.Opcode < wsframe.OpClose:
			c.tooBig()
			return 0, false
		}
		if uint64(len(b)-hdr) < plen {
			if f.Opcode < wsframe.OpClose {
				// Bytes of a message are the peer alive, though a
				// large frame's last bytes may be far off.
				c.alive(false)
				if !c.textSoFar(f, b[:hdr], b[hdr:], seen-c.r-hdr) {
					c.invalidUTF8()
					return 0, false
				}
			}
			// Saturated: under a ReadLimit of "no limit" (math.MaxInt64) a
			// header may claim nearly 2^63 bytes, which added to hdr would
			// wrap negative (and int is 32 bits on some platforms); the
			// buffer only grows toward it as bytes come.
			return int(min(uint64(hdr)+plen, math.MaxInt)), true
		}
		f, n, _ := c.parse(b)
		c.r += n
		c.touch()
		if !c.frame(f) || c.readOver() {
			return 0, false
		}
	}
	return 0, true
}

// textSoFar reports whether the part p of the payload of data frame f,
// whose header is hdr, that came so far can still be UTF-8, if its
// message is text: a peer that sends invalid text in a large frame, or
// one it trickles, fails with 1007 as soon as the bytes that make it
// invalid are read (RFC 6455 §8.1 fails the connection then; Autobahn's
// 6.4 cases wait for it), not once the frame is whole. Only what came
// since p[:old] was checked is checked, from the start of the
// character cut off there: a frame read in many pieces costs no more
// than one read whole.
func (c *Conn) textSoFar(f wsframe.Frame, hdr, p []byte, old int) bool {
	var lead []byte // the bytes of a character the last fragment cut off
	switch {
	case f.Compressed || !f.Masked:
		return true // checked once inflated; or refused already
	case f.Opcode == wsframe.OpContinuation:
		if c.msgDeflated || c.msgOp != wsframe.OpText {
			return true
		}
		lead = (*c.frag)[len(*c.frag)-cutRune(*c.frag):]
	case f.Opcode != wsframe.OpText:
		return true
	}
	key := [4]byte(hdr[len(hdr)-4:])
	from := 0
	if old >= utf8.UTFMax {
		// The character cut off at old began in p, at most 3 bytes
		// before: p[:from] is UTF-8.
		lead, from = nil, old
		for i := old - 1; i >= old-(utf8.UTFMax-1); i-- {
			if utf8.RuneStart(p[i] ^ key[i&3]) {
				from = i
				break
			}
		}
	}
	return maskedText(lead, p[from:], key, from)
}

// maskedText reports whether lead followed by p, unmasked with key from
// byte off of the payload on, can begin UTF-8: it is UTF-8 but for a
// character cut off at its end. p is not changed (wsframe.Parse unmasks
// it once the frame is whole); it is unmasked a piece at a time into a
// buffer on the stack.
func maskedText(lead, p []byte, key [4]byte, off int) bool {
	var buf [256]byte
	n := copy(buf[:], lead)
	for len(p) > 0 || n > 0 {
		m := min(len(p), len(buf)-n)
		for i, b := range p[:m] {
			buf[n+i] = b ^ key[(off+i)&3]
		}
		p, off, n = p[m:], off+m, n+m
		cut := cutRune(buf[:n])
		if !utf8.Valid(buf[:n-cut]) {
			return false
		}
		if len(p) == 0 {
			return true
		}
		n = copy(buf[:], buf[n-cut:n])
	}
	return true
}

// header is wsframe.Header, or HeaderDeflate once the handshake accepted
// compression: RSV1 then marks a compressed message.
func (c *Conn) header(b []byte) (wsframe.Frame, int, uint64, error) {
	if c.deflate {
		return wsframe.HeaderDeflate(b)
	}
	return wsframe.Header(b)
}

// parse is wsframe.Parse with header's rule for RSV1.
func (c *Conn) parse(b []byte) (wsframe.Frame, int, error) {
	if c.deflate {
		return wsframe.ParseDeflate(b)
	}
	return wsframe.Parse(b)
}

// wireLimit is how many bytes the message of data frame f may take on the
// wire: ReadLimit, or a little more for a compressed one (deflateLimit),
// whose inflated size ReadLimit bounds.
func (c *Conn) wireLimit(f wsframe.Frame) uint64 {
	if f.Compressed || f.Opcode == wsframe.OpContinuation && c.msgDeflated {
		return deflateLimit(c.cfg.readLimit())
	}
	return uint64(c.cfg.readLimit())
}

// misplaced says why a data frame with opcode op cannot come now, or ""
// if it can: a continuation outside a fragmented message, or a new
// message inside one (RFC 6455 §5.4).
func (c *Conn) misplaced(op byte) string {
	switch {
	case op == wsframe.OpContinuation && c.frag == nil:
		return "a continuation frame outside a message"
	case (op == wsframe.OpText || op == wsframe.OpBinary) && c.frag != nil:
		return "a new message before the last one ended"
	}
	return ""
}

// fragLen is how much of a fragmented message came so far.
func (c *Conn) fragLen() int {
	if c.frag == nil {
		return 0
	}
	return len(*c.frag)
}

// serverReasonLocked records the server's reason to close, if it has
// one, for OnClose: the first one wins, over how reading ended. Under mu.
func (c *Conn) serverReasonLocked(err error) {
	if err != nil && !c.serverReason {
		c.reason, c.serverReason = err, true
	}
}

// readEndedLocked records how reading ended, for OnClose, unless a reason
// is known already. Under mu.
func (c *Conn) readEndedLocked(err error) {
	if c.reason == nil {
		c.reason = err
	}
}

// draining reports whether the close lingers (lingerLocked): what the
// peer sends is read only to be discarded.
func (c *Conn) draining() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lingering && !c.finished
}

// readOver reports whether reading has ended, or the connection.
func (c *Conn) readOver() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readDone || c.finished
}

// frame handles one frame; false when reading ended.
func (c *Conn) frame(f wsframe.Frame) bool {
	switch f.Opcode {
	case wsframe.OpText, wsframe.OpBinary: // not misplaced: frames checked
		c.alive(false)
		if f.Compressed {
			// Checked once inflated, as a whole: a compressed fragment
			// says nothing of the text's bytes.
			if f.Fin {
				return c.deliverDeflated(f.Opcode, f.Payload)
			}
			m := own(f.Payload)
			c.msgOp, c.msgDeflated, c.frag = f.Opcode, true, &m
			return true
		}
		// A text message is checked before it is copied: what is not
		// UTF-8 never reaches the Handler. A first fragment fails as soon
		// as no continuation could make it valid.
		if f.Opcode == wsframe.OpText && !validText(f.Payload, f.Fin) {
			c.invalidUTF8()
			return false
		}
		if f.Fin {
			c.deliver(f.Opcode, own(f.Payload))
			return true
		}
		m := own(f.Payload)
		c.msgOp, c.frag = f.Opcode, &m
	case wsframe.OpContinuation: // not misplaced: frames checked
		c.alive(false)
		if c.msgDeflated {
			*c.frag = append(*c.frag, f.Payload...)
			if f.Fin {
				m := *c.frag
				c.frag, c.msgDeflated = nil, false
				return c.deliverDeflated(c.msgOp, m)
			}
			return true
		}
		// Only the new fragment is checked, behind the bytes of a
		// character the last one cut off (at most 3): what came before
		// them was checked already.
		from := len(*c.frag)
		if c.msgOp == wsframe.OpText {
			from -= cutRune(*c.frag)
		}
		*c.frag = append(*c.frag, f.Payload...)
		if c.msgOp == wsframe.OpText && !validText((*c.frag)[from:], f.Fin) {
			c.invalidUTF8()
			return false
		}
		if f.Fin {
			m := *c.frag
			c.frag = nil
			c.deliver(c.msgOp, m)
		}
	case wsframe.OpPing:
		c.alive(true)
		c.mu.Lock()
		c.controlLocked(wsframe.OpPong, own(f.Payload))
		c.mu.Unlock()
		c.flush()
	case wsframe.OpPong:
		c.alive(true)
	case wsframe.OpClose:
		return c.peerClosed(f.Payload)
	}
	return true
}

// own copies a payload out of the read buffer, for the Handler to keep.
func own(p []byte) []byte { return append([]byte{}, p...) }

// deliverDeflated inflates a compressed message and delivers it; false
// when that failed the connection: 1009 for a message that inflates past
// ReadLimit (found before more is allocated), 1007 for text that is not
// UTF-8, 1002 for bytes that do not inflate.
func (c *Conn) deliverDeflated(op byte, p []byte) bool {
	data, err := inflate(p, c.cfg.readLimit())
	switch {
	case err == errInflatedTooBig:
		c.tooBig()
		return false
	case err != nil:
		c.protocolError("invalid compressed data")
		return false
	case op == wsframe.OpText && !utf8.Valid(data):
		c.invalidUTF8()
		return false
	}
	c.deliver(op, data)
	return true
}

func (c *Conn) deliver(op byte, data []byte) {
	c.safely(func() { c.h.OnMessage(c, Message{Binary: op == wsframe.OpBinary, Data: data}) })
}

// peerClosed answers the peer's close frame (with its code, ahead of what
// is queued for it: the peer said goodbye) and ends reading.
func (c *Conn) peerClosed(p []byte) bool {
	code, text := CloseNoStatus, ""
	switch {
	case len(p) == 1:
		c.protocolError("a close frame of one byte")
		return false
	case len(p) >= 2:
		code, text = int(binary.BigEndian.Uint16(p)), string(p[2:])
		if !validCloseCode(code) {
			c.protocolError("invalid close code")
			return false
		}
		if !utf8.ValidString(text) {
			// A reason is UTF-8 (RFC 6455 §5.5.1): one that is not is
			// data inconsistent with its type (1007, §7.4.1), as in a
			// text message, not a malformed frame (1002).
			c.readFailed(closeFrame(CloseInvalidPayload, "invalid UTF-8 in the close reason"),
				fmt.Errorf("%w: in the close reason", ErrInvalidUTF8))
			return false
		}
	}
	c.mu.Lock()
	// The peer answers the server's close if the server's close frame is
	// to go, or went.
	answered := c.cs.handshake()
	// An answer echoes the server's code, or says a normal one; another
	// code is the peer's own reason, even after the server's close began:
	// the two close frames crossed (RFC 6455 §7.1.3), or the peer answered
	// with a reason of its own.
	echoed := answered && len(c.closeMsg) >= 2 && code == int(binary.BigEndian.Uint16(c.closeMsg))
	if !echoed && code != CloseNormal && code != CloseGoingAway && code != CloseNoStatus {
		if !c.serverReason { // the peer's code, over how reading ended before
			c.reason = &CloseError{Code: code, Text: text}
		}
	}
	c.mu.Unlock()
	var echo []byte // a close frame without a code is answered without one
	if code != CloseNoStatus {
		echo = gws.FormatCloseMessage(code, "")
	}
	c.startClose(echo, true, nil)
	c.stopReading()
	return false
}

// CloseNoStatus is the code a close frame without one stands for (RFC
// 6455 §7.1.5); no frame carries it.
const CloseNoStatus = gws.CloseNoStatusReceived

// validCloseCode reports whether a peer may send code (RFC 6455 §7.4).
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// validText reports whether p is UTF-8 (RFC 6455 §8.1), or, for a text
// message's fragment that is not its last (fin false), can begin UTF-8:
// it is UTF-8 but for a character cut off at its end, which the next
// fragment may complete.
func validText(p []byte, fin bool) bool {
	if !fin {
		p = p[:len(p)-cutRune(p)]
	}
	return utf8.Valid(p)
}

// cutRune returns how many bytes at the end of p (at most 3) begin a
// character without ending it: they are no error yet, as the next
// fragment may hold the rest. A first byte no character begins with, or
// one followed by bytes that cannot continue it, counts as a whole
// (invalid) character: utf8.FullRune says so.
func cutRune(p []byte) int {
	for i := len(p) - 1; i >= 0 && i > len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if utf8.FullRune(p[i:]) {
				return 0
			}
			return len(p) - i
		}
	}
	return 0
}

// invalidUTF8 closes with 1007: a text message that is not UTF-8 fails
// the connection (RFC 6455 §8.1), and nothing more the peer sends is read.
func (c *Conn) invalidUTF8() {
	c.readFailed(closeFrame(CloseInvalidPayload, "invalid UTF-8 in a text message"), ErrInvalidUTF8)
}

// protocolError closes with 1002 and the reason: the peer broke the
// protocol, and nothing more it sends is read.
func (c *Conn) protocolError(reason string) {
	c.readFailed(closeFrame(CloseProtocolError, reason), fmt.Errorf("%w: %s", ErrProtocol, reason))
}

// tooBig closes with 1009: a message over ReadLimit.
func (c *Conn) tooBig() {
	c.readFailed(closeFrame(CloseTooBig, "message too big"), ErrTooBig)
}

// readFailed ends reading for err, closing with payload. If a close was
// under way already, its frame stands, and err is what OnClose gets unless
// the server had a reason of its own.
func (c *Conn) readFailed(payload []byte, err error) {
	c.startClose(payload, true, err)
	c.mu.Lock()
	c.readEndedLocked(err)
	c.unread = true
	c.mu.Unlock()
	c.stopReading()
}

// alive moves the keep-alive's deadline: a peer that sends nothing at
// all — no message, no pong, no ping — for PingInterval + PongTimeout is
// taken for dead. A ping or a pong (exact) sets it to that from now; a
// data message moves it only when less than that is left, to a quarter
// more, as Config.PongTimeout says. The timer is not moved: when it
// fires it finds the deadline later and sleeps again (tick).
func (c *Conn) alive(exact bool) {
	if c.cfg.pingInterval() < 0 {
		return
	}
	d := sum(c.cfg.pingInterval(), c.cfg.pongTimeout())
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !exact && c.rdl-now >= int64(d) {
		return
	}
	dl := after(now, d)
	if !exact {
		dl = after(dl, d/4)
	}
	c.rdl = dl
}

// safely runs a callback; a panic closes the connection with 1011 instead
// of killing the process.
func (c *Conn) safely(f func()) {
	defer func() {
		if p := recover(); p != nil {
			// The stack is taken here, still on the goroutine that
			// panicked: without it neither the log nor OnClose's
			// PanicError would say where the callback failed.
			stack := debug.Stack()
			c.cfg.logger().Error("websocket: panic in a handler callback", "panic", p, "stack", string(stack))
			c.startClose(closeFrame(CloseServerError, ""), true, &api.PanicError{Value: p, Stack: stack})
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
