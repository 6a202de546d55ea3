package connector

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/h1"
	"github.com/wharf-go/wharf/internal/netpoll"
	"github.com/wharf-go/wharf/internal/timerwheel"
)

// serveEpoll serves ln with the epoll connector if it can, and reports
// whether it did: a plain TCP listener, unless Config.Portable (other
// wrappers use the portable connector). With tlsCfg, its connections
// speak TLS (tls_linux.go).
func (s *Server) serveEpoll(ln net.Listener, tlsCfg *tls.Config) (bool, error) {
	tl, ok := ln.(*net.TCPListener)
	if !ok || s.Config.Portable {
		return false, nil
	}
	pl, err := netpoll.NewListener(tl)
	if err != nil {
		return false, nil
	}
	addr := tl.Addr().(*net.TCPAddr)
	return true, s.serveSelector(&epListener{Listener: pl, ln: ln, addr: addr, local: addr.String(), tls: tlsCfg, err: make(chan error, 1)})
}

// startSelectors starts the selector goroutines once per server, unless it
// is shutting down: under the server's lock, so that Shutdown and Close
// either see them (and stop them) or keep them from starting. One that
// fails (out of descriptors, say) gives back what it made, and a later
// Serve tries again.
func (s *Server) startSelectors() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return ErrServerClosed
	}
	if s.selectors.Load() != nil {
		return nil // an earlier Serve started them
	}
	n := s.Config.Selectors
	if n <= 0 {
		n = defaultSelectors()
	}
	// The selectors' strategies share the executor, and so the
	// workers their reserved goroutines may take.
	reserved := dispatcher.SharedReserved(s.executor(), n)
	sels := make([]*selector, 0, n)
	for i := range n {
		sel, err := newSelector(s)
		if err != nil {
			for _, sel := range sels { // none started yet
				sel.strategy.Close()
				sel.cleanup()
			}
			return err
		}
		sel.strategy = dispatcher.NewStrategy(sel, s.executor(), dispatcher.StrategyConfig{Logger: s.Config.Logger, Reserved: reserved[i]})
		sels = append(sels, sel)
	}
	s.selectors.Store(&sels)
	for _, sel := range sels {
		go sel.loop()
	}
	return nil
}

// stopSelectors ends the selector goroutines and waits for them, then
// closes the server's own executor, waiting for its work while ctx lasts.
func (s *Server) stopSelectors(ctx context.Context) {
	for _, sel := range s.selectorList() {
		sel.stop()
	}
	for _, sel := range s.selectorList() {
		<-sel.done
		sel.strategy.Close()
	}
	s.closeExecutor(ctx)
}

// serveSelector accepts on l through the first selector until l fails or
// the server shuts down.
func (s *Server) serveSelector(l *epListener) error {
	if !s.track(l.ln) {
		return ErrServerClosed // Serve closes the listener
	}
	defer s.untrack(l.ln)
	if err := s.startSelectors(); err != nil {
		return err
	}
	sel := s.selectorList()[0]
	if h := s.Config.testBeforeListen; h != nil {
		h()
	}
	if err := sel.addListener(l); err != nil {
		if s.shutting.Load() {
			// Shutdown or Close came since the listener was tracked: it
			// closed the listener, and maybe stopped the selector, under
			// this registration, which is what failed.
			return ErrServerClosed
		}
		return err
	}
	defer sel.removeListener(l)
	// A listener its owner closes raises no event on the selector (the
	// socket leaves the poll set, or, if another descriptor keeps it open,
	// its one-shot registration is not re-armed), so look for that now and
	// then, to return as net/http's Serve does.
	tick := time.NewTicker(closedListenerCheck)
	defer tick.Stop()
	for {
		select {
		case err := <-l.err:
			if s.shutting.Load() {
				return ErrServerClosed
			}
			return err
		case <-s.closing():
			return ErrServerClosed
		case <-tick.C:
			if err := l.Err(); err != nil {
				if s.shutting.Load() {
					return ErrServerClosed
				}
				return fmt.Errorf("connector: listener closed: %w", err)
			}
		}
	}
}

