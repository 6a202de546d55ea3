package qos

import (
	"container/heap"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
)

// ErrBusy is what a request the filter refuses fails with, in an
// *api.StatusError of 503 with Retry-After set: one that waited
// Config.MaxWait, or one that found no free place and could not wait.
// The container's error pages answer it, as Jetty's QoSFilter answers
// with sendError. It is api.ErrShed too (errors.Is): the container logs
// the refusal at Debug, since in an overload refusals come by the
// thousand.
var ErrBusy error = busy{}

type busy struct{}

func (busy) Error() string { return "qos: too many requests in progress, try again later" }

// Is makes a refusal load shedding (api.ErrShed) as well, whoever tests
// for it: the container's log, a request log, an error page.
func (busy) Is(target error) bool { return target == api.ErrShed }

// Defaults for the zero values of Config.
const (
	DefaultMaxRequests = 10
	DefaultMaxWait     = 5 * time.Second
)

// Config configures the filter. The zero value gives the defaults.
type Config struct {
	// MaxRequests is how many requests may be in the rest of the chain at
	// once. Zero or negative means DefaultMaxRequests.
	MaxRequests int
	// MaxWait is how long a request waits for its turn before it is
	// answered 503. Zero or negative means DefaultMaxWait: a request
	// that finds every place taken always waits, where a negative
	// filters/dos Delay refuses at once.
	MaxWait time.Duration
	// Priority ranks a waiting request: higher goes first, equal ones in
	// arrival order. Nil means arrival order for all (FIFO). It is called
	// once per wait, on the dispatching goroutine.
	Priority func(r *api.Request) int
	// RetryAfter is the Retry-After of the 503 answer. Zero or negative
	// means MaxWait rounded up to whole seconds.
	RetryAfter time.Duration
}

// Stats is a snapshot of the filter. A request that waits ends its wait
// in one of Admitted, Rejected and Left (or, with Waiting, is still in
// it); one that does not wait is Admitted or, when it could not wait,
// Rejected.
type Stats struct {
	Active  int // requests in the chain now (permits taken)
	Waiting int // requests suspended, waiting for a permit
	Max     int // MaxRequests
	// Admitted counts the dispatches let into the chain, at once or
	// after waiting: a long poll let in on its first pass and again on
	// its resumed one counts twice.
	Admitted int64
	// Rejected counts the refusals this filter made: requests it kept
	// from the chain and failed with ErrBusy (a 503, unless their
	// response was committed already), after MaxWait, or at once when
	// they could not wait (no container, or below the timeout filter).
	Rejected int64
	// Left counts the waits that ended otherwise: the client went away
	// (also after its permit or its refusal was on the way), or another
	// listener of the request answered it when its wait expired (a long
	// poll answering its own timeout), so that the filter refused
	// nothing. With QoS filters stacked, a wait whose request went on to
	// wait in another one (its permit's dispatch held back there) and
	// ended there, refused or left, is counted by that filter only.
	Left int64
}

// Filter is the QoS filter; make it with New. Any number of requests may
// pass through it at once, on any goroutines, and Stats may be called from
// any goroutine: its permits, queue and waits are under one mutex, which
// the request's dispatches, the permit's Resume and its listeners (timeout,
// completion) all take.
type Filter struct {
	max        int
	maxWait    time.Duration
	priority   func(*api.Request) int
	retryAfter string

	mu     sync.Mutex
	active int
	queue  waitQueue
	// waits holds the waits that are not over, by request (its
	// api.Exchange, the same on every dispatch): a dispatch of the
	// request finds there whether it holds a permit, whatever Resume
	// brought it.
	waits    map[api.Exchange]*waiter
	seq      uint64
	admitted int64
	rejected int64
	left     int64
}

