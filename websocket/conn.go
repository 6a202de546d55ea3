package websocket

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/wsframe"
)

// Sentinel errors of package websocket.
var (
	// ErrClosed is returned by Send after the connection began to close.
	ErrClosed = errors.New("websocket: connection closed")
	// ErrQueueFull is returned by Send when the peer does not read fast
	// enough: Config.SendQueue messages are already waiting. The message is
	// not sent; the caller decides whether to drop it or Close.
	ErrQueueFull = errors.New("websocket: send queue full")
	// ErrIdle is what OnClose reports when IdleTimeout passed without a
	// message either way.
	ErrIdle = errors.New("websocket: idle timeout")
	// ErrPongTimeout is what OnClose reports when the peer did not answer
	// a ping within PongTimeout.
	ErrPongTimeout = errors.New("websocket: no pong within the timeout")
)

// Close codes (RFC 6455 §7.4.1) used by this package.
const (
	CloseNormal      = gws.CloseNormalClosure
	CloseGoingAway   = gws.CloseGoingAway
	CloseTooBig      = gws.CloseMessageTooBig
	CloseServerError = gws.CloseInternalServerErr
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
	// OnClose reports why the connection ended: nil after a normal close
	// handshake (either side), a *CloseError with the peer's code, ErrIdle,
	// ErrPongTimeout, or the I/O error that broke it.
	OnClose(c *Conn, err error)
}

// CloseError is a close frame the peer sent with a code other than normal
// or going away.
type CloseError = gws.CloseError

// Conn is an open WebSocket connection. Send, Close, Request and Done may
// be called from any goroutine.
type Conn struct {
	ws  *gws.Conn
	cfg Config
	req *api.Request
	h   Handler

	mu       sync.Mutex
	queue    []outgoing // messages waiting for the writer
	closing  bool       // Close was called, or the reader ended
	closeMsg []byte     // the close frame to send, once closing
	writing  bool       // a goroutine is writing to the socket (the writer, or a Send's direct write)

	raw syscall.RawConn // the socket, for Send's direct non-blocking write; nil over TLS

	wake     chan struct{} // the writer has something to do
	done     chan struct{} // closed when both goroutines have ended
	lastSeen atomic.Int64  // unix nanos of the last message in either direction
	cause    error         // why the writer closed the connection, for OnClose
}

type outgoing struct {
	op   byte // wsframe opcode, or opFramed
	data []byte
}

// opFramed marks outgoing bytes that are already framed: the rest of a
// direct write the socket did not take whole.
const opFramed = 0xff

// Request returns the request that was upgraded.
func (c *Conn) Request() *api.Request { return c.req }

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
		c.mu.Unlock()
		return ErrQueueFull
	}
	if len(c.queue) == 0 && !c.writing && c.raw != nil && len(m.Data) <= directMax {
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
	more := len(c.queue) > 0 || c.closing
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
// then a close frame with code and reason; the connection closes when the
// peer answers, or after Config.CloseTimeout. Calling it again does
// nothing.
func (c *Conn) Close(code int, reason string) {
	c.startClose(gws.FormatCloseMessage(code, reason), nil)
}

func (c *Conn) startClose(frame []byte, cause error) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing, c.closeMsg = true, frame
	if c.cause == nil {
		c.cause = cause
	}
	c.mu.Unlock()
	c.signal()
}

// control queues a pong for the writer; pongs beyond what a sane peer
// needs are dropped.
func (c *Conn) control(op byte, data []byte) {
	c.mu.Lock()
	if c.closing || len(c.queue) >= 2*c.cfg.sendQueue() {
		c.mu.Unlock()
		return
	}
	c.queue = append(c.queue, outgoing{op, data})
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
	err := c.read()
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if err != nil && !closing && isTimeout(err) {
		err = ErrPongTimeout // the peer showed no life within the read deadline
	}
	// The reader is done: let the writer finish the close handshake (or
	// give up), then report.
	c.startClose(gws.FormatCloseMessage(CloseNormal, ""), nil)
	<-writerDone
	c.ws.Close()
	c.mu.Lock()
	if c.cause != nil { // the writer's reason: idle, too big, a panic, a write failure
		err = c.cause
	}
	c.mu.Unlock()
	c.safely(func() { c.h.OnClose(c, err) })
	close(c.done)
}