// closedListenerCheck is how often serveEpoll looks whether its listener
// was closed by its owner.
const closedListenerCheck = 250 * time.Millisecond

// nextSelector spreads accepted connections over the selectors.
func (s *Server) nextSelector() *selector {
	i := s.selNext.Add(1)
	sels := s.selectorList()
	return sels[int(i)%len(sels)]
}

func newEpollConn(s *Server, f *fdConn, local string) *conn {
	c := &conn{srv: s, io: f, info: &api.ConnInfo{RemoteAddr: f.Remote.String(), LocalAddr: local}}
	c.run = c.runPending
	f.c = c
	return c
}

// runPending is the task function of a connection's requests (made once,
// so a hand-over allocates nothing): it runs what c.pending and c.pendKind say.
// A NonBlocking request runs on the producing goroutine, whose I/O must not
// park: the goroutine that would wake it is this one.
func (c *conn) runPending() {
	s, k := c.pending, c.pendKind
	c.pending = nil
	returned := false
	defer func() {
		// As the portable connector's serve does: a panic here (mapping a
		// request, a refused state edge), or a handler's runtime.Goexit,
		// must not leave the connection owned by nobody, open for good
		// and keeping Shutdown waiting.
		p := recover()
		if p != nil {
			c.srv.Config.logger().Error("connector: panic serving connection", "panic", p)
		}
		if !returned {
			c.close()
		}
	}()
	switch k {
	case pendServe:
		c.serveEP(s, false)
	case pendServeInline:
		c.serveEP(s, true)
	}
	returned = true
}

// taskFor hands s to the strategy (or the executor) as a Task.
func (c *conn) taskFor(s *stream, k pendingKind) dispatcher.Task {
	c.pending, c.pendKind = s, k
	if k == pendServeInline {
		return dispatcher.Task{Run: c.run, Type: api.NonBlocking}
	}
	return dispatcher.Task{Run: c.run, Type: api.Blocking}
}

// task wraps the parsed request s for the strategy.
func (c *conn) task(s *stream) dispatcher.Task {
	if c.srv.prepare(s) == api.NonBlocking {
		return c.taskFor(s, pendServeInline)
	}
	return c.taskFor(s, pendServe)
}

// fill reads into the read buffer without blocking. When the socket is
// drained and no edge arrived meanwhile, the connection becomes idle —
// giving its buffer back if nothing is pending — and errWouldBlock is
// returned: the caller must then leave the connection alone, because the
// selector may pick it up at once.
//
// A read that came back short found the socket drained: TCP fills a read
// with all it holds, and bytes arriving after it make an edge, which the
// selector records in Readable (or, once the connection is idle, acts on).
// So after a short read of a head, the read that would look for the next
// one is skipped unless an edge came: on a keep-alive connection that is
// one system call a request fewer, the one that finds nothing. Two things
// a short read leaves unread make no new edge, so they make it read all
// the same: the peer's end (PeerClosed, or a break), which the read
// returns once the bytes before it are taken, and urgent data, at whose
// mark a read stops with bytes still behind it (c.urgent).
//
// c.drained is touched only by the goroutine reading heads; a request
// with a body, read from the socket by other calls (on other goroutines
// too), clears it when its head is parsed (readRequest).
func (f *fdConn) fill(bool, bool) (int, error) {
	c := f.c
	if c.drained && f.tls == nil {
		c.drained = false
		if err := f.idleUnless(true); err != nil {
			return 0, err
		}
		// Something came since, or may be left: read.
	}
	if h := c.srv.Config.testHeadRead; h != nil {
		h()
	}
	p := c.rbuf[c.w:]
	n, err := f.readNow(p)
	c.drained = err == nil && n < len(p)
	if err != netpoll.ErrAgain {
		return n, err
	}
	return 0, f.idleUnlessReadable()
}

