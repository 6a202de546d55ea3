package websocket

import (
	"math"
	"time"

	"github.com/wharf-go/wharf/internal/timerwheel"
	"github.com/wharf-go/wharf/internal/wsframe"
)

// A connection has one timer, for whatever is due first: the next ping,
// the keep-alive's deadline, the idle timeout, the end of a close
// handshake. Where the tunnel has a timer wheel (the epoll connector: the
// wheel of the selector polling the socket) the timer is a
// timerwheel.Timer inside the Conn, which fires on the selector's
// goroutine: 5,000 quiet connections cost no runtime timer, and their
// pings need no goroutine to go out. Elsewhere (a hijacked net.Conn) it
// is a runtime timer, whose expiry runs on a goroutine of its own.
//
// Instants are int64 nanoseconds on the connection's clock (now),
// monotonic: the wheel's, or without one the time since the connection's
// start. Zero means none; a sum past the clock's end saturates, so a
// timeout of "forever" (math.MaxInt64) never fires.

// wheeled is implemented by a Tunnel whose events come from a loop that
// drives a timer wheel, and whose calls do not block: a timer of the
// wheel may do its work (write a ping, close the connection) where it
// fires.
type wheeled interface {
	TimerWheel() *timerwheel.Wheel
}

// initTimer finds the wheel the connection's timer goes in, if any.
func (c *Conn) initTimer() {
	if w, ok := c.t.(wheeled); ok {
		c.wheel = w.TimerWheel()
	}
	if c.wheel != nil {
		c.tm.Init((*tickFirer)(c))
		return
	}
	c.rt = &runtimeTimer{origin: time.Now()}
}

// runtimeTimer is the timer of a connection without a wheel, and the
// origin of its clock.
type runtimeTimer struct {
	t      *time.Timer // nil until first armed
	origin time.Time
}

// now is the time on the connection's clock.
func (c *Conn) now() int64 {
	if c.wheel != nil {
		return int64(c.wheel.Now())
	}
	return int64(time.Since(c.rt.origin))
}

// after is the instant d after now, saturating at the clock's end; never
// zero, which means none.
func after(now int64, d time.Duration) int64 {
	return max(int64(sum(time.Duration(now), d)), 1)
}

// sum is a+b, saturating: the keep-alive's span PingInterval +
// PongTimeout when either is "forever", an instant past the clock's end.
func sum(a, b time.Duration) time.Duration {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// armLocked sets the timer for the earliest thing due: a ping, the
// keep-alive's deadline, the idle timeout, the close handshake's end. A
// deadline that moved later needs no new timer: tick finds it not due.
func (c *Conn) armLocked(now int64) {
	if c.finished {
		return
	}
	var next int64
	earliest := func(t int64) {
		if t != 0 && (next == 0 || t < next) {
			next = t
		}
	}
	if c.closeBy != 0 {
		earliest(c.closeBy)
	} else if c.keepingAliveLocked() {
		earliest(c.rdl)
	}
	if c.pingingLocked() {
		earliest(c.nextPing)
	}
	if !c.cs.closing() {
		if idle := c.cfg.idleTimeout(); idle > 0 {
			earliest(after(c.lastSeen.Load(), idle))
		}
	}
	if next == 0 || (c.timerAt != 0 && next >= c.timerAt) {
		return
	}
	c.timerAt = next
	d := time.Duration(next - now)
	switch {
	case c.wheel != nil:
		c.timerGen++
		c.wheel.Schedule(&c.tm, d, c.timerGen)
	case c.rt.t == nil:
		c.rt.t = time.AfterFunc(d, func() { c.tick(0, false) })
	default:
		c.rt.t.Reset(d)
	}
}

// stopTimerLocked stops the timer for good: the connection finished.
func (c *Conn) stopTimerLocked() {
	c.timerAt = 0
	switch {
	case c.wheel != nil:
		c.timerGen++ // a firing under way is stale
		c.wheel.Stop(&c.tm)
	case c.rt.t != nil:
		c.rt.t.Stop()
	}
}

// keepingAliveLocked reports whether the keep-alive's deadline applies:
// while the connection is read and pings may go (pingingLocked). Once the
// server's close frame is framed, or is to be the next thing the peer
// reads (CloseNow, an overflowed Close), the peer's silence is no news:
// it may be stuck behind the frame being written, which WriteTimeout
// bounds, and its answer to the close, which CloseTimeout bounds. Were
// the deadline to fire then, OnClose would get ErrPongTimeout for a close
// the server had already decided, with another code. Under mu.
func (c *Conn) keepingAliveLocked() bool {
	return !c.readDone && c.pingingLocked()
}

// tickFirer is a connection as its timer's timerwheel.Firer.
type tickFirer Conn

// Fire implements timerwheel.Firer, on the goroutine that drives the
// wheel (a selector's): tick does not block there, as the tunnel's calls
// do not (wheeled).
func (f *tickFirer) Fire(gen uint32) { (*Conn)(f).tick(gen, true) }

// tick does what is due: it gives up a close handshake the peer did not
// answer, closes a peer silent past the keep-alive's deadline or a
// connection idle for IdleTimeout, sends a ping; then it sets the timer
// for what comes next. A wheel's firing of an arming that was moved
// since (gen) does nothing: the wheel fires the new one.
func (c *Conn) tick(gen uint32, wheel bool) {
	now := c.now()
	c.mu.Lock()
	if c.finished || wheel && gen != c.timerGen {
		c.mu.Unlock()
		return
	}
	c.timerAt = 0
	switch {
	case c.closeBy != 0:
		if now >= c.closeBy {
			c.readEndedLocked(ErrCloseTimeout)
			c.mu.Unlock()
			c.finish()
			return
		}
	case c.keepingAliveLocked() && c.rdl != 0 && now >= c.rdl:
		if c.running {
			// A callback runs, or work waits for the executor: the
			// connection is not being read, so what the peer sent
			// meanwhile (its pongs) is unread, not missing. Taking it for
			// dead would drop a live peer for the server's own slowness;
			// the reader gets PongTimeout from now to find its frames.
			c.rdl = after(now, c.cfg.pongTimeout())
			break
		}
		c.mu.Unlock()
		c.readFailed(closeFrame(CloseGoingAway, "keep-alive timeout"), ErrPongTimeout)
		return
	}
	if idle := c.cfg.idleTimeout(); idle > 0 && !c.cs.closing() && now >= after(c.lastSeen.Load(), idle) {
		c.mu.Unlock()
		c.startClose(closeFrame(CloseGoingAway, "idle"), false, ErrIdle)
		c.mu.Lock()
	}
	if c.pingingLocked() && c.nextPing != 0 && now >= c.nextPing {
		c.controlLocked(wsframe.OpPing, nil)
		c.nextPing = after(now, c.cfg.pingInterval())
	}
	c.armLocked(now)
	// On a selector, frame and write the ping alone: messages queued by
	// a Send about to flush (it unlocked, then flushes) are for the
	// executor to frame, however large, not for the selector, whose
	// other connections wait meanwhile.
	queued := wheel && len(c.queue) > 0
	c.mu.Unlock()
	if queued {
		c.t.Execute(c.flush)
		return
	}
	c.flush()
}
