package connector

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/connlimit"
	"github.com/wharf-go/wharf/internal/h1"
)

// Sentinel errors of package connector.
var (
	// ErrServerClosed is returned by Serve after Shutdown or Close. It is
	// net/http's http.ErrServerClosed, so that a program written for
	// net/http, which ends when ListenAndServe returns anything else
	// ("if err != http.ErrServerClosed { log.Fatal(err) }"), is not
	// ended by the graceful shutdown it just started.
	ErrServerClosed = http.ErrServerClosed
	// ErrAborted is the error of a stream whose connection was aborted.
	ErrAborted = errors.New("connector: connection aborted")
	// ErrClientGone is what a suspended request fails with when its client
	// closes the connection, or Close breaks it (reported through Watcher).
	ErrClientGone = errors.New("connector: client closed the connection")
	// ErrNoCertificate is returned by ServeTLS when neither Config.TLSConfig
	// nor the files given hold a certificate.
	ErrNoCertificate = errors.New("connector: TLS needs a certificate")
	// ErrTooSlow is what a read of a request body fails with (inside a 408
	// api.StatusError) when the body arrives slower than
	// Config.MinRequestDataRate or past Config.ReadBodyTimeout, and what a
	// write of a response fails with when its client takes it slower than
	// Config.MinResponseDataRate; the connection is then closed.
	ErrTooSlow = errors.New("connector: peer slower than the minimum data rate")
)

// Server is an HTTP/1.1 connector. On Linux it serves a plain TCP listener
// with the epoll connector; other listeners (TLS), other platforms and
// Config.Portable get one goroutine per connection while a request is read
// or dispatched, none while a request is suspended. Either hands HTTP/2
// connections to Config.HTTP2. Set Handler and Config before Serve; they
// must not change afterwards.
//
// Goroutines: Serve, Shutdown, Close and the accessors may be called from any
// goroutine.
type Server struct {
	Handler Handler
	Config  Config

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     connList      // open connections
	drained   chan struct{} // closed when shutting down and no conns remain
	shutting  atomic.Bool
	// gaveUp says a Shutdown ran out of time with connections open: the
	// last of them to close stops the selectors, which nobody else would
	// without a Close. Under mu.
	gaveUp bool

	cfgOnce sync.Once        // makes what Config decides, on first use
	limit   *connlimit.Limit // Config.MaxConnections; see connLimit
	lims    Limits           // Config.Limits(); see limits

	accepted atomic.Int64
	rbufs    sync.Pool // *readBuffer
	dates    h1.DateCache
	heads    sync.Pool // *h1.RequestHead

	// hijacking counts the hijacked connections whose handlers may still
	// run on the goroutine that served them (until conn.next): Shutdown
	// does not wait for them, in the executor either.
	hijacking atomic.Int64

	selectors  atomic.Pointer[[]*selector] // the epoll connector's, started by the first Serve to succeed
	selNext    atomic.Uint32
	closed     chan struct{} // closed by Shutdown and Close; see closing
	execOnce   sync.Once
	handed     map[*handedConn]struct{} // connections handed over to HTTP/2, for Shutdown and Close; under mu
	closedHard bool                     // Close was called: a connection handed over later is closed at once; under mu
	ownExec    *dispatcher.UnboundedExecutor

	// tlsClosing holds the crypto/tls connections whose Close or
	// CloseWrite is sending close_notify (sayCloseNotify); hurryBy, once
	// set, is when such a send gives up, whenever it began. Under mu.
	tlsClosing map[*tls.Conn]struct{}
	hurryBy    time.Time
}