// idleUnlessReadable lets the connection turn idle once its socket is
// drained: it returns errWouldBlock (the caller must leave the connection
// alone now), nil when an edge came meanwhile (read again), or ioEOF when
// the server shuts down and the connection is to be closed now. One
// discarding the rest of a body (c.drain) turns idle then too: its client
// may still be sending, and a close would reset the connection, destroying
// what of the answer it has not read; its timer bounds the discard.
func (f *fdConn) idleUnlessReadable() error { return f.idleUnless(false) }

// idleUnless is idleUnlessReadable; skipped says no read found the socket
// empty, a short one having been taken for it (fill), so the peer's end
// and urgent data, which such a read may leave behind, also mean: read.
func (f *fdConn) idleUnless(skipped bool) error {
	c := f.c
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.Readable || skipped && (f.PeerClosed || f.Broken || c.urgent) {
		return nil // read (again)
	}
	// Part of a TLS record waiting in crypto/tls is part of a head, for
	// ReadHeaderTimeout, as bytes in the read buffer are.
	partial := f.tls != nil && f.tls.partial
	// Nothing of a request is here: none, or the empty lines a client may
	// send after one, which the parser would skip (see readRequest).
	empty := h1.OnlyEmptyLines(c.rbuf[c.r:c.w])
	if empty && (c.r == c.w || c.drain == nil && !c.lingering && (c.w-c.r)%2 == 0) {
		// An idle connection holds no buffer for those lines through
		// IdleTimeout: whole CRLFs go with it (a CR cut from its LF
		// stays, with its buffer).
		c.dropReadBuffer()
	}
	switch {
	case !partial && empty: // no head begun
		c.headAt = 0
	case c.headAt == 0 && c.drain == nil:
		c.headAt = f.sel.clock()
	}
	if !c.toIdle() && c.drain == nil && c.claim() {
		return ioEOF // shutting down, and still ours: close it now
	}
	f.armIdleLocked()
	return errWouldBlock
}

// answer makes one non-blocking attempt to send b; for short answers to
// requests that never reached a handler.
func (f *fdConn) answer(b []byte) {
	if f.tls != nil {
		f.tls.tc.Write(b) // never waits: no response write is under way
	} else {
		bufs := [1][]byte{b}
		netpoll.Writev(f.FD, bufs[:])
	}
}

// readHeadNB reads and parses a request head without blocking and returns
// the task that serves it. Its caller owns the connection, Reading.
func (c *conn) readHeadNB() (dispatcher.Task, bool) {
	if c.lingering {
		c.lingerNB()
		return dispatcher.Task{}, false
	}
	if c.drain != nil && !c.drainNB() {
		return dispatcher.Task{}, false
	}
	s, res := c.readRequest()
	switch res {
	case readWouldBlock:
		return dispatcher.Task{}, false
	case readAnswered:
		c.lingerClose()
		return dispatcher.Task{}, false
	case readClose:
		c.close()
		return dispatcher.Task{}, false
	case readH2C, readH2CUpgrade:
		// The connection becomes HTTP/2, whose reader is a goroutine of its
		// own for the connection's life: not the producer's, nor one the
		// executor's bound counts.
		return dispatcher.Task{Run: func() { go c.handOver(s) }, Type: api.NonBlocking}, true
	}
	return c.task(s), true
}

// serveEP dispatches st and then the requests that follow on the connection,
// until it would block, closes, or a request suspends. inline says it runs
// on the producing goroutine, for NonBlocking handlers only: a following
// request for a handler that may block is handed to the executor.
func (c *conn) serveEP(s *stream, inline bool) {
	f := c.io.(*fdConn)
	for {
		c.must(evHead)
		f.setNoPark(inline)
		c.srv.serve(s)
		// The handler returned: a hang-up from now on is the idle
		// connection's, or a suspended request's, which detach arms.
		f.watchRunning(nil)
		if inline && c.srv.Config.testInlineReturned != nil {
			c.srv.Config.testInlineReturned()
		}
		if s.handoff.Load() == hoServing {
			f.setNoPark(false)
			// Both go before the connection is marked detached, so that
			// whoever sees it detached sees neither held.
			c.releaseIdleReadBuffer(s)
			f.stopIdle()
			c.must(evSuspend)
			f.detach(s)
			if _, ok := s.handoff.fire(hoLeave); ok {
				return // the finisher continues the connection
			}
			f.attach()
		}
		f.setNoPark(false)
		if !s.rbody().done() {
			// The rest of the body comes when the client sends it: the
			// selector discards it, and no goroutine waits for it.
			if t, ok := c.drainThenPeek(s); ok {
				c.srv.execute(offProducer(c, t))
			}
			return
		}
		if !c.nextEP(s) {
			return
		}
		var res readResult
		s, res = c.readRequest()
		switch res {
		case readWouldBlock:
			return
		case readAnswered:
			c.lingerClose()
			return
		case readClose:
			c.close()
			return
		}
		if inline && c.srv.prepare(s) != api.NonBlocking {
			c.srv.execute(c.taskFor(s, pendServe))
			return
		}
	}
}

