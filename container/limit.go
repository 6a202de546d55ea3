package container

import (
	"fmt"
	"math"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/connector/http2"
)

// The bound on handlers running at once, across every connection and
// protocol (WithMaxHandlers), and the queue of requests waiting for a
// place (WithHandlerQueue).
//
// A request whose chain may block (not api.NonBlocking) takes a place when
// its first dispatch starts and gives it back when that dispatch returns:
// when the handler has answered, or has suspended (a suspended request
// holds no goroutine, and its later dispatches and async tasks run on the
// executor). Without a free place the request waits in arrival order,
// holding no goroutine: its connection (HTTP/1.1) or stream (HTTP/2)
// waits as for a suspended request, and a place given back goes straight
// to the first waiting request, so that a newcomer never overtakes it.
// A waiting request whose client leaves (an HTTP/2 stream reset, a
// connection closed that the epoll connector notices) leaves the queue
// and ends without running. Past the queue, a request is answered 503
// with Retry-After at once, without its filters.

// Defaults of WithMaxHandlers and WithHandlerQueue.
const (
	// DefaultMaxHandlers is how many handlers may run at once by default:
	// five times HTTP/2's bound on one connection's unfinished requests
	// (1,000). One client cannot take every place, then, and a thousand
	// slow clients (readers or senders that the minimum data rates will
	// cut off) cannot starve the others; yet ten connections that open
	// and reset streams for a slow handler (rapid reset) pin 5,000
	// handlers, not 10,000, and a hundred pin 5,000, not 100,000. A
	// blocked trivial handler costs about 6.5 KiB (4 KiB of stack, 2.4
	// KiB of heap with its HTTP/2 stream, measured), 5,000 of them about
	// 32 MiB; one blocked after writing also holds its output buffer (up
	// to 32 KiB). A handler that waits long for an event should suspend
	// instead (package continuation), which holds no place.
	DefaultMaxHandlers = 5000
	// DefaultHandlerQueueFactor is the default queue, per place: requests
	// waiting hold an exchange and a connection, no goroutine. It is the
	// same ratio as dispatcher.BoundedConfig's queue.
	DefaultHandlerQueueFactor = 10
)

// WithMaxHandlers bounds how many requests run their handlers at once,
// across every connection and protocol: Jetty's thread-pool bound on
// requests in progress, counted in handlers rather than goroutines. A
// request whose handler or a filter may block (every one not declared
// api.NonBlocking) holds a place from the start of its first dispatch
// until that dispatch returns, by answering or by suspending; a request
// beyond the limit waits, holding no goroutine on Wharf's connectors (in
// ServeHTTP the calling goroutine waits, as net/http requires), until a
// place is free (first come, first served), and past WithHandlerQueue it
// is answered 503. NonBlocking chains do not count: they return at once
// by contract.
// For priorities, a maximum wait, or a limit on some paths only, use the
// filters/qos filter (with this limit raised or off).
//
// A handler that blocks for long, such as one streaming a response for
// the life of its connection, holds its place all that time: raise the
// limit for such servers, or suspend instead.
//
// Default: DefaultMaxHandlers (5,000); negative means no limit.
func WithMaxHandlers(n int) Option { return func(c *config) { c.maxHandlers = n } }

// WithHandlerQueue bounds how many requests may wait for a place under
// WithMaxHandlers; a request that finds the queue full is answered 503
// Service Unavailable with Retry-After: 1, without running its filters
// (its error page renders it: its error is api.ErrShed, logged at Debug),
// and counted in Stats.Rejected. A waiting request holds no goroutine. It
// waits until a place is free or its client leaves (an HTTP/2 reset; a
// closed connection, which the epoll connector notices and the portable
// one does not).
// Default: DefaultHandlerQueueFactor times the limit (50,000 by
// default); negative means none: every request beyond the limit is
// answered 503 at once.
func WithHandlerQueue(n int) Option { return func(c *config) { c.handlerQueue = n } }

// An exchange's standing with the limiter (exchange.lim).
const (
	limNew    uint32 = iota // prepared, not yet admitted
	limGone                 // its client left before it was admitted: it ends without running
	limQueued               // waiting for a place
	limOut                  // out of the limiter's hands: admitted, answered, or taken out of the queue
)

// admission is what the limiter decided for a request.
type admission uint8

const (
	admitted admission = iota // it has a place: run it, then leave
	queued                    // it waits; whoever gives a place back starts it
	rejected                  // the queue is full: answer 503
	dropped                   // its client left: end it without running
)