// read is the reader loop; it returns nil after a normal close.
func (c *Conn) read() error {
	c.ws.SetReadLimit(c.cfg.readLimit())
	c.ws.SetPongHandler(func(string) error {
		c.ws.SetReadDeadline(c.readDeadline())
		return nil
	})
	// Pongs and the answer to a close frame go through the writer too,
	// queued with the messages: they go out in order, in few system calls.
	c.ws.SetPingHandler(func(data string) error {
		c.ws.SetReadDeadline(c.readDeadline())
		c.control(wsframe.OpPong, []byte(data))
		return nil
	})
	c.ws.SetCloseHandler(func(code int, text string) error {
		echo := gws.FormatCloseMessage(code, "")
		if code == gws.CloseNoStatusReceived {
			echo = nil
		}
		c.startClose(echo, nil)
		return nil
	})
	c.ws.SetReadDeadline(c.readDeadline())
	var rdl time.Time // the deadline as the data messages last moved it
	c.touch()
	c.safely(func() { c.h.OnOpen(c) })
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			var ce *gws.CloseError
			if errors.As(err, &ce) && (ce.Code == CloseNormal || ce.Code == CloseGoingAway || ce.Code == gws.CloseNoStatusReceived) {
				return nil
			}
			if errors.Is(err, gws.ErrReadLimit) {
				c.startClose(gws.FormatCloseMessage(CloseTooBig, "message too big"), err)
				return err
			}
			return err
		}
		c.touch()
		if c.cfg.pingInterval() >= 0 {
			// A message is life: the deadline moves, but only when half of
			// it is gone (pings and pongs above set it exactly).
			rdl = refreshDeadline(c.ws.SetReadDeadline, rdl, c.cfg.pingInterval()+c.cfg.pongTimeout())
		}
		c.safely(func() { c.h.OnMessage(c, Message{Binary: typ == gws.BinaryMessage, Data: data}) })
	}
}

// readDeadline: a peer must show life (a message or a pong) within
// PingInterval + PongTimeout.
func (c *Conn) readDeadline() time.Time {
	if c.cfg.pingInterval() < 0 {
		return time.Time{}
	}
	return time.Now().Add(c.cfg.pingInterval() + c.cfg.pongTimeout())
}

// write is the writer loop: queued messages, pings, the idle check and the
// close handshake.
func (c *Conn) write() {
	tick := c.cfg.pingInterval()
	if idle := c.cfg.idleTimeout(); idle > 0 && (tick < 0 || idle/2 < tick) {
		tick = idle / 2
	}
	var ticks <-chan time.Time
	if tick > 0 {
		t := time.NewTicker(tick)
		defer t.Stop()
		ticks = t.C
	}
	lastPing := time.Now()
	nc := c.ws.NetConn()
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
			batch := c.queue
			c.queue = nil
			closing, frame := c.closing, c.closeMsg
			c.mu.Unlock()
			for i, m := range batch {
				if m.op == opFramed {
					buf = append(buf, m.data...)
				} else {
					buf = wsframe.AppendFrame(buf, m.op, m.data)
				}
				batch[i] = outgoing{}
				if len(buf) >= 64<<10 {
					if err := flush(); err != nil {
						c.fail(err)
						return
					}
				}
			}
			if len(batch) > 0 {
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
				// Wait for the reader to see the peer's close frame, or not.
				c.ws.SetReadDeadline(time.Now().Add(c.cfg.closeTimeout()))
				return
			}
		}
		select {
		case <-c.wake:
		case now := <-ticks:
			if idle := c.cfg.idleTimeout(); idle > 0 && now.Sub(time.Unix(0, c.lastSeen.Load())) >= idle {
				c.startClose(gws.FormatCloseMessage(CloseGoingAway, "idle"), ErrIdle)
				continue
			}
			if ping := c.cfg.pingInterval(); ping > 0 && now.Sub(lastPing) >= ping {
				lastPing = now
				c.control(wsframe.OpPing, nil) // queued: a Send may be writing now
			}
		}
	}
}

// fail ends a connection the writer could not write to.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	c.closing = true
	if c.cause == nil {
		c.cause = err
	}
	c.mu.Unlock()
	c.ws.NetConn().Close() // the reader wakes with an error
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
			c.startClose(gws.FormatCloseMessage(CloseServerError, ""), &api.PanicError{Value: p})
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