// nextEP settles the connection after a response, keeping it for reading
// the next head.
func (c *conn) nextEP(s *stream) bool {
	if !s.tunneled { // a Tunnel's read listener is its own
		c.io.(*fdConn).attach() // a read listener of the finished request must not fire now
	}
	return c.next(s)
}

// resume goes on with a connection whose suspended request the calling
// goroutine just finished. What cannot block is done here: with the body
// read, settling the connection and looking for the next head take no
// waiting, and most often the connection simply turns idle. A body still
// arriving is discarded by the selector as it comes (drainThenPeek); a next
// request to serve goes to the executor.
func (f *fdConn) resume(s *stream) {
	c := f.c
	var t dispatcher.Task
	var ok bool
	if s.rbody().done() {
		t, ok = c.settleAndPeek(s)
	} else {
		t, ok = c.drainThenPeek(s)
	}
	if ok {
		c.srv.execute(offProducer(c, t))
	}
}

// settleAndPeek settles the connection after the suspended request s and
// reads the next head without waiting. It returns the task that serves
// what came next, if anything did; if not, the connection is idle or
// closed.
func (c *conn) settleAndPeek(s *stream) (dispatcher.Task, bool) {
	if !c.nextEP(s) {
		return dispatcher.Task{}, false
	}
	return c.readHeadNB()
}

// offProducer adapts a task readHeadNB made for the producer to a goroutine
// that may block: a NonBlocking request need not keep the no-parking rule
// there.
func offProducer(c *conn, t dispatcher.Task) dispatcher.Task {
	if t.Type == api.NonBlocking {
		c.pendKind = pendServe
		t.Type = api.Blocking
	}
	return t
}

// stopIdle takes the connection's idle timer out of the wheel as its
// request suspends: a suspended request may wait for long, and the
// connection needs the timer only once it turns idle again
// (armIdleLocked), so a waiting request keeps none filed. A fire already
// on its way finds the connection not idle.
func (f *fdConn) stopIdle() {
	f.Mu.Lock()
	if f.idleArmed {
		f.sel.wheel.Stop(&f.tm)
		f.idleArmed = false
	}
	f.Mu.Unlock()
}

// detach marks the connection as holding a suspended request: nobody reads
// it, and a hang-up fails the request through its watcher.
func (f *fdConn) detach(s *stream) {
	// A client that sent its next request behind this one waits for the
	// answers in order: its end, which came with them, is a half-close
	// (a client that pipelines, then shuts its sending side), not a
	// hang-up. Such a request is not watched, as on the portable
	// connector: a client gone indeed is found by the write of its
	// answer.
	if f.c.srv.Config.testDetach != nil {
		f.c.srv.Config.testDetach()
	}
	if s.rbody().done() && f.pipelined(s) {
		return
	}
	f.Mu.Lock()
	if s.watcher != nil {
		w := s.watcher
		f.gone = w
		if f.PeerClosed || f.Broken {
			f.gone = nil
			f.Mu.Unlock()
			w.ClientGone(ErrClientGone)
			return
		}
	}
	f.Mu.Unlock()
}