// New returns a QoS filter for cfg.
func New(cfg Config) *Filter {
	f := &Filter{max: cfg.MaxRequests, maxWait: cfg.MaxWait, priority: cfg.Priority}
	if f.max <= 0 {
		f.max = DefaultMaxRequests
	}
	if f.maxWait <= 0 {
		f.maxWait = DefaultMaxWait
	}
	ra := cfg.RetryAfter
	if ra <= 0 {
		ra = f.maxWait
	}
	f.retryAfter = strconv.FormatInt(int64((ra+time.Second-1)/time.Second), 10)
	return f
}

// Stats returns a snapshot of the permits and the queue.
func (f *Filter) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Stats{Active: f.active, Waiting: f.queue.Len(), Max: f.max, Admitted: f.admitted, Rejected: f.rejected, Left: f.left}
}

// waiter is one request's wait for a permit. Its state moves under f.mu,
// through fire only (state.go):
//
//	waiting  in the queue
//	granted  handed a permit, and the Resume that re-dispatches the
//	         request for it taken (both under f.mu, so that no dispatch
//	         ever sees a permit whose Resume is still undecided)
//	missed   its permit's Resume was refused, and the permit went on: the
//	         wait expired meanwhile, its client left, or another Resume of
//	         the request came first (one meant for a suspension that is
//	         over), whose dispatch finds the wait here and waits on
//	away     another QoS filter held back the dispatch its permit's Resume
//	         brought (the Resume landed on that filter's wait, where a
//	         Resume not this filter's had taken the request, or the
//	         dispatch found that filter full), and the permit went on: the
//	         other wait's timeout and the request's end there are not this
//	         wait's; a dispatch back here resumes it, as missed
//	running  a dispatch took its permit into the chain
//	refusing its wait expired: the Resume of the dispatch that refuses it
//	         is taken
//	over     refused, or left
//
// A waiter is in f.waits while waiting, granted, missed or away. Whoever
// ends a granted one without running it passes its permit on: OnComplete,
// when the client left before its dispatch ran, and another QoS filter
// that holds its dispatch back (holdBack).
type waiter struct {
	f        *Filter
	cont     continuation.Continuation
	ex       api.Exchange       // its key in f.waits
	kind     async.DispatchKind // of the dispatch the wait interrupted
	attrs    []api.Attr         // of a resumed dispatch the wait interrupted
	prio     int
	seq      uint64
	index    int       // in the heap; -1 once out of it
	deadline time.Time // when MaxWait runs out
	state    waiterState
	// rewaited: a dispatch of the request waited on (another Resume ended
	// the wait's suspension), with the suspend timeout set to what was
	// left of MaxWait; the dispatch let in sets it back to MaxWait.
	rewaited bool
}

// DetachAttr drops the waiter from a detached request (api.AttrDetacher):
// the dispatch that refuses a request carries it, and it holds the
// request's continuation, and through it its exchange.
func (*waiter) DetachAttr() any { return nil }

// refusedKey is the attribute of the dispatch that refuses a request
// whose wait expired; its value is the *waiter, whose filter refuses it.
type refusedKey struct{}

// grantKey is the attribute of the dispatch a permit's Resume brings; its
// value is the *waiter handed the permit. Its own filter finds the wait by
// the request's exchange and does not read it: it is for another QoS
// filter that holds the dispatch back (see holdBack).
type grantKey struct{}

// heldKey marks the request a dispatch holding one of f's permits passes
// into the chain, and the requests derived from it there: a forward or
// include with filters (dispatcher.WithFilters) that comes back through f
// while that dispatch runs is the same request, in the chain on that
// permit already. Its key names the filter: another QoS filter in the
// chain limits on its own. Its value is the *held of that pass.
type heldKey struct{ f *Filter }

// held is one pass's permit, which over says was given back: the request
// the pass handed the chain outlives it (async.Context.Request, for a
// task that runs once the dispatch returned), and a forward with filters
// made from there holds no permit, and needs one of its own.
type held struct{ over atomic.Bool }

