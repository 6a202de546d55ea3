package qos

import (
	"container/heap"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
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
	// once. Zero means DefaultMaxRequests.
	MaxRequests int
	// MaxWait is how long a request waits for its turn before it is
	// answered 503. Zero means DefaultMaxWait.
	MaxWait time.Duration
	// Priority ranks a waiting request: higher goes first, equal ones in
	// arrival order. Nil means arrival order for all (FIFO). It is called
	// once per wait, on the dispatching goroutine.
	Priority func(r *api.Request) int
	// RetryAfter is the Retry-After of the 503 answer. Zero means MaxWait
	// rounded up to whole seconds.
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
	// nothing.
	Left int64
}

// Filter is the QoS filter; make it with New.
type Filter struct {
	max        int
	maxWait    time.Duration
	priority   func(*api.Request) int
	retryAfter string

	mu       sync.Mutex
	active   int
	queue    waitQueue
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

// waiter is one request waiting for a permit. Its state moves under f.mu:
// waiting (in the queue) → granted (a permit handed over, its Resume under
// way) → running (its dispatch took the permit) or done. Whoever moves a
// waiter from granted to done owns the permit it was handed and passes it
// on: release when its Resume failed, OnTimeout when the wait expired
// first, OnComplete when the client left first. Exactly one of them does.
type waiter struct {
	f        *Filter
	cont     continuation.Continuation
	kind     async.DispatchKind // of the dispatch the wait interrupted
	attrs    []api.Attr         // of a resumed dispatch the wait interrupted
	prio     int
	seq      uint64
	index    int // in the heap; -1 once out of it
	state    waiterState
	answered bool // its wait expired and it was answered, by this filter or another listener
	// refusing: its wait expired, and the Resume of the dispatch that
	// refuses it was taken; that dispatch counts the refusal, OnComplete
	// counts the request as left if its client left first.
	refusing bool
	// delivered: the Resume that hands it its permit was taken, so the
	// wait is over even while the permit is unclaimed (state granted). A
	// timeout from then on is a later suspension's, by a filter above
	// this one on the re-dispatch (another QoS filter's wait), and not
	// this filter's to answer; OnComplete still passes the permit on if
	// the re-dispatch never claims it.
	delivered bool
}

// DetachAttr drops the waiter from a detached request (api.AttrDetacher):
// a grant has no dispatch to claim it with, a refusal is made, and the
// waiter holds the request's continuation, and through it its exchange.
func (*waiter) DetachAttr() any { return nil }

type waiterState uint8

const (
	waiting waiterState = iota
	granted
	running
	done
)

// grantKey is the attribute a resumed dispatch finds its permit under; it
// names the filter, so that two QoS filters never take each other's.
type grantKey struct{ f *Filter }

// refusedKey is the attribute of the dispatch that refuses a request
// whose wait expired; its value is the *waiter, whose filter refuses it.
type refusedKey struct{}

// Filter implements api.Filter.
func (f *Filter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	if wt, ok := r.Attribute(refusedKey{}).(*waiter); ok {
		if wt.f == f {
			f.mu.Lock()
			if wt.refusing {
				wt.refusing = false
				f.rejected++
			}
			f.mu.Unlock()
			return f.reject(w)
		}
		// Refused by a QoS filter further in, on its way there: it needs
		// no place here, nor a wait for one before its 503.
		return next.Next(w, r)
	}
	if wt, ok := r.Attribute(grantKey{f}).(*waiter); ok && f.claimGrant(wt, running) {
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
		return f.run(w, r, next)
	}
	f.mu.Lock()
	if f.active < f.max {
		f.active++
		f.admitted++
		f.mu.Unlock()
		return f.run(w, r, next)
	}
	f.mu.Unlock()
	return f.wait(w, r)
}

// run runs the chain with a permit taken, and gives it back however the
// chain ends.
func (f *Filter) run(w api.Response, r *api.Request, next api.Chain) error {
	defer f.release()
	return next.Next(w, r)
}

// claimGrant moves wt out of granted: to running when its dispatch takes
// the permit it was handed, to done when the permit is taken back because
// its Resume failed. False if wt is not granted: a listener took the
// permit first (and passed it on), or the grant is stale.
func (f *Filter) claimGrant(wt *waiter, to waiterState) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if wt.state != granted {
		return false
	}
	wt.state = to
	if to == running {
		f.admitted++
	}
	return true
}