// pipelined reports whether bytes of a next request wait in the read
// buffer, once s's body is done. No goroutine of the handler reads it
// then, but a task of the request (a handler that the container queued,
// an answer to an asynchronous authentication) may take the connection
// over as the request suspends: Tunnel and Hijack move r under the body's
// lock, which they hold only for that.
func (f *fdConn) pipelined(s *stream) bool {
	s.body.mu.Lock()
	more := f.c.r < f.c.w
	s.body.mu.Unlock()
	return more
}

// watchRunning has w hear, once, that the client hung up while the
// request's handler runs (Stream.Watch), as detach has a suspended
// request's watcher hear it; nil stops it. A hang-up seen before is not
// one: it came with the request (a client that half-closes once it sent
// it).
func (f *fdConn) watchRunning(w Watcher) {
	f.Mu.Lock()
	f.gone = w
	f.Mu.Unlock()
}

// attach undoes detach: a goroutine owns the connection again.
func (f *fdConn) attach() {
	f.Mu.Lock()
	f.gone, f.onRead = nil, nil
	f.Mu.Unlock()
}

// armIdleLocked starts the idle or header timer of a connection turning
// idle. A connection turns idle between most requests, so the timer is only
// moved when it would fire too late: one still pending that fires earlier
// finds the deadline moved on and sleeps again (idleFired).
func (f *fdConn) armIdleLocked() {
	lim := f.c.srv.limits()
	w := f.sel.wheel
	now := w.Now()
	in := lim.IdleTimeout
	switch {
	case f.c.drain != nil && f.c.drain.body.x != nil: // a drain waits only for a body with bytes to read
		in = f.c.drain.body.x.drainBy - now
	case f.c.lingering:
		in = f.c.headAt - now
	case f.c.headAt != 0:
		in = f.sel.left(f.c.headAt, lim.ReadHeaderTimeout)
	}
	in = min(in, timerwheel.MaxDelay) // before it is added: a timeout of "forever" cannot overflow the clock
	f.idleDeadline = now + in
	if f.idleArmed && f.idleAt <= f.idleDeadline {
		return
	}
	f.scheduleIdleLocked()
}

// scheduleIdleLocked files the connection's timer for the idle or header
// timeout, at idleDeadline on the wheel's clock (ScheduleAt: its callers
// have just read the clock to work the deadline out). A write wait still
// bounded by it (one begun by the response before, whose connection has
// turned idle since) gives way: its callback still runs when the socket
// takes more or fails, and the idle timeout now bounds the connection.
// Mu is held.
func (f *fdConn) scheduleIdleLocked() {
	f.wArmed = false
	f.idleArmed, f.idleAt = true, f.idleDeadline
	f.sel.wheel.ScheduleAt(&f.tm, f.idleDeadline, 0)
}

// idleFired closes a connection that stayed idle too long, answering 408
// if a head had started. A body being discarded has had its answer, and
// its client may still be sending it: that connection closes lingering,
// as one past MaxDiscardBytes does, for a close would reset it and
// destroy what of the answer the client has not read. It runs on the
// selector's producer, which must not park: the 408, a write that might,
// goes out from a goroutine of its own; a lingering close never waits.
func (f *fdConn) idleFired() {
	f.Mu.Lock()
	if f.sel.wheel.Pending(&f.tm) {
		// Filed again since the wheel took it out to fire (the Firer runs
		// outside the wheel's lock): that filing, and idleArmed with it,
		// is the connection's now, and will fire in its turn.
		f.Mu.Unlock()
		return
	}
	f.idleArmed = false
	if f.c.state() != connIdle {
		f.Mu.Unlock()
		return
	}
	if f.idleDeadline > f.sel.wheel.Now() { // idle again since
		f.scheduleIdleLocked()
		f.Mu.Unlock()
		return
	}
	claimed := f.c.claim()
	f.Mu.Unlock()
	if !claimed {
		return
	}
	c := f.c
	if c.drain != nil {
		c.lingerClose()
		return
	}
	if !h1.OnlyEmptyLines(c.rbuf[c.r:c.w]) { // a head begun: answered
		go func() {
			c.writeError(408, "request header timeout")
			c.lingerClose()
		}()
		return
	}
	c.close()
}