// Filter implements api.Filter.
func (f *Filter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	if h, ok := r.Attribute(heldKey{f}).(*held); ok && !h.over.Load() {
		// Nested in its own pass (a forward with filters): asking for a
		// second permit would make it wait for the one it holds.
		return next.Next(w, r)
	}
	if wt, ok := r.Attribute(refusedKey{}).(*waiter); ok {
		if wt.f != f {
			// Refused by a QoS filter further in, on its way there: it
			// needs no place here, nor a wait for one before its 503.
			return next.Next(w, r)
		}
		f.mu.Lock()
		if wt.fire(evRefused) {
			f.rejected++
		}
		f.mu.Unlock()
		return f.reject(w)
	}
	f.mu.Lock()
	if wt := f.waits[r.Exchange()]; wt != nil {
		return f.waited(w, r, next, wt)
	}
	if f.active < f.max {
		f.active++
		f.admitted++
		f.mu.Unlock()
		return f.run(w, r, next)
	}
	f.mu.Unlock()
	f.holdBack(r)
	return f.wait(w, r)
}

// holdBack is called by a dispatch that does not go on into the chain (it
// waits here, or is refused): if another QoS filter's permit brought it
// (its Resume landed on this filter's wait, or its dispatch finds this
// filter full), the dispatch will not reach the filter that handed it. That filter takes its permit back and passes it on
// (evHeld), rather than hold it while the request waits here; its wait is
// away until a dispatch of the request reaches it again. f.mu is not held:
// stacked filters take each other's lock in either order otherwise.
func (f *Filter) holdBack(r *api.Request) {
	g, ok := r.Attribute(grantKey{}).(*waiter)
	if !ok || g.f == f {
		return
	}
	g.f.mu.Lock()
	if g.fire(evHeld) {
		g.f.handOnLocked()
	}
	g.f.mu.Unlock()
}

// run runs the chain with a permit taken, and gives it back however the
// chain ends.
func (f *Filter) run(w api.Response, r *api.Request, next api.Chain) error {
	h := &held{}
	defer func() {
		h.over.Store(true)
		f.release()
	}()
	return next.Next(w, r.WithAttribute(heldKey{f}, h))
}

// waited is a dispatch of a request whose wait here is not over. If the
// request holds a permit (handed to it by the Resume that brought this
// dispatch, or by one whose dispatch a filter above held back: not a QoS
// filter, which hands it back), or a place is free, it goes into the
// chain. If not, this dispatch is another Resume's: one meant for a
// suspension of the request that is over, which the wait's suspension
// took, as a Resume is for the current suspension. The request then waits on, in its place in the queue and
// for what is left of its MaxWait, and the chain does not see that
// dispatch: without the wait, that Resume would have found the request
// running, and been refused. f.mu is held; waited unlocks it.
func (f *Filter) waited(w api.Response, r *api.Request, next api.Chain, wt *waiter) error {
	// Back from another QoS filter's wait, its permit gone on: as missed.
	wt.fire(evBack)
	if f.active < f.max && wt.fire(evTake) {
		f.active++
	}
	if wt.fire(evRun) {
		delete(f.waits, wt.ex)
		f.admitted++
		f.mu.Unlock()
		// The chain inside sees the pass the wait interrupted (a long
		// poll's initial dispatch, which suspends), not this filter's
		// Resume: its kind, and the attributes its own Resume carried,
		// which this re-dispatch, built afresh, does not have.
		r = async.WithKind(r, wt.kind)
		lost := slices.DeleteFunc(wt.attrs, func(a api.Attr) bool { return r.Attribute(a.Key) != nil })
		if len(lost) > 0 {
			r = r.WithAttributes(lost...)
		}
		wt.attrs = nil
		if wt.rewaited {
			continuation.Of(r).SetTimeout(f.maxWait)
		}
		return f.run(w, r, next)
	}
	left := time.Until(wt.deadline)
	if left <= 0 {
		// That Resume won over the wait's timeout.
		f.refuseLocked(wt)
		f.mu.Unlock()
		f.holdBack(r)
		return f.reject(w)
	}
	f.mu.Unlock()
	f.holdBack(r)
	cont := continuation.Of(r)
	cont.SetTimeout(left)
	if err := cont.Suspend(); err != nil {
		f.mu.Lock()
		f.refuseLocked(wt)
		f.mu.Unlock()
		return f.reject(w)
	}
	f.mu.Lock()
	wt.rewaited = true
	if wt.state == missed {
		// Its permit came while this dispatch ran, and went on: queue it
		// again, in its place.
		f.enqueueLocked(wt)
	}
	f.mu.Unlock()
	return nil
}