// Serve accepts connections on l until l fails or the server shuts down. It
// always returns a non-nil error: ErrServerClosed after Shutdown or Close.
// Closing l yourself ends it too, with the error that says so (on the
// epoll connector, within a quarter of a second). As net/http's Serve,
// it closes l before it returns, whatever the error: a caller that gives
// up on a failed Serve has no listener left bound to the port.
func (s *Server) Serve(l net.Listener) error {
	defer l.Close()
	ln, tlsCfg := l, (*tls.Config)(nil)
	if tl, ok := l.(*tlsListener); ok {
		if !hasCertificate(tl.cfg) {
			// As ServeTLS: the epoll connector would serve a nil
			// configuration as plain HTTP, on a port meant for TLS.
			return ErrNoCertificate
		}
		ln, tlsCfg = tl.inner, tl.cfg // the epoll connector does the TLS itself
	}
	if served, err := s.serveEpoll(ln, tlsCfg); served {
		return err
	}
	if !s.track(l) {
		return ErrServerClosed
	}
	defer s.untrack(l)
	var delay time.Duration
	for {
		if !s.connLimit().Wait() {
			return ErrServerClosed
		}
		nc, err := l.Accept()
		if err != nil {
			if s.shutting.Load() {
				return ErrServerClosed
			}
			if retryable(err) {
				// Out of file descriptors or a transient failure: back off
				// rather than spin, and keep serving what is open.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.Config.logger().Warn("connector: accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.accepted.Add(1)
		c := newConn(s, nc)
		if !s.addConn(c, false) {
			nc.Close()
			return ErrServerClosed
		}
		go c.start()
	}
}

// retryable reports accept errors worth retrying: timeouts and running out
// of descriptors or buffers.
func retryable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) ||
		errors.Is(err, syscall.ECONNABORTED)
}

func (s *Server) track(l net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return false
	}
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]struct{})
	}
	s.listeners[l] = struct{}{}
	return true
}

func (s *Server) untrack(l net.Listener) {
	s.mu.Lock()
	delete(s.listeners, l)
	s.mu.Unlock()
}

// connLimit returns the connection limit, made from Config.MaxConnections
// on first use. An accept loop that does not block reserves a slot before
// it accepts (the epoll selector); a blocking one waits for the count to
// be under the limit (see package connlimit).
func (s *Server) connLimit() *connlimit.Limit {
	s.cfgOnce.Do(s.fromConfig)
	return s.limit
}

// limits returns Config.Limits(), worked out on first use: Config does not
// change once serving starts, and every request reads its limits.
func (s *Server) limits() *Limits {
	s.cfgOnce.Do(s.fromConfig)
	return &s.lims
}

// fromConfig makes what Config decides for the server's life (it does not
// change once serving starts): the connection limit and the limits.
func (s *Server) fromConfig() {
	s.limit = connlimit.New(s.Config.MaxConnections)
	s.lims = s.Config.Limits()
}

// addConn lists a connection just accepted; reserved says the accept held
// a reservation, which the connection now takes over.
func (s *Server) addConn(c *conn, reserved bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		if reserved {
			s.connLimit().Unreserve()
		}
		return false
	}
	s.conns.add(c)
	s.connLimit().Opened(reserved)
	return true
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	if s.conns.remove(c) {
		s.connLimit().Closed()
	}
	stop := false
	if s.shutting.Load() && s.conns.n == 0 {
		if s.drained != nil {
			close(s.drained)
			s.drained = nil
		}
		stop, s.gaveUp = s.gaveUp, false
	}
	s.mu.Unlock()
	if stop {
		// On a goroutine of its own: this one may be a selector's
		// producer, whose end stopSelectors waits for.
		go s.stopSelectors(context.Background())
	}
}

