package connector

import (
	"errors"
	"io"
	"math"
	"os"
	"sync"
	"time"
)

// hangupWatch is how the portable connector hears a client leave while a
// request's handler runs (Stream.Watch with a HangupWatcher), as net/http's
// server hears it: a read of one byte, while the connection's goroutine is
// in the request's dispatch and the request's body was read to its end, so
// that nobody else reads the socket. EOF or an error is the client gone,
// told to the watcher as the epoll connector tells it (ErrClientGone); a
// byte is the client's next request, put back at the end of the read
// buffer when the watch ends, and the watch stops there.
//
// The read is aborted (a read deadline in the past) and waited for when
// the dispatch returns and when the handler hijacks the connection: a
// suspended request holds no goroutine here, and the write of its answer
// finds its client gone.
//
// The read begins hangupDelay after it may: a handler that answers within
// it, as most do, costs a timer's reset and stop, not a goroutine and the
// wake-ups of a read begun and aborted for each request.
type hangupWatch struct {
	mu    sync.Mutex
	s     *stream       // whose dispatch runs; nil between dispatches
	w     Watcher       // s's handler's (HangupWatcher.Hangup), told at most once
	state hangupState   // changes only through fire (hangupstate.go)
	t     *time.Timer   // runs start; made at the connection's first watch
	done  chan struct{} // the read returned, with n
	// What the read got, its reader's until done, then endWatch's.
	b [1]byte
	n int
}

var _ runningWatcher = (*portableIO)(nil)

// hangupDelay is how long a handler runs before the portable connector
// starts reading for its client's hang-up.
const hangupDelay = time.Millisecond

// pastDeadline is a read deadline that has passed: it aborts a read.
var pastDeadline = time.Unix(1, 0)

// dispatching marks the dispatch of s begun: its handler may be watched.
func (p *portableIO) dispatching(s *stream) {
	p.hw.mu.Lock()
	p.hw.s = s
	p.hw.mu.Unlock()
}

// watchRunning implements runningWatcher: w hears, once, that the client
// left while the dispatch runs, from when the body was read to its end.
// nil ends the watch (endWatch). A Watch after the dispatch returned is
// not kept: nothing reads the connection of a suspended request.
func (p *portableIO) watchRunning(w Watcher) {
	if w == nil {
		p.endWatch()
		return
	}
	hw := &p.hw
	hw.mu.Lock()
	if hw.s == nil {
		hw.mu.Unlock()
		return
	}
	hw.w = w
	hw.mu.Unlock()
	p.armWatch()
}

// armWatch schedules the read once both its conditions hold: a watcher
// (watchRunning) and the body read to its end (reqBody.Read); each calls
// it, so whichever comes second arms it. The body is looked at without
// hw.mu held: a goroutine of the handler holds the body's lock while it
// waits for the client, and endWatch takes the two in that order.
func (p *portableIO) armWatch() {
	hw := &p.hw
	hw.mu.Lock()
	s := hw.s
	_, armable := hangupTransition(hw.state, hwArm)
	ready := s != nil && hw.w != nil && armable
	hw.mu.Unlock()
	if !ready || !s.rbody().ended() {
		return
	}
	hw.mu.Lock()
	defer hw.mu.Unlock()
	if hw.s != s || hw.w == nil || !hw.fire(hwArm) {
		return
	}
	if hw.t == nil {
		hw.done = make(chan struct{}, 1)
		hw.t = time.AfterFunc(hangupDelay, p.startWatch)
		return
	}
	hw.t.Reset(hangupDelay)
}

// startWatch reads, on the timer's goroutine, until the client sends a
// byte or leaves, or endWatch aborts it. A timer whose Stop came too late
// finds the watch ended, or armed for a later request, whose read it
// then starts a little early.
func (p *portableIO) startWatch() {
	hw := &p.hw
	hw.mu.Lock()
	if !hw.fire(hwStart) {
		hw.mu.Unlock()
		return
	}
	nc, w := p.nc, hw.w
	// The deadline the head's or the body's read left would end the
	// watch as a timeout; endWatch sets its own (after this: hw.mu).
	nc.SetReadDeadline(time.Time{})
	hw.mu.Unlock()
	n, err := nc.Read(hw.b[:])
	hw.n = n
	if n == 0 && err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		// Told before done: once endWatch returns, the watcher was told or
		// never will be.
		w.ClientGone(ErrClientGone)
	}
	hw.done <- struct{}{}
}

// endWatch ends the watch of the dispatch that ran: it returned, or its
// handler takes the connection (Hijack). A read under way is aborted and
// waited for, its deadline cleared, and a byte it read is put back where
// the next request's head (or the hijacker) finds it.
func (p *portableIO) endWatch() {
	hw := &p.hw
	hw.mu.Lock()
	defer hw.mu.Unlock()
	s := hw.s
	hw.s, hw.w = nil, nil
	from := hw.state
	hw.fire(hwEnd) // legal in every state
	switch from {
	case hwIdle:
		return
	case hwArmed:
		hw.t.Stop()
		return
	}
	p.nc.SetReadDeadline(pastDeadline)
	<-hw.done
	p.nc.SetReadDeadline(time.Time{})
	n := hw.n
	hw.n = 0
	if n == 0 {
		return
	}
	// Under the body's lock, as Hijack and Tunnel read the buffer.
	c := &p.conn
	s.body.mu.Lock()
	if c.rbuf == nil {
		c.rbuf = c.srv.getReadBuffer()
		c.r, c.w, c.scanned = 0, 0, 0
	}
	c.makeRoom(math.MaxInt32)
	c.rbuf[c.w] = hw.b[0]
	c.w++
	s.body.mu.Unlock()
}

// ended reports whether the body was read to its end, or there is none:
// then nothing but the hang-up watch reads the socket until the next
// request.
func (rb *reqBody) ended() bool {
	b := &rb.body
	if b.kind == bodyNone {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err == io.EOF
}