// The limiter's state word: running handlers in the low 32 bits, waiting
// requests in the high 32.
const (
	runMask    = 1<<32 - 1
	oneQueued  = 1 << 32
	lessQueued = ^uint64(oneQueued - 1) // adding it subtracts oneQueued
)

// limiter bounds the handlers running at once. Taking and giving back a
// place is one compare-and-swap while nobody waits, with no allocation; a
// request that must wait gets a waiter, its place in the queue (a list
// under mu), so that the many requests that never wait keep no links.
// The waiting count changes only under mu, and while requests wait the
// running count stays at max: a place given back goes to the first of
// them.
type limiter struct {
	max, queueMax uint64 // max 0: no limit
	state         atomic.Uint64
	rejected      atomic.Int64

	mu         sync.Mutex
	head, tail *waiter // waiting, oldest first
	drops      *waiter // taken out of the queue because their client left
	dropping   bool    // a task is ending the drops
}

// waiter is a waiting request's place in the limiter's queue, and then in
// its drops if its client leaves. Its exchange points at it (exchange.wait)
// while it is in either; both are under the limiter's mu.
type waiter struct {
	x          *exchange
	prev, next *waiter
}

func (l *limiter) init(maxHandlers, queue int) {
	switch {
	case maxHandlers < 0:
		return
	case maxHandlers == 0:
		maxHandlers = DefaultMaxHandlers
	}
	l.max = uint64(min(maxHandlers, math.MaxInt32))
	switch {
	case queue < 0:
		queue = 0
	case queue == 0:
		queue = DefaultHandlerQueueFactor * int(l.max)
	}
	l.queueMax = uint64(min(queue, math.MaxInt32))
}

func (l *limiter) on() bool { return l.max > 0 }

// enter admits x, queues it, or refuses it. A place it had to give back
// (its client left as it took it) may go to a waiting request: next, for
// the caller to start.
func (l *limiter) enter(x *exchange) (a admission, next *exchange) {
	if x.lim.Load() == limGone {
		return dropped, nil
	}
	for s := l.state.Load(); s&runMask < l.max; s = l.state.Load() {
		if l.state.CompareAndSwap(s, s+1) {
			return l.took(x)
		}
	}
	l.mu.Lock()
	for {
		s := l.state.Load()
		if s&runMask < l.max { // given back since the first look
			if l.state.CompareAndSwap(s, s+1) {
				l.mu.Unlock()
				return l.took(x)
			}
			continue
		}
		if s>>32 >= l.queueMax {
			l.mu.Unlock()
			l.rejected.Add(1)
			return rejected, nil
		}
		if !l.state.CompareAndSwap(s, s+oneQueued) {
			continue
		}
		if !x.lim.CompareAndSwap(limNew, limQueued) { // its client left
			l.state.Add(lessQueued)
			l.mu.Unlock()
			return dropped, nil
		}
		w := &waiter{x: x, prev: l.tail}
		x.wait = w
		if l.tail != nil {
			l.tail.next = w
		} else {
			l.head = w
		}
		l.tail = w
		l.mu.Unlock()
		return queued, nil
	}
}

// took finishes an admission: x has a place, unless its client left
// meanwhile.
func (l *limiter) took(x *exchange) (admission, *exchange) {
	if !x.lim.CompareAndSwap(limNew, limOut) {
		return dropped, l.leave()
	}
	x.holds = true
	return admitted, nil
}

// leave gives a place back. If a request waits, the place is its: leave
// returns it, for the caller to start.
func (l *limiter) leave() *exchange {
	for s := l.state.Load(); s>>32 == 0; s = l.state.Load() {
		if l.state.CompareAndSwap(s, s-1) {
			return nil
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		s := l.state.Load()
		if s>>32 == 0 {
			if l.state.CompareAndSwap(s, s-1) {
				return nil
			}
			continue
		}
		x := l.head.x
		l.unlinkLocked(x)
		x.wait = nil
		x.holds = true
		return x
	}
}

// unlinkLocked takes x, which waits, out of the queue; x.wait, unlinked,
// is the caller's to reuse or drop. l.mu is held.
func (l *limiter) unlinkLocked(x *exchange) {
	w := x.wait
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		l.tail = w.prev
	}
	w.prev, w.next = nil, nil
	x.lim.Store(limOut)
	l.state.Add(lessQueued)
}