// Shutdown stops accepting, closes idle connections, lets connections with
// a request in flight finish it (then closes them), connections
// discarding the unread rest of a body after an answer finish that
// (within DiscardTimeout and MaxDiscardBytes) and connections closing
// after an answer finish their lingering close (half a second at most),
// and waits until none is left or ctx is done. It does not expire suspended requests: the container
// does that. A hijacked connection is not waited for, nor closed, nor is
// the handler that took it, as with net/http's Shutdown: it left the
// server at its Hijack. It returns ctx.Err() if ctx ended first. A TLS
// connection it closes says close_notify first; the wait for a socket that
// does not take it (a client that does not read) ends with ctx, where
// net/http's waits up to crypto/tls's 5 s for each.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopAcceptingLocked()
	var drained chan struct{}
	if s.conns.n > 0 {
		if s.drained == nil {
			s.drained = make(chan struct{})
		}
		drained = s.drained
	}
	conns := s.conns.all()
	s.goAwayHandedLocked()
	s.mu.Unlock()
	// A TLS connection's close may wait for its socket (closeConn):
	// ctx bounds that wait too, for the closes here and for those of the
	// connections that close as their requests end while this waits.
	stop := context.AfterFunc(ctx, func() { s.hurryCloses(0) })
	defer stop()
	for _, r := range conns {
		r.closeIfIdle()
	}
	if h := s.Config.testShutdownLooked; h != nil {
		h()
	}
	if drained != nil {
		select {
		case <-drained:
		case <-ctx.Done():
			// Here too, not only through stop's AfterFunc: ctx closes
			// Done before it runs that, and the deferred stop, winning
			// the race, would leave the closes to crypto/tls's 5 s.
			s.hurryCloses(0)
			// The connections left go on as net/http's do; the last to
			// close stops the selectors (removeConn), unless all are gone.
			s.mu.Lock()
			s.gaveUp = s.conns.n > 0
			stop := !s.gaveUp
			s.mu.Unlock()
			if stop {
				s.stopSelectors(ctx)
			}
			return ctx.Err()
		}
		s.mu.Lock()
		hard := s.closedHard
		s.mu.Unlock()
		if hard {
			return nil // ended by Close, which stops the selectors
		}
	}
	s.stopSelectors(ctx)
	return nil
}

// closing returns a channel closed once Shutdown or Close is called.
func (s *Server) closing() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed == nil {
		s.closed = make(chan struct{})
		if s.shutting.Load() {
			close(s.closed)
		}
	}
	return s.closed
}

// stopAcceptingLocked marks the server shutting down, closes the closing
// channel once and closes the listeners; s.mu is held.
func (s *Server) stopAcceptingLocked() {
	s.shutting.Store(true)
	if s.closed == nil {
		s.closed = make(chan struct{})
	}
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	s.connLimit().Close() // the listeners close now: never pause or resume them again
	for l := range s.listeners {
		l.Close()
	}
}

// Close closes every listener and connection at once, and ends a
// Shutdown waiting for them. It does not wait for handlers still running,
// as net/http's Close does not: their connections are broken, and a
// server's own executor (no Config.Executor) takes no more work. Where
// the connector hears a client leave (see Stream.Watch), the Watcher of a
// request on a connection it breaks hears it too (ErrClientGone), as if
// the client had left: a suspended request no container completes can
// end then. The close_notify of a TLS connection it closes (or a Shutdown
// is closing) has a tenth of a second to go out, not crypto/tls's 5 s.
func (s *Server) Close() error {
	s.mu.Lock()
	s.stopAcceptingLocked()
	conns := s.conns.all()
	handed := s.handedConnsLocked()
	s.closedHard = true
	s.gaveUp = false // the selectors stop below
	if s.drained != nil {
		// A Shutdown waiting for the connections ends, as net/http's does
		// after Close: what is left is Close's now, and a handler deaf to
		// its broken connection may run for long.
		close(s.drained)
		s.drained = nil
	}
	s.mu.Unlock()
	s.hurryCloses(closeNotifyGrace)
	for _, nc := range handed {
		s.closeConn(nc)
	}
	for _, r := range conns {
		if r.c.claim() {
			r.c.close()
		} else {
			// Someone owns it (or a suspended request does): break the
			// socket so the owner fails and closes it. Closing an epoll
			// descriptor here could let its number be reused under the
			// owner's feet. A suspended request's watcher hears it here:
			// the selectors stop below, maybe before they see the break,
			// and without a container to complete the request it would
			// stay suspended, its connection open.
			r.io.breakWatched()
		}
	}
	// Stop the executor taking work, without waiting for what it runs: a
	// handler deaf to its broken connection would hold Close for as long
	// as it runs, where Close is the way out of a Shutdown gone too long.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.stopSelectors(ctx)
	return nil
}