// refuseLocked ends wt's wait with a refusal made now, by the dispatch
// that holds f.mu.
func (f *Filter) refuseLocked(wt *waiter) {
	f.dropLocked(wt)
	if wt.fire(evRefuse) {
		f.rejected++
	}
}

// dropLocked takes wt out of the queue and out of f.waits.
func (f *Filter) dropLocked(wt *waiter) {
	if wt.index >= 0 {
		heap.Remove(&f.queue, wt.index)
	}
	delete(f.waits, wt.ex)
}

// wait suspends the request until a permit is handed to it or MaxWait
// passes.
func (f *Filter) wait(w api.Response, r *api.Request) error {
	cont := continuation.Of(r)
	wt := &waiter{f: f, cont: cont, ex: r.Exchange(), kind: async.KindOf(r), index: -1}
	if wt.kind == async.DispatchResumed {
		// Its Resume's attributes (a long poll's event) are on this
		// dispatch only: keep them for the one that goes on.
		for k, v := range r.Attributes() {
			wt.attrs = append(wt.attrs, api.Attr{Key: k, Value: v})
		}
	}
	if f.priority != nil {
		wt.prio = f.priority(r)
	}
	cont.SetTimeout(f.maxWait)
	if err := cont.Suspend(); err != nil {
		// Not dispatched by a container (or already async, below the
		// timeout filter): no way to wait without a goroutine.
		f.mu.Lock()
		f.rejected++
		f.mu.Unlock()
		return f.reject(w)
	}
	wt.deadline = time.Now().Add(f.maxWait)
	cont.AddListener(continuation.Listener{
		OnTimeout: func(w api.Response, r *api.Request) {
			f.mu.Lock()
			if !wt.fire(evExpire) {
				// A later suspension of the request (by the chain, after
				// it was let in, or above this filter on the re-dispatch
				// its permit's Resume brought: away, when that is another
				// QoS filter's wait) timing out: not this filter's
				// business. Or the wait was answered already.
				f.mu.Unlock()
				return
			}
			// This wait expired, whether the request was still queued or
			// its permit's Resume lost to the timeout (state missed; the
			// permit went on).
			f.dropLocked(wt)
			f.mu.Unlock()
			// The refusal is the error of a dispatch, which the error
			// pages answer (a listener has no error to return): the
			// Resume, taken in place of the expired re-dispatch, comes
			// back to this filter, which returns it, and counts it.
			err := cont.Resume(api.Attr{Key: refusedKey{}, Value: wt})
			if err == nil {
				return
			}
			f.mu.Lock()
			if !wt.fire(evRefused) {
				// Ended meanwhile: counted where it was.
				f.mu.Unlock()
				return
			}
			if errors.Is(err, api.ErrCompleted) {
				// Another listener of the request answered and completed
				// it first (a long poll answering its own timeout), or its
				// client left: that outcome stands, and a 503 over it
				// would answer twice. The filter refused nothing.
				f.left++
				f.mu.Unlock()
				return
			}
			// Another listener of the request resumed it first: refuse
			// it here, or its re-dispatch would go on.
			f.rejected++
			f.mu.Unlock()
			if !w.Committed() {
				w.Header().Set("Retry-After", f.retryAfter)
				_ = w.SetStatus(http.StatusServiceUnavailable)
			}
			cont.Complete()
		},
		OnComplete: func(*api.Request, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if wt.fire(evDrop) {
				// Away: it ended in another QoS filter, which counts it;
				// a Left here (evLeave) is refused by the table.
				f.dropLocked(wt)
				return
			}
			from := wt.state
			if !wt.fire(evLeave) {
				return // let in (running), or answered (over)
			}
			if from == granted {
				// Handed a permit it never used (the client went away
				// before its dispatch ran): pass it on.
				f.handOnLocked()
			}
			// The client went away while waiting, or before its permit
			// or its refusal reached it.
			f.dropLocked(wt)
			f.left++
		},
	})
	f.mu.Lock()
	wt.seq = f.seq
	f.seq++
	if f.waits == nil {
		f.waits = make(map[api.Exchange]*waiter)
	}
	f.waits[wt.ex] = wt
	f.enqueueLocked(wt)
	f.mu.Unlock()
	return nil
}