// wait suspends the request until a permit is handed to it or MaxWait
// passes.
func (f *Filter) wait(w api.Response, r *api.Request) error {
	cont := continuation.Of(r)
	wt := &waiter{f: f, cont: cont, kind: async.KindOf(r), index: -1}
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
	cont.AddListener(continuation.Listener{
		OnTimeout: func(w api.Response, r *api.Request) {
			f.mu.Lock()
			if wt.state == running || wt.answered || wt.state == granted && wt.delivered {
				// A later suspension of the request (by the chain, after
				// it was let in, or above this filter on the re-dispatch
				// that carries its permit) timing out: not this filter's
				// business.
				f.mu.Unlock()
				return
			}
			// This wait expired, whether the request was still queued,
			// handed a permit whose Resume lost to the timeout, or already
			// given up by release (state done).
			owned := wt.state == granted
			if wt.index >= 0 {
				heap.Remove(&f.queue, wt.index)
			}
			wt.state, wt.answered, wt.refusing = done, true, true
			f.mu.Unlock()
			if owned {
				f.release() // the permit it was handed goes on
			}
			// The refusal is the error of a dispatch, which the error
			// pages answer (a listener has no error to return): the
			// Resume, taken in place of the expired re-dispatch, comes
			// back to this filter, which returns it, and counts it.
			err := cont.Resume(api.Attr{Key: refusedKey{}, Value: wt})
			if err == nil {
				return
			}
			f.mu.Lock()
			wt.refusing = false
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
			// it here, or its re-dispatch would queue anew.
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
			owned := wt.state == granted
			if wt.index >= 0 {
				heap.Remove(&f.queue, wt.index) // the client went away while waiting
			}
			if owned || wt.state == waiting || wt.refusing || wt.state == done && !wt.answered {
				// The client went away while waiting, or before its
				// permit or its refusal reached it.
				f.left++
			}
			wt.refusing = false
			if wt.state != running {
				wt.state = done
			}
			f.mu.Unlock()
			if owned {
				f.release() // handed a permit it never used: pass it on
			}
		},
	})
	f.mu.Lock()
	if f.active < f.max {
		// A permit came back between the first look and the suspension.
		f.active++
		wt.state = granted
		f.mu.Unlock()
		return f.grant(wt)
	}
	wt.seq = f.seq
	f.seq++
	heap.Push(&f.queue, wt)
	f.mu.Unlock()
	return nil
}

// grant resumes wt with the permit it holds; if it can no longer be resumed
// (it expired or completed meanwhile) the permit goes to the next one.
func (f *Filter) grant(wt *waiter) error {
	if f.resume(wt) {
		return nil
	}
	if f.claimGrant(wt, done) {
		f.release()
	}
	return nil
}

// resume resumes wt with the permit it was handed, and reports whether
// the Resume was taken; if so, wt's wait is over (see waiter.delivered).
func (f *Filter) resume(wt *waiter) bool {
	if wt.cont.Resume(api.Attr{Key: grantKey{f}, Value: wt}) != nil {
		return false
	}
	f.mu.Lock()
	if wt.state == granted {
		wt.delivered = true
	}
	f.mu.Unlock()
	return true
}

// release gives a permit back: to the first waiting request if there is
// one, else to the pool.
func (f *Filter) release() {
	for {
		f.mu.Lock()
		if f.queue.Len() == 0 {
			f.active--
			f.mu.Unlock()
			return
		}
		wt := heap.Pop(&f.queue).(*waiter)
		wt.state = granted
		f.mu.Unlock()
		if f.resume(wt) {
			return
		}
		// Expired or completed: its OnTimeout or OnComplete answers it.
		// The permit goes on to the next, unless one of them already took
		// it back and passed it on.
		if !f.claimGrant(wt, done) {
			return
		}
	}
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