// ShuttingDown reports whether Shutdown or Close was called.
func (s *Server) ShuttingDown() bool { return s.shutting.Load() }

// Stats is a snapshot of a connector's connections.
type Stats struct {
	Accepted int64 // connections accepted since start
	Open     int   // connections open now
	Idle     int   // of which waiting for bytes of a request (a head begun but not complete included; a TLS handshake under way only on the portable connector): Shutdown closes these
	Detached int   // of which holding a suspended request and no goroutine
	// Strategy sums the epoll selectors' execution strategies: requests
	// run per mode (PC, EPC, PEC) and the reserved goroutines.
	Strategy dispatcher.StrategyStats
	// Timers counts the timers filed in the epoll selectors' timer
	// wheels: the suspend timeouts of requests on their connections, the
	// idle timeouts of idle connections and the timer of each connection
	// taken over as a Tunnel that asked for one (a WebSocket's), none a
	// runtime timer.
	Timers int
}

// Stats returns a snapshot of the connections.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Accepted: s.accepted.Load(), Open: s.conns.n}
	for c := s.conns.head; c != nil; c = c.lnext {
		switch c.state() {
		case connIdle:
			st.Idle++
		case connDetached:
			st.Detached++
		}
	}
	for _, sel := range s.selectorList() {
		st.Strategy = st.Strategy.Add(sel.strategyStats())
		st.Timers += sel.timers()
	}
	return st
}

// selectorList returns the epoll selectors, none before the first Serve.
func (s *Server) selectorList() []*selector {
	if p := s.selectors.Load(); p != nil {
		return *p
	}
	return nil
}

// connList is the server's set of open connections, linked through the
// connections themselves: a map would cost more per connection than the
// two pointers. The server's mutex guards it.
type connList struct {
	head *conn
	n    int
}

func (l *connList) add(c *conn) {
	c.lnext, c.lprev, c.listed = l.head, nil, true
	if l.head != nil {
		l.head.lprev = c
	}
	l.head = c
	l.n++
}

// remove takes c out and reports whether it was in; removing a connection
// twice is harmless.
func (l *connList) remove(c *conn) bool {
	if !c.listed {
		return false
	}
	if c.lprev != nil {
		c.lprev.lnext = c.lnext
	} else {
		l.head = c.lnext
	}
	if c.lnext != nil {
		c.lnext.lprev = c.lprev
	}
	c.lprev, c.lnext, c.listed = nil, nil, false
	l.n--
	return true
}

// connRef is a connection with its platform side as it was under the
// server's mutex: a connection handed to HTTP/2 changes it (under the same
// mutex) while Close may be looking.
type connRef struct {
	c  *conn
	io connIO
}

// all returns the connections, to act on outside the lock. s.mu is held.
func (l *connList) all() []connRef {
	cs := make([]connRef, 0, l.n)
	for c := l.head; c != nil; c = c.lnext {
		cs = append(cs, connRef{c, c.io})
	}
	return cs
}

// closeIfIdle closes the connection if it waits for a request; used by
// Shutdown. A connection turning idle re-checks shutdown (toIdle), so one
// that turns idle just after this look is closed too. Whoever claims the
// idle connection first owns it: losing here leaves the request to be
// served; winning means it was never started, which a client may retry
// (RFC 9112 §9.6). An idle connection in its lingering close (epoll) is
// not closed: its answer went, and a close while its client still sends
// would reset the connection and destroy what of the answer is unread.
// It goes on lingering, bounded by its timer, and Shutdown waits for it.
// Nor is one discarding the rest of a body its response left unread
// (epoll), for the same reason: it goes on discarding within its bounds.
func (r connRef) closeIfIdle() {
	if r.c.claim() {
		if r.c.lingering { // read once claimed: its owner sets it
			r.c.lingerNB() // as the selector would: what came while claimed is discarded
			return
		}
		if r.c.drain != nil && !r.c.drainNB() {
			return // as the selector would: the body's end closes it, shutting down
		}
		r.c.close()
	} else if r.io.handshaking() {
		r.io.breakConn() // its handshake fails, and it closes
	}
}