// remove takes x out of the queue and reports whether it was waiting.
func (l *limiter) remove(x *exchange) bool {
	if x.lim.Load() != limQueued {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if x.lim.Load() != limQueued {
		return false
	}
	l.unlinkLocked(x)
	x.wait = nil
	return true
}

// gone handles the departure of x's client while the limiter holds it:
// before its admission (enter will drop it) or while it waits (it joins
// the drops, and startDropper reports whether the caller must start the
// task that ends them). It reports false when x is no longer the
// limiter's business.
func (l *limiter) gone(x *exchange) (handled, startDropper bool) {
	if x.lim.CompareAndSwap(limNew, limGone) {
		return true, false
	}
	if x.lim.Load() != limQueued {
		return false, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if x.lim.Load() != limQueued {
		return false, false
	}
	l.unlinkLocked(x)
	x.wait.next = l.drops
	l.drops = x.wait
	if l.dropping {
		return true, false
	}
	l.dropping = true
	return true, true
}

// nextDrop takes a dropped request to end, or reports nil and stops the
// dropping task.
func (l *limiter) nextDrop() *exchange {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.drops
	if w == nil {
		l.dropping = false
		return nil
	}
	l.drops = w.next
	w.x.wait = nil
	return w.x
}

// counts returns the handlers running, the requests waiting and those
// refused.
func (l *limiter) counts() (running, waiting, refused int64) {
	s := l.state.Load()
	return int64(s & runMask), int64(s >> 32), l.rejected.Load()
}

// errBusy refuses a request past the queue. It is load shedding
// (api.ErrShed): the error pages answer it, and the log records it at
// Debug, as for filters/qos's refusals.
var errBusy = &api.StatusError{Code: http.StatusServiceUnavailable, Err: fmt.Errorf("container: too many requests in progress: %w", api.ErrShed)}

// busy answers a request past the queue: 503 with Retry-After.
var busy = api.HandlerFunc(func(w api.Response, _ *api.Request) error {
	w.Header().Set("Retry-After", "1")
	return errBusy
})

// gone ends a request whose client left before its handler ran, quietly
// (see exchange.finish).
var gone = api.HandlerFunc(func(api.Response, *api.Request) error { return connector.ErrClientGone })

var _ http2.Admitter = (*exchange)(nil)

// Admit implements http2.Admitter: the HTTP/2 reader asks before it
// starts a request on the executor, so that one that must wait costs no
// goroutine at all. False means the request waits; the container starts
// it when a place is free.
func (x *exchange) Admit() bool { return x.enter() }

// enter counts the request live and, if it is limited, takes its place
// among the handlers. False means it waits for one.
func (x *exchange) enter() bool {
	c := x.ctxt.c
	x.entered = true
	c.requests.Add(1)
	c.active.Add(1)
	c.live.add(x)
	if !x.limited {
		return true
	}
	a, next := c.lim.enter(x)
	c.startQueued(next)
	switch a {
	case queued:
		return false
	case rejected:
		x.chain = busy
	case dropped:
		x.chain = gone
	}
	return true
}

// begin runs the initial dispatch on the calling goroutine, then gives
// the place back, if the request held one, to the next waiting request.
func (x *exchange) begin() {
	c := x.ctxt.c
	if x.holds {
		defer c.handlerDone()
	}
	x.ax.Start(nil) // the request prepare gave it
	if c.shutting.Load() {
		_ = x.ax.ExpireForShutdown(false)
	}
}

// handlerDone gives a place back.
func (c *Container) handlerDone() { c.startQueued(c.lim.leave()) }

// startQueued starts x, a request handed a place as it waited, on the
// executor.
func (c *Container) startQueued(x *exchange) {
	if x != nil {
		c.execute(x.begin)
	}
}

// clientLeft takes x out of the limiter's hands if its client left before
// it could run, and reports whether it did; it then ends without running.
func (x *exchange) clientLeft() bool {
	if !x.limited {
		return false
	}
	handled, start := x.ctxt.c.lim.gone(x)
	if start {
		x.ctxt.c.execute(x.ctxt.c.drop)
	}
	return handled
}

// drop ends the requests taken out of the queue because their clients
// left, one after the other on one goroutine: a flood of resets costs no
// goroutine per request.
func (c *Container) drop() {
	for x := c.lim.nextDrop(); x != nil; x = c.lim.nextDrop() {
		x.chain = gone
		x.begin()
	}
}

// unqueueForClose takes x out of the queue for the container's Close and
// reports whether it was waiting; it is then started, completed already,
// so that it finishes without running.
func (x *exchange) unqueueForClose() bool {
	return x.limited && x.ctxt.c.lim.remove(x)
}