// enqueueLocked queues wt, whose request is suspended, or hands it a
// permit if one is free (one came back between the dispatch's first look
// and its suspension).
func (f *Filter) enqueueLocked(wt *waiter) {
	if f.active < f.max {
		f.active++
		if !f.grantLocked(wt) {
			f.handOnLocked()
		}
		return
	}
	wt.fire(evQueue) // legal: wt is a new wait (waiting) or one whose permit went on (missed)
	heap.Push(&f.queue, wt)
}

// grantLocked hands wt a permit it holds, and resumes its request for it;
// false if the Resume was refused (the wait expired, the client left, or
// another Resume of the request came first), and the permit is the
// caller's again. The Resume is made under f.mu, so that a dispatch of
// the request never finds a permit whose Resume is still undecided: the
// Resume only queues the re-dispatch, which runs on another goroutine.
// wt is waiting or missed (queued, new, or its permit gone on), where both
// of its events are legal.
func (f *Filter) grantLocked(wt *waiter) bool {
	if wt.cont.Resume(api.Attr{Key: grantKey{}, Value: wt}) != nil {
		wt.fire(evMiss)
		return false
	}
	wt.fire(evGrant)
	return true
}

// release gives a permit back: to the first waiting request if there is
// one, else to the pool.
func (f *Filter) release() {
	f.mu.Lock()
	f.handOnLocked()
	f.mu.Unlock()
}

// handOnLocked hands a permit to the first waiting request whose Resume is
// taken, or gives it back to the pool if none is.
func (f *Filter) handOnLocked() {
	for f.queue.Len() > 0 {
		if f.grantLocked(heap.Pop(&f.queue).(*waiter)) {
			return
		}
	}
	f.active--
}

// reject returns the 503 (ErrBusy) that refuses a request, with
// Retry-After set: the error pages answer it, so that an API answers it in
// the format of its other errors, and the header field stays on the
// answer, as an error keeps the fields set before it.
func (f *Filter) reject(w api.Response) error {
	if w.Committed() {
		return nil
	}
	w.Header().Set("Retry-After", f.retryAfter)
	return &api.StatusError{Code: http.StatusServiceUnavailable, Err: ErrBusy}
}

// waitQueue orders waiters by priority, then arrival.
type waitQueue []*waiter

func (q waitQueue) Len() int { return len(q) }
func (q waitQueue) Less(i, j int) bool {
	if q[i].prio != q[j].prio {
		return q[i].prio > q[j].prio
	}
	return q[i].seq < q[j].seq
}
func (q waitQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *waitQueue) Push(x any) {
	wt := x.(*waiter)
	wt.index = len(*q)
	*q = append(*q, wt)
}
func (q *waitQueue) Pop() any {
	old := *q
	wt := old[len(old)-1]
	old[len(old)-1] = nil
	wt.index = -1
	*q = old[:len(old)-1]
	return wt
}
