package exchange

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/lazydone"
	"github.com/wharf-go/wharf/internal/owner"
	"github.com/wharf-go/wharf/internal/timerwheel"
)

// DefaultTimeout is the async and continuation timeout used when neither the
// container nor the handler sets one.
const DefaultTimeout = 30 * time.Second

// Channel is what an Exchange needs from its container. Dispatch and
// Finish are called only from the exchange's serialized task; Sent, once
// Finish has returned, from any goroutine.
//
// A Channel may also implement dispatcher.Yielder, when its connector runs
// the first dispatch on a goroutine that must not park (an event loop).
// Suspend calls Yield once per suspend, on the goroutine running the
// dispatch, with the exchange locked: it must not call the Exchange; a
// timeout's work run where it fired (InlineRunner) calls it likewise
// before it leaves a task or a failure to the executor. If
// Yield reports that it lifted a rule, that goroutine runs nothing more of
// the exchange: a re-dispatch, task or finish queued behind the suspending
// dispatch runs on the executor, where it may block.
type Channel interface {
	// Dispatch passes r through the context's filter chain to its handler.
	// The container recovers panics there and returns them as
	// *api.PanicError.
	Dispatch(w api.Response, r *api.Request) error
	// Finish ends the response: on success it commits and sends what is
	// buffered; on failure it discards the uncommitted output (see
	// Discard) and renders err through the error pages, or aborts the
	// connection if the head was already sent. It is called exactly once.
	//
	// It returns EndClientGone if the connection failed or err says the
	// client left, else EndAnswered (the exchange knows about timeouts
	// and shutdowns itself); the Exchange keeps the later End of the two
	// (see End) before the OnComplete listeners run.
	Finish(w api.Response, err error) End
	// Sent reports what the finished response handed to the connection:
	// the status of its head (0 if none was) and its body bytes, as
	// Result says them. The Exchange calls it only after Finish returned,
	// from any goroutine, so the answer must not change afterwards; the
	// Channel keeps it (its output does anyway), not each Exchange.
	Sent() (status int, bytes int64)
}

// LogRequester is an optional interface of a Channel. LogRequest returns
// the request the exchange's failures are logged with (a panic in a
// task): the one the failing code was given, whose context carries what
// filters put there (filters/telemetry's span) and whose RemoteAddr is
// the client's as a filter established it (filters/forwarded: behind a
// proxy the connection's peer is the proxy), rather than the request of
// the initial dispatch. Nil means the latter.
type LogRequester interface {
	LogRequest() *api.Request
}

// Completer is an optional interface of a Channel. Completed is called
// once, last: after Finish and after the OnComplete listeners, when
// nothing of the exchange runs any more (a container counts the request
// out here, so that its Shutdown waits for the listeners too).
type Completer interface {
	Completed()
}

// Hijacked is an optional interface of a Channel. Hijacked is called
// once the output's connection was taken over by Hijack, on the task that
// took it, before Hijack returns: the connection is the handler's from
// then on, though the handler may run on for long with it (a WebSocket's
// read loop), and a container counts the request out there, as net/http's
// server stops tracking a hijacked connection (StateHijacked). Completed
// is still called once the exchange ends.
type Hijacked interface {
	Hijacked()
}

// Config configures an Exchange. The zero value is ready to use.
type Config struct {
	// Execute runs f on another goroutine: the loop of an exchange woken by
	// a resume, a timeout, a submitted task or a Complete from outside. Nil
	// means `go f()`.
	Execute func(f func())
	// Timeout is the default suspend timeout. Zero means DefaultTimeout;
	// negative means suspended requests never expire by themselves.
	Timeout time.Duration
	// Logger receives panics from tasks and listeners. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Wheel keeps the suspend timeouts of exchanges whose Channel names no
	// wheel of its own (see Timers): one timer wheel for many requests
	// instead of a runtime timer each. Nil means one the Config makes at
	// the first suspension that needs it, driven by a runtime timer.
	Wheel *timerwheel.Wheel

	ownOnce  sync.Once
	ownWheel *timerwheel.Wheel
}

// wheel returns c.Wheel, or the Config's own.
func (c *Config) wheel() *timerwheel.Wheel {
	if c.Wheel != nil {
		return c.Wheel
	}
	c.ownOnce.Do(func() { c.ownWheel = timerwheel.NewRuntime() })
	return c.ownWheel
}

// Timers is an optional interface of a Channel whose connection has a
// timer wheel (a selector's): the exchange files its suspend timeout
// there, and the timeout fires on the goroutine that drives the wheel.
// TimerWheel must return the same wheel, or nil, every time.
type Timers interface {
	TimerWheel() *timerwheel.Wheel
}

// Mode says what happens when a suspended exchange times out and no timeout
// listener completed it.
type Mode uint8

const (
	// ModeAsync completes the exchange with api.ErrAsyncTimeout (Servlet
	// AsyncContext semantics).
	ModeAsync Mode = iota
	// ModeContinuation re-dispatches the request through the chain with
	// IsExpired true (Jetty continuation semantics).
	ModeContinuation
)

// Func is a unit of work that runs serialized with everything else of one
// request. w is valid until the task returns.
type Func func(w api.Response)

// Listener receives lifecycle events of an exchange. Any field may be nil.
// OnTimeout and OnError run as serialized tasks and may write the response
// and call Complete; OnTimeout may instead Resume, which re-dispatches the
// request (a resumed dispatch) in place of the mode's default, as the
// Servlet API's dispatch from onTimeout does (a continuation's OnTimeout
// is given the Request as one of DispatchExpired, as Jetty's listener
// finds its continuation expired); OnComplete runs after the
// response is finished, with the error the exchange ended with (nil on
// success), and may read the exchange's Result. OnError runs once per
// request, for its first IO failure (Fail): the request ends with that
// one, and a later failure (the connector's ClientGone after a Fail)
// runs no listener. A listener that panics does not keep the others from
// running (see async.Listener).
//
// One response carries one outcome. Before the timeout path answers (the
// OnTimeout listeners, then the expired re-dispatch or
// api.ErrAsyncTimeout) and before the error path does (the OnError
// listeners, a failure), the output that earlier tasks left uncommitted is
// discarded (see Discard): its body, status and trailers, and the header
// fields that describe the body; the other header fields stay. A task that
// wrote a result but did not Complete cannot add it to the timeout's
// answer. Output already committed (flushed, or larger than the output
// buffer) cannot be taken back: the timeout's writes then append to it, as
// a streamed response must.
type Listener struct {
	OnTimeout  func(w api.Response, r *api.Request)
	OnError    func(w api.Response, r *api.Request, err error)
	OnComplete func(r *api.Request, err error)
}

// DispatchKind says why a Request is being dispatched.
type DispatchKind uint8

const (
	DispatchInitial DispatchKind = iota // the first pass through the chain
	DispatchResumed                     // re-dispatched after Resume
	DispatchExpired                     // re-dispatched after the timeout
)

// String returns "initial", "resumed" or "expired".
func (k DispatchKind) String() string {
	switch k {
	case DispatchInitial:
		return "initial"
	case DispatchResumed:
		return "resumed"
	case DispatchExpired:
		return "expired"
	}
	return "DispatchKind(" + strconv.Itoa(int(k)) + ")"
}

type kindKey struct{}

// KindOf returns why r was dispatched. Requests that did not come from an
// Exchange report DispatchInitial.
func KindOf(r *api.Request) DispatchKind {
	k, _ := r.Attribute(kindKey{}).(DispatchKind)
	return k
}

// WithKind returns r as a dispatch of kind k (see async.WithKind).
func WithKind(r *api.Request, k DispatchKind) *api.Request {
	if KindOf(r) == k {
		return r
	}
	return r.WithAttribute(kindKey{}, k)
}

type taskKind uint8

const (
	kindDispatch taskKind = iota
	kindTask
	kindTimeout
	kindError
)

type queued struct {
	kind    taskKind
	resumed bool
	expired bool
	used    bool // an entry, not an empty slot (taskQueue.head)
	// timedOut: an expired kindDispatch queued by the expiry itself, with
	// no timeout task before it (expireIf): it takes the expiry's End
	// and discards a body left buffered, as that task would have. Should
	// an OnTimeout listener be added before its turn, it runs as that
	// task instead (loopOn).
	timedOut bool
	// arg is what the task carries, by kind: a kindTask's Func, a
	// kindError's error, a resumed kindDispatch's attributes ([]api.Attr,
	// nil for none). One field for the three keeps the queue's inline
	// slot, which every exchange holds while it waits, at 32 bytes.
	arg     any
	dropped func(error) // a kindTask's
}

func (q *queued) fn() Func {
	f, _ := q.arg.(Func)
	return f
}

func (q *queued) err() error {
	err, _ := q.arg.(error)
	return err
}

func (q *queued) attrs() []api.Attr {
	attrs, _ := q.arg.([]api.Attr)
	return attrs
}

// resumedDispatch is the re-dispatch a Resume with attrs queues; none
// costs no allocation.
func resumedDispatch(attrs []api.Attr) queued {
	q := queued{kind: kindDispatch, resumed: true}
	if len(attrs) > 0 {
		q.arg = attrs
	}
	return q
}

// Exchange is the state machine and serialized executor of one request.
//
// Goroutines: Start is called once by the connector's goroutine. Resume,
// Complete, Submit, Expire, Fail, AddListener, SetOnShutdown and the
// readers (State, Suspended, Result, Done) may be called from any
// goroutine. Suspend and Await must be called from the exchange's running
// dispatch: they return api.ErrWrongState outside a dispatch, and, in test
// binaries, api.ErrNotSerialized from another goroutine (see
// internal/owner). SetTimeout may be called from anywhere: while the
// request waits it restarts the wait's timer (see SetTimeout).
type Exchange struct {
	ch   Channel
	out  api.Response // the container's output; touched only by the owner
	cfg  *Config
	base *api.Request // the request of the initial dispatch

	mu sync.Mutex
	// The small fields sit together (with m's flags), so that the
	// container's per-request state fits a smaller size class.
	m           machine
	mode        Mode
	cause       End  // what decided the outcome, as far as the exchange knows; under mu
	expireCause End  // the End of the expiry on its way (timer or ExpireAs); under mu
	hasResult   bool // the response is finished: Result has what it sent; under mu
	finished    bool // OnComplete listeners have run; done is (or will be) closed
	yielded     bool // a dispatch suspended on a goroutine with rules: see dispatcher.Yielder; under mu
	// timerGen tells a firing of the suspend timeout still current from a
	// stale one (disarmed since); it is odd while the timer is armed
	// (timeout.go). Sixteen bits suffice: a stale firing is on its way for
	// microseconds, not 32,768 suspend cycles (each arms and disarms: two
	// steps).
	timerGen uint16

	queue   taskQueue
	timeout time.Duration
	timer   timerwheel.Timer // the suspend timeout, in wheel()
	failure error            // Result's Err (and cause its End), final once hasResult
	more    *extras          // what most requests never use, made at first use; under mu

	token atomic.Uint32 // token of the running task; 0 when none runs
	next  uint32        // last token handed out; owned by the loop
	loop  owner.Goroutine
}

// extras is the part of an Exchange most requests never use: one pointer
// in every exchange instead of four.
type extras struct {
	// listeners is never appended to in place: a snapshot taken under mu
	// stays valid.
	listeners []Listener
	await     *await        // the blocking Await's wake-up; nil but while one waits
	done      chan struct{} // Done's, made when asked for
	values    []keyed       // other packages' per-exchange state (Value); rarely more than one
	// errorsTold: the OnError listeners were taken to be told of a
	// failure (runError), so that one added now is not.
	errorsTold bool
	// listened is the body a ReadListener reads (ListenBody), for good;
	// nil while none does.
	listened io.Reader
}

// extrasLocked returns ex.more, making it. ex.mu is held.
func (ex *Exchange) extrasLocked() *extras {
	if ex.more == nil {
		ex.more = new(extras)
	}
	return ex.more
}

// NewExchange returns an exchange that writes through out and dispatches
// through ch. (The request's context is the Channel's to cancel: in
// Finish, say.)
func NewExchange(ch Channel, out api.Response, cfg *Config) *Exchange {
	ex := new(Exchange)
	ex.Init(ch, out, cfg)
	return ex
}

// Init prepares a zero Exchange in place, as NewExchange does; a container
// embeds the Exchange in its own per-request state to save an allocation.
// It must be called once, before any other method, and the Exchange must
// not be copied afterwards.
func (ex *Exchange) Init(ch Channel, out api.Response, cfg *Config) {
	if cfg == nil {
		cfg = &Config{}
	}
	ex.ch, ex.out, ex.cfg = ch, out, cfg
	ex.timer.Init((*timeoutFirer)(ex))
	ex.timeout = cfg.Timeout
	if ex.timeout == 0 {
		ex.timeout = DefaultTimeout
	}
}

// Holder is the optional interface of a container's api.Exchange (the
// value behind api.Request.Exchange) that leads to the engine: the
// container keeps its own per-request state there, the Exchange embedded
// in it. *Exchange is a Holder itself.
type Holder interface {
	AsyncExchange() *Exchange
}

// AsyncExchange returns ex; it makes *Exchange a Holder itself.
func (ex *Exchange) AsyncExchange() *Exchange { return ex }

// From returns the exchange r belongs to, or nil.
func From(r *api.Request) *Exchange {
	if h, ok := r.Exchange().(Holder); ok {
		return h.AsyncExchange()
	}
	return nil
}

// Current returns the Response handle of the serialized task running now:
// inside a task it is that task's handle; anywhere else (or once the task
// has returned) every method returns api.ErrNotSerialized.
func (ex *Exchange) Current() api.Response {
	return ex.handleFor(ex.token.Load())
}

// Done is closed when the exchange has completed and its OnComplete listeners
// have run.
func (ex *Exchange) Done() <-chan struct{} {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.more == nil && ex.finished {
		return lazydone.Closed() // asked late: no extras made for it
	}
	return lazydone.Chan(&ex.extrasLocked().done, ex.finished)
}

// Request returns the request of the initial dispatch.
func (ex *Exchange) Request() *api.Request { return ex.base }

// ListenBody records that a ReadListener (package async's) reads body,
// the body of the request it was set on, from now on, for the rest of the
// exchange: ListenedBody returns it.
func (ex *Exchange) ListenBody(body io.Reader) {
	ex.mu.Lock()
	ex.extrasLocked().listened = body
	ex.mu.Unlock()
}

// ListenedBody returns the body a ReadListener reads (ListenBody), or nil
// while none does. It is the optional interface of an api.Exchange that
// Request.Body asks: a blocking read of a body a listener reads would race
// the listener for its bytes, and is refused. Any goroutine may call it;
// it takes the exchange's lock, and allocates nothing.
func (ex *Exchange) ListenedBody() io.Reader {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.more == nil {
		return nil
	}
	return ex.more.listened
}

// Prepare gives the exchange the request of its initial dispatch ahead of
// Start, which then runs it when called with nil: a container that maps
// a request before it starts it keeps the request here rather than in a
// field of its own. It must be called before Start, by the goroutine that
// prepares the exchange, before any other goroutine may see it.
func (ex *Exchange) Prepare(r *api.Request) { ex.base = r }

// Start runs the initial dispatch of r (nil: the request Prepare gave) on
// the calling goroutine and then any work queued behind it. It returns when the exchange completes or
// suspends, or when a dispatch that suspended on a goroutine with rules
// (see dispatcher.Yielder) leaves the rest to the executor; a suspended
// exchange holds no goroutine.
func (ex *Exchange) Start(r *api.Request) {
	if r != nil {
		ex.base = r
	}
	ex.mu.Lock()
	act, err := ex.m.transition(evStart, false, false)
	if err == nil && act&actFinish == 0 {
		ex.queue.pushFront(queued{kind: kindDispatch})
	}
	ex.mu.Unlock()
	if err != nil {
		panic("async: Start called twice")
	}
	if act&actFinish != 0 { // completed before it started
		ex.finishOwned()
		return
	}
	ex.run()
}

func (ex *Exchange) execute(f func()) {
	if ex.cfg.Execute != nil {
		ex.cfg.Execute(f)
		return
	}
	go f()
}

// logRequest is the request a failure of the exchange is logged with,
// its context and its client (see LogRequester).
func (ex *Exchange) logRequest() *api.Request {
	if l, ok := ex.ch.(LogRequester); ok {
		if r := l.LogRequest(); r != nil {
			return r
		}
	}
	return ex.base
}

func (ex *Exchange) logger() *slog.Logger {
	if ex.cfg.Logger != nil {
		return ex.cfg.Logger
	}
	return slog.Default()
}

// run is the loop: the one goroutine that owns the exchange runs queued tasks
// until the queue is empty, the exchange suspends, or it completes.
func (ex *Exchange) run() { ex.loopOn(false, false) }

// loopOn is run; here says the goroutine is a caller of SubmitHere, which
// runs one task and leaves whatever follows it (more tasks, the finish) to
// the executor. inline says it is where a timeout fired (InlineRunner),
// under the rules of a chain that never blocks: it runs the chain's work
// there (the timeout's listeners, its dispatches) and leaves tasks and IO
// failures, which may block, to the executor.
//
// A task that ends its goroutine with runtime.Goexit (t.FailNow in a
// handler under test), which no recover stops, never returns here: the
// request is ended by the deferred call as the goroutine unwinds (see
// goexited). It is told here, not in runTask, which recovers the task's
// panics: a task whose deferred cleanup panics as the Goexit unwinds it
// has that panic recovered there, and then the Goexit goes on, past
// runTask's caller, which no statement after runTask's call sees.
func (ex *Exchange) loopOn(here, inline bool) {
	running := false // runTask was called and has not returned
	defer func() {
		if running {
			ex.goexited(here, inline)
		}
	}()
	ex.loop.Acquire()
	for {
		ex.mu.Lock()
		if ex.m.state != stateRunning || ex.queue.len() == 0 {
			st, n := ex.m.state, ex.queue.len()
			ex.mu.Unlock()
			panic(fmt.Sprintf("async: loop in state %v with %d queued", st, n))
		}
		if h := &ex.queue.head; h.timedOut && ex.onTimeoutLocked() {
			// The expiry found no OnTimeout listener, but the work that
			// owned the request then added one (the dispatch that
			// suspended, after a shutdown's Expire; a task queued before
			// the expiry): the timeout runs after that work, and tells
			// it, as the timeout task it queues instead would have.
			*h = queued{kind: kindTimeout, used: true}
		}
		// A Complete from outside a task may have come since this loop
		// was asked for (by a Submit, a Resume, the timeout) or since the
		// last task returned: the dequeue then finishes instead, and
		// what is queued is dropped, not run after Complete returned.
		act, terr := ex.m.transition(evDequeue, ex.queue.head.kind == kindDispatch, false)
		if terr != nil {
			ex.mu.Unlock()
			panic("async: " + terr.Error())
		}
		if act&actFinish == 0 {
			q := ex.queue.pop()
			if q.timedOut {
				ex.cause = max(ex.cause, ex.expireCause) // as runTimeout
			}
			ex.mu.Unlock()

			running = true
			err := NilFree(ex.runTask(&q))
			running = false

			ex.mu.Lock()
			if err != nil && errors.Is(err, api.ErrCompleted) && ex.endedLocked() {
				// The dispatch gave back the api.ErrCompleted of an Await
				// that a Complete or a failure ended, as Await's callers
				// may: the request was ended from outside, which is no
				// failure of the dispatch's. Taken as one, it would
				// replace the response that Complete finishes as it
				// stands, or the failure's own error, with a 500 for
				// ErrCompleted.
				err = nil
			}
			if err != nil && ex.failure == nil {
				ex.failure = err
			}
			act, terr = ex.m.transition(evTaskDone, q.kind == kindDispatch, err != nil)
			if terr != nil {
				ex.mu.Unlock()
				panic("async: " + terr.Error())
			}
		}
		if act&actArm != 0 {
			ex.armLocked(ex.timeout)
		}
		if act&actDisarm != 0 {
			ex.disarmLocked()
		}
		more := ex.m.state == stateRunning
		// A dispatch that suspended lifted its goroutine's rules (see
		// dispatcher.Yielder, called by Suspend): what follows must not
		// run under them, nor without them on a goroutine that may not
		// park. And a caller of SubmitHere runs its one task only. The
		// executor takes what follows.
		leave := inline && (more && ex.queue.head.kind != kindDispatch && ex.queue.head.kind != kindTimeout ||
			// The timeout completed the request (ModeAsync) with an IO
			// failure queued meanwhile: the finish runs its OnError
			// listeners (reportQueuedErrors), which may block.
			act&actFinish != 0 && ex.errorQueuedLocked())
		handOff := (ex.yielded || here) && (more || act&actFinish != 0) || leave
		if leave && !ex.yielded {
			// The rule of the goroutine the timeout fired on is its
			// connection's (InlineRunner), in force until RunInline
			// returns: the executor may run the work before then, and its
			// I/O must be free to park. Lift it first, as a dispatch that
			// suspends does (see dispatcher.Yielder).
			if y, ok := ex.ch.(dispatcher.Yielder); ok {
				y.Yield()
			}
		}
		ex.yielded = false
		if !more && act&actFinish == 0 {
			// Give up ownership before anyone can see the exchange waiting:
			// the next event may start a loop on another goroutine at once.
			ex.loop.Release()
		}
		if handOff {
			ex.loop.Release()
		}
		ex.mu.Unlock()

		if handOff {
			if act&actFinish != 0 {
				ex.execute(ex.finishOwned)
			} else {
				ex.execute(ex.run)
			}
			return
		}
		if act&actFinish != 0 {
			ex.finish()
			return
		}
		if !more {
			return
		}
	}
}

// goexited ends the exchange whose running task ended its goroutine with
// runtime.Goexit, on that goroutine as it unwinds (loopOn's deferred
// call): without it nobody would own the exchange, and the request would
// never complete. The task failed, as a panicking one does (500, or an
// abort once committed), and the request finishes there, before the
// goroutine is gone, unless the loop would have handed the finish to the
// executor (see loopOn).
func (ex *Exchange) goexited(here, inline bool) {
	pe := &api.PanicError{Value: "runtime.Goexit in a serialized task", Stack: debug.Stack()}
	r, lr := ex.base, ex.logRequest()
	ex.logger().ErrorContext(lr.Context(), "wharf: panic in serialized task",
		"method", r.Method(), "path", r.Path(), "remote", lr.RemoteAddr(), "panic", pe.Value, "stack", string(pe.Stack))
	ex.mu.Lock()
	if ex.failure == nil {
		ex.failure = pe
	}
	act, terr := ex.m.transition(evTaskDone, ex.m.inDispatch, true)
	if terr != nil {
		ex.mu.Unlock()
		panic("async: " + terr.Error())
	}
	if act&actDisarm != 0 {
		ex.disarmLocked()
	}
	leave := inline && ex.errorQueuedLocked()
	handOff := ex.yielded || here || leave
	if leave && !ex.yielded {
		if y, ok := ex.ch.(dispatcher.Yielder); ok {
			y.Yield()
		}
	}
	ex.yielded = false
	ex.mu.Unlock()
	if handOff {
		ex.loop.Release()
		ex.execute(ex.finishOwned)
		return
	}
	ex.finish()
}

// endedLocked reports whether the request was ended from outside the
// running task: completed, or failed (the IO failure is queued and
// reported at the finish). ex.mu must be held.
func (ex *Exchange) endedLocked() bool {
	return ex.m.complete || ex.errorQueuedLocked()
}

// errorQueuedLocked reports whether an IO failure is queued. ex.mu must
// be held.
func (ex *Exchange) errorQueuedLocked() bool {
	for i := range ex.queue.len() {
		if ex.queue.at(i).kind == kindError {
			return true
		}
	}
	return false
}

// finishOwned is finish on a goroutine the loop was handed to.
func (ex *Exchange) finishOwned() {
	ex.loop.Acquire()
	ex.finish()
}

// nextToken hands out the next task token. 0 means no task runs; the
// first task's token and the finishing phase's are fixed (pinned.go): a
// counter that wraps (after 2^32 tasks of one long-lived request) skips
// all three.
func (ex *Exchange) nextToken() uint32 {
	if ex.next++; ex.next == finishToken {
		ex.next = firstToken + 1
	}
	return ex.next
}

// handleFor returns the Response for the task with token tok. The first
// three tasks' are the exchange itself (pinned.go); later tasks get a
// handle of their own.
func (ex *Exchange) handleFor(tok uint32) api.Response {
	switch tok {
	case 0: // Current outside a task: a Response that is already stale
		return (*pinned[noTask])(ex)
	case firstToken:
		return (*pinned[firstTask])(ex)
	case secondToken:
		return (*pinned[secondTask])(ex)
	case thirdToken:
		return (*pinned[thirdTask])(ex)
	}
	return &handle{ex: ex, token: tok}
}

// runTask runs one queued task with the Response of its token (handleFor),
// recovering panics into *api.PanicError. A task that ends its goroutine
// with runtime.Goexit is loopOn's to tell.
func (ex *Exchange) runTask(q *queued) (err error) {
	tok := ex.nextToken()
	ex.token.Store(tok)
	w := ex.handleFor(tok)
	defer func() {
		ex.token.Store(0)
		if p := recover(); p != nil {
			pe, ok := p.(*api.PanicError) // raised again, with its stack (runTimeout)
			if !ok {
				pe = &api.PanicError{Value: p, Stack: debug.Stack()}
			}
			if pe.Value != http.ErrAbortHandler { // the net/http way to abort quietly
				// With the request's method, path, client and context
				// (those of the request the panicking code was given,
				// see LogRequester), as the container logs its other
				// failures: the container does not log the
				// *api.PanicError again, so this record is the only one
				// to tie the stack to its request (a trace, a request
				// ID, read from the context by the handler).
				r, lr := ex.base, ex.logRequest()
				ex.logger().ErrorContext(lr.Context(), "wharf: panic in serialized task",
					"method", r.Method(), "path", r.Path(), "remote", lr.RemoteAddr(), "panic", pe.Value, "stack", string(pe.Stack))
			}
			err = pe
		}
	}()
	switch q.kind {
	case kindDispatch:
		if q.timedOut && bufferedBody(ex.out) {
			ex.discardOut() // as runTimeout, in continuation mode
		}
		r := ex.base
		switch {
		case q.expired:
			r = r.WithAttribute(kindKey{}, DispatchExpired)
		case q.resumed:
			r = r.WithAttributes(q.attrs()...).WithAttribute(kindKey{}, DispatchResumed)
		}
		err = ex.ch.Dispatch(w, r)
	case kindTask:
		q.fn()(w)
	case kindTimeout:
		ex.runTimeout(w)
	case kindError:
		ex.runError(w, q.err())
	}
	return err
}

// NilFree returns err, or, if err or an error it wraps is a nil pointer
// (a nil *api.StatusError returned as an error, which is no nil error),
// an error that says so, answered 500. Asked anything, such a value
// panics (errors.Is calls its Unwrap, api.StatusOf reads its Code), and
// no task's recover is there to catch it: with the exchange's lock held,
// the process went down with it, or, where a connector recovered it, the
// exchange stayed locked and Shutdown waited on it forever. The container
// passes an error page's error through it too.
func NilFree(err error) error {
	if err == nil {
		return nil // every task that succeeds: no call to look into it
	}
	if p := nilIn(err); p != nil {
		return fmt.Errorf("wharf: the request failed with a nil %T as its error", p)
	}
	return err
}

// nilIn returns the first nil pointer in err's tree, found without
// calling a method of one, or nil.
func nilIn(err error) error {
	for err != nil {
		if v := reflect.ValueOf(err); v.Kind() == reflect.Pointer && v.IsNil() {
			return err
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if p := nilIn(e); p != nil {
					return p
				}
			}
			return nil
		default:
			return nil
		}
	}
	return nil
}

// runTimeout calls the timeout listeners and then applies the mode's default
// if none of them completed the exchange or resumed it.
func (ex *Exchange) runTimeout(w api.Response) {
	ex.mu.Lock()
	ex.cause = max(ex.cause, ex.expireCause)
	mode := ex.mode
	if _, err := ex.m.transition(evExpiring, false, false); err != nil {
		panic("async: " + err.Error())
	}
	// The listeners that hear of the timeout, taken under the lock the
	// expiry is taken under rather than a lock of their own: one added
	// by another goroutine meanwhile races the timeout either way.
	listeners := ex.listenersLocked()
	ex.mu.Unlock()
	if mode == ModeAsync || bufferedBody(ex.out) {
		// The timeout is an outcome of its own (the Servlet API's): what a
		// task wrote without completing is not part of it. A
		// continuation's expired re-dispatch, like a resumed one, goes on
		// with the header fields the earlier passes set, unless a body
		// was written: that was another outcome, begun and not finished.
		ex.discardOut()
	}
	// A listener that panics does not keep the others from hearing of
	// the timeout (as in Jetty, which runs every listener first): the
	// first panic is raised once all of them ran, and fails the request
	// as a panicking task does. With no OnTimeout (most requests: a
	// continuation that only waits has no listener at all) there is
	// nobody to call, and nothing to set up for it.
	if slices.ContainsFunc(listeners, hasOnTimeout) {
		r := ex.base
		if mode == ModeContinuation {
			// As Jetty's continuation in onTimeout, the listeners'
			// Request reports the expiry (continuation's IsExpired),
			// not the initial pass that ex.base is; made only for a
			// listener that reads it, a timeout with none allocates
			// nothing more.
			r = r.WithAttribute(kindKey{}, DispatchExpired)
		}
		if panicked := ex.callOnTimeouts(w, r, listeners); panicked != nil {
			panic(panicked)
		}
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	// By a listener: Complete, a Resume whose re-dispatch is queued, or a
	// Fail whose failure is (it ends the request with its own error).
	answered := ex.m.complete || ex.m.resumed || ex.m.failing
	act, err := ex.m.transition(evExpiredDefault, ex.mode == ModeContinuation, false)
	switch {
	case err != nil:
		panic("async: " + err.Error())
	case act&actRedispatch != 0:
		ex.queue.push(queued{kind: kindDispatch, expired: true})
	case !answered && ex.failure == nil && ex.expireCause == EndShutdown:
		ex.failure = errShutdownTimeout
	case !answered && ex.failure == nil:
		ex.failure = api.ErrAsyncTimeout
	}
}

// errShutdownTimeout is the failure of a request a Shutdown expired and
// nothing answered: it is api.ErrAsyncTimeout, and also api.ErrShutdown,
// so that it is answered 503, as a server going away answers, for the
// client to try again elsewhere, and logged as a choice (Warn) rather than
// as a fault of the program's.
var errShutdownTimeout = fmt.Errorf("%w: %w", api.ErrAsyncTimeout, api.ErrShutdown)

// callOnTimeouts calls the OnTimeout listeners with r and returns the
// first panic. One that ends its goroutine with runtime.Goexit (t.FailNow in a
// listener under test) does not keep the later ones from running
// (eachPastGoexit); the task then fails as one that ended its goroutine
// does (see goexited), as when a listener panics.
func (ex *Exchange) callOnTimeouts(w api.Response, r *api.Request, listeners []Listener) (panicked *api.PanicError) {
	eachPastGoexit(len(listeners), func(i int) {
		if l := listeners[i]; l.OnTimeout != nil {
			if pe := callOnTimeout(l.OnTimeout, w, r); pe != nil && panicked == nil {
				panicked = pe
			}
		}
	}, nil)
	return panicked
}

// callOnTimeout calls f, and returns its panic, with the stack where it
// happened, if it panicked.
func callOnTimeout(f func(api.Response, *api.Request), w api.Response, r *api.Request) (pe *api.PanicError) {
	defer func() {
		if p := recover(); p != nil {
			pe = &api.PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	f(w, r)
	return nil
}

// runError tells the OnError listeners of an IO failure. One that panics
// is logged, and the others still run: the request ends with the IO
// failure all the same (the client is gone; nobody hears a 500). Only the
// request's first failure is told (see Listener): a later one, queued
// before the first ran, neither discards what its listeners wrote nor
// runs them again.
func (ex *Exchange) runError(w api.Response, err error) {
	ex.mu.Lock()
	told := ex.m.failed
	ex.extrasLocked().errorsTold = true
	ex.mu.Unlock()
	if !told {
		ex.discardOut()
		ex.callOnErrors(w, ex.snapshotListeners(), err)
	}
	ex.takeFailure(err)
}

// callOnErrors calls the OnError listeners for runError. One that ends
// its goroutine with runtime.Goexit (t.FailNow in a listener under test)
// does not keep the later ones from running, nor the request from ending
// with err, as a panicking one does not: they run, and the failure is
// taken, as the goroutine unwinds (eachPastGoexit). Before the goroutine
// is gone, the task fails as one that ended its goroutine does (see
// goexited), which keeps err.
func (ex *Exchange) callOnErrors(w api.Response, listeners []Listener, err error) {
	eachPastGoexit(len(listeners), func(i int) {
		if l := listeners[i]; l.OnError != nil {
			ex.safely(func() { l.OnError(w, ex.base, err) })
		}
	}, func() { ex.takeFailure(err) })
}

// takeFailure takes err, whose OnError listeners ran, as the request's
// failure, unless it failed already.
func (ex *Exchange) takeFailure(err error) {
	ex.mu.Lock()
	if _, terr := ex.m.transition(evFailed, false, false); terr != nil {
		ex.mu.Unlock()
		panic("async: " + terr.Error())
	}
	if ex.failure == nil {
		ex.failure = err
	}
	ex.mu.Unlock()
}

// discardOut drops what earlier tasks left uncommitted in the output, so
// that the outcome about to be written (a timeout's, a failure's) is the
// only one the response carries (see Listener). Committed output stays.
func (ex *Exchange) discardOut() { _ = Discard(ex.out) }

func (ex *Exchange) snapshotListeners() []Listener {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.listenersLocked()
}

func (ex *Exchange) listenersLocked() []Listener {
	if ex.more == nil {
		return nil
	}
	return ex.more.listeners
}

// addListenerLocked appends l to a new slice: snapshots stay as they were.
func (ex *Exchange) addListenerLocked(l Listener) {
	x := ex.extrasLocked()
	x.listeners = append(x.listeners[:len(x.listeners):len(x.listeners)], l)
}

// finish writes the final response, drops what is still queued, runs the
// OnComplete listeners and releases the loop. It runs on the owning
// goroutine in state Completing.
//
// Its steps are functions of their own so that only the frames of the
// write's own way are on the stack when the response is written: a
// blocking request runs on a goroutine whose stack starts small, and the
// frames of the steps around the write (their loops, their closures) would
// grow it, by a copy, once per request.
func (ex *Exchange) finish() {
	ex.token.Store(finishToken)
	w := (*pinned[finishing])(ex)
	if ex.reportQueuedErrors(w) {
		return // the finish ran past a listener's Goexit
	}
	ex.mu.Lock()
	failure := ex.failure
	ex.mu.Unlock()
	ex.finishResponse(w, failure)
}

// reportQueuedErrors reports an IO failure still queued (the exchange
// completed before its turn) to OnError all the same: the client is gone
// either way. It reports whether it ran the rest of the finish itself,
// as it does when a listener ended the goroutine.
func (ex *Exchange) reportQueuedErrors(w api.Response) (finished bool) {
	ex.mu.Lock()
	var ioErrs []error
	for i := range ex.queue.len() {
		if q := ex.queue.at(i); q.kind == kindError {
			ioErrs = append(ioErrs, q.err())
		}
	}
	ex.mu.Unlock()
	// An OnError listener that ends its goroutine with runtime.Goexit
	// (t.FailNow in a listener under test) does not leave the exchange
	// Completing for good: the later failures and the rest of the finish
	// run as the goroutine unwinds (eachPastGoexit), as finishResponse's
	// do.
	if len(ioErrs) == 0 {
		return false // the common finish: no deferred call
	}
	eachPastGoexit(len(ioErrs), func(i int) {
		ex.safely(func() { ex.runError(w, ioErrs[i]) })
	}, func() {
		ex.mu.Lock()
		failure := ex.failure
		ex.mu.Unlock()
		ex.finishResponse(w, failure)
		finished = true
	})
	return finished
}

// finishResponse has the Channel write the final response, recovering
// its panics as safely does, then settles the exchange and releases its
// loop. A Finish that ends its goroutine with runtime.Goexit (an error
// page calling t.FailNow), which no recover stops, counts as one that
// panicked: the rest of the finish runs from the deferred call as the
// goroutine unwinds, or the request would never complete and Shutdown
// would wait for it. So does one whose deferred cleanup then panics: the
// recover below stops that panic but not the Goexit, which goes on past
// the rest of this function, so the deferred call cannot leave the rest
// to it. (Its own recover, not safely's, keeps the frames on the write's
// way few: see finish.)
func (ex *Exchange) finishResponse(w api.Response, failure error) {
	var end End
	returned := false
	defer func() {
		if returned {
			return
		}
		if p := recover(); p != nil {
			ex.logPanic(p)
		}
		ex.token.Store(0)
		ex.settle(end, failure)
		ex.loop.Release()
	}()
	end = ex.ch.Finish(w, failure)
	returned = true
	ex.token.Store(0)
	ex.settle(end, failure)
	ex.loop.Release()
}

// settle completes the exchange once its response is written: the result,
// the tasks dropped, the OnComplete listeners, the Completer, Done. It
// lets go of the listeners and the queue, which nothing uses any more.
func (ex *Exchange) settle(end End, failure error) {
	ex.mu.Lock()
	ex.cause = max(end, ex.cause) // final from here: no event is taken any more
	ex.hasResult = true
	if _, err := ex.m.transition(evFinished, false, false); err != nil {
		ex.mu.Unlock()
		panic("async: " + err.Error())
	}
	dropped := ex.queue
	ex.queue = taskQueue{}
	listeners := ex.listenersLocked()
	if ex.more != nil {
		// Nothing calls them after these OnComplete calls: a Continuation
		// or Context kept after the end must not keep what their closures
		// hold alive.
		ex.more.listeners = nil
	}
	ex.disarmLocked()
	ex.mu.Unlock()
	ex.tell(&dropped, listeners, failure)
}

// tell tells of the end: the submitters of the dropped tasks, the
// OnComplete listeners and the Completer, each as safely calls it; and
// then Done. One that ends its goroutine with runtime.Goexit (t.FailNow
// in a listener under test) does not keep the others from running: they
// run as the goroutine unwinds (eachPastGoexit), and so does the release
// of the loop that finish's callers make, or the request would never be
// counted out and Done never closed.
func (ex *Exchange) tell(dropped *taskQueue, listeners []Listener, failure error) {
	eachPastGoexit(dropped.len()+len(listeners)+1, func(i int) {
		switch j := i - dropped.len(); {
		case j < 0:
			if q := dropped.at(i); q.dropped != nil {
				ex.safely(func() { q.dropped(api.ErrCompleted) })
			}
		case j < len(listeners):
			if l := listeners[j]; l.OnComplete != nil {
				ex.safely(func() { l.OnComplete(ex.base, failure) })
			}
		default:
			if c, ok := ex.ch.(Completer); ok {
				ex.safely(c.Completed)
			}
		}
	}, func() {
		ex.closeDone()
		ex.loop.Release()
	})
	ex.closeDone()
}

// closeDone marks the exchange finished, closing Done if anyone asked for
// it.
func (ex *Exchange) closeDone() {
	ex.mu.Lock()
	if ex.more != nil {
		lazydone.End(&ex.more.done, &ex.finished)
	} else {
		ex.finished = true // nobody asked for Done: no channel to close
	}
	ex.mu.Unlock()
}

// eachPastGoexit calls call(i) for each i from 0 to n-1. One that ends
// the goroutine with runtime.Goexit, which no recover stops, does not keep
// the later ones from running: they run from the deferred call as the
// goroutine unwinds, and then unwound (if not nil), which stands for what
// the caller would have done next, since no statement after the call
// runs any more. A Goexit in one of those unwinds the same way again, and
// the outer deferred call is left: unwound runs once.
func eachPastGoexit(n int, call func(int), unwound func()) {
	eachPastGoexitFrom(0, n, call, unwound)
}

func eachPastGoexitFrom(i, n int, call func(int), unwound func()) {
	defer func() {
		if i < n {
			eachPastGoexitFrom(i+1, n, call, unwound)
			if unwound != nil {
				unwound()
			}
		}
	}()
	for ; i < n; i++ {
		call(i)
	}
}

func (ex *Exchange) safely(f func()) {
	defer func() {
		if p := recover(); p != nil {
			ex.logPanic(p)
		}
	}()
	f()
}

// logPanic logs p, recovered from a listener or the Channel's Finish.
func (ex *Exchange) logPanic(p any) {
	if p != http.ErrAbortHandler { // the quiet way to abort
		ex.logger().Error("wharf: panic in listener", "panic", p, "stack", string(debug.Stack()))
	}
}

// finishDetached runs finish on the executor for an exchange completed while
// nothing owned it.
func (ex *Exchange) finishDetached() {
	ex.execute(func() {
		ex.loop.Acquire()
		ex.finish()
	})
}

// act carries out the actions of a transition made outside the loop.
func (ex *Exchange) act(a action) {
	if a&actRun != 0 {
		ex.execute(ex.run)
	}
	if a&actFinish != 0 {
		ex.finishDetached()
	}
}

// inTask reports whether the caller may be the running task: one runs
// now (its token is set, in production too: a goroutine the handler
// started, calling after the handler returned, is told), and, in test
// binaries, the caller is the goroutine running it (internal/owner). A
// goroutine calling while the task runs cannot be told apart in
// production without goroutine identity, which is not cheap.
func (ex *Exchange) inTask() bool {
	return ex.token.Load() != 0 && ex.loop.Owned()
}

// Suspend starts async mode in the running dispatch: when the dispatch
// returns, the exchange waits (holding no goroutine) for Resume, Complete, a
// submitted task or the timeout. Called again in the same dispatch, it
// keeps the suspension, unless a Resume or the timeout has decided it
// already: it then returns api.ErrWrongState, as Await does.
func (ex *Exchange) Suspend(mode Mode) error {
	if !ex.inTask() {
		return api.ErrNotSerialized
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	again := ex.m.suspended // a second Suspend in the same dispatch
	_, err := ex.m.transition(evSuspend, false, false)
	if err == nil {
		if ex.cause == EndExpired {
			// An expired re-dispatch suspends again: this new cycle,
			// not the expiry, decides how the request ends.
			ex.cause = EndAnswered
		}
		ex.mode = mode
		// Once per suspend, and only here: the dispatch's goroutine gives
		// up its rules (see dispatcher.Yielder), since the goroutines the
		// handler hands the request to may use it from now on. Later
		// tasks need no call: a goroutine that yielded runs none of
		// them, and no other has rules (a connector sets them only on
		// the goroutine it starts the exchange on).
		if y, ok := ex.ch.(dispatcher.Yielder); ok && !again && y.Yield() {
			ex.yielded = true
		}
	}
	return err
}

// SetTimeout sets the suspend timeout for the current and later cycles;
// d <= 0 means never. Any goroutine may call it. Before the dispatch that
// suspends returns, the return arms the timer with d. Once the cycle
// waits (that dispatch returned, or an Await blocks) and no outcome has
// decided it, the running timer is replaced by one of d from the call.
// The timer's firing takes ex.mu and checks its generation, as this does
// under the same lock: a firing that comes first has expired the cycle,
// which is then left as it is, and one that comes after finds its
// generation stale and does nothing. The continuation and async packages
// call SetTimeoutOf.
func (ex *Exchange) SetTimeout(d time.Duration) {
	ex.mu.Lock()
	ex.setTimeoutLocked(d, true)
	ex.mu.Unlock()
}

// SetTimeoutOf is SetTimeout made through the API of mode (the
// continuation package's ModeContinuation, async's ModeAsync): it restarts
// only a wait that API began, ModeContinuation's Suspend or an Await for
// ModeContinuation, async mode for ModeAsync, and for any other wait sets
// the timeout of the cycles to come only. A wait is so lengthened or
// shortened only by code that knows of it: the chain below
// filters/timeout, which runs on the filter's goroutine while the request
// waits in the filter's async mode, makes the continuation SetTimeout of
// its own suspension (which then fails), not one of the filter's timeout.
func (ex *Exchange) SetTimeoutOf(mode Mode, d time.Duration) {
	ex.mu.Lock()
	ex.setTimeoutLocked(d, ex.m.awaiting && mode == ModeContinuation || !ex.m.awaiting && ex.mode == mode)
	ex.mu.Unlock()
}

// setTimeoutLocked is SetTimeout; restart says whether the running wait,
// if any, may be restarted. ex.mu is held.
func (ex *Exchange) setTimeoutLocked(d time.Duration, restart bool) {
	ex.timeout = d
	if !restart {
		return
	}
	act, _ := ex.m.transition(evSetTimeout, false, false)
	if act&actDisarm != 0 {
		ex.disarmLocked()
	}
	if act&actArm != 0 {
		ex.armLocked(d)
	}
}

// Timeout returns the suspend timeout.
func (ex *Exchange) Timeout() time.Duration {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.timeout
}

// AddListener registers l. Listeners added after completion are ignored,
// and not kept.
func (ex *Exchange) AddListener(l Listener) {
	ex.mu.Lock()
	if !ex.hasResult { // set with the listeners' snapshot, in settle
		ex.addListenerLocked(l)
	}
	ex.mu.Unlock()
}

// AddListenerLive registers l if the exchange has not completed yet, and
// returns api.ErrCompleted otherwise: a listener it accepts is sure to
// have its OnComplete called.
func (ex *Exchange) AddListenerLive(l Listener) error {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.hasResult { // set with the listeners' snapshot, in settle
		return api.ErrCompleted
	}
	ex.addListenerLocked(l)
	return nil
}

// AddListenerOpen registers l if the exchange may still run it and its
// owner's callbacks, and returns api.ErrCompleted otherwise: once it
// completed, Complete was called (the task that called it may still
// run), or the OnError listeners were taken to be told of a failure
// (Fail: from one of them, or after). A listener that comes with
// callbacks of its own to schedule (package async's ReadListener and
// WriteListener) is refused where none of them would run, rather than
// kept for a request whose OnError listeners are told without it. A
// failure queued and not told yet (a client gone while the dispatch
// runs) leaves it open: l's OnError is told.
func (ex *Exchange) AddListenerOpen(l Listener) error {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.hasResult || ex.m.complete || ex.more != nil && ex.more.errorsTold || ex.m.state >= stateCompleting {
		return api.ErrCompleted
	}
	ex.addListenerLocked(l)
	return nil
}

// Resume ends the suspension and re-dispatches the request through the
// chain with attrs added, after the dispatch that suspended has returned.
// It returns api.ErrCompleted after completion or once an IO failure is
// queued (Fail: the request ends with it), and api.ErrNotSuspended if
// the exchange is not suspended or the timeout already won; while the
// timeout's OnTimeout listeners run, one Resume is taken, in place of the
// mode's default.
func (ex *Exchange) Resume(attrs ...api.Attr) error {
	ex.mu.Lock()
	act, err := ex.m.transition(evResume, false, false)
	if err == nil {
		if ex.cause == EndExpired && !ex.m.expiring {
			// An earlier cycle expired, but this one is answered. (A
			// Resume taken while the timeout's listeners run is the
			// timeout's answer, as the expired re-dispatch is: the End
			// stays the timeout's unless the pass suspends again.)
			ex.cause = EndAnswered
		}
		if act&actDisarm != 0 {
			ex.disarmLocked()
		}
		if act&actRedispatch != 0 {
			ex.queue.push(resumedDispatch(attrs))
		}
		if act&actWake != 0 {
			ex.wakeLocked(attrs)
		}
	}
	ex.mu.Unlock()
	ex.act(act)
	return err
}

// Complete ends the exchange: once the running task (if any) returns, the
// response is finished and nothing else runs. From outside a task the
// response is finished as it stands. It returns api.ErrCompleted if the
// exchange already completed or was completed (an earlier Complete, from
// any goroutine, the running task's included, or a failure taken).
func (ex *Exchange) Complete() error { return ex.CompleteAs(EndAnswered) }

// CompleteAs is Complete that says why: if this call is the one that
// completes the exchange, its Result reports end (unless a later End in
// End's order applies). A container's Close passes EndShutdown.
func (ex *Exchange) CompleteAs(end End) error {
	ex.mu.Lock()
	act, err := ex.m.transition(evComplete, false, false)
	if err == nil { // the call that completes: a later one is refused
		ex.cause = max(ex.cause, end)
	}
	if act&actDisarm != 0 {
		ex.disarmLocked()
	}
	if act&actWake != 0 {
		ex.wakeLocked(nil)
	}
	ex.mu.Unlock()
	ex.act(act)
	return err
}

// Submit queues t to run serialized. It returns api.ErrCompleted if the
// exchange has completed. If the exchange completes while t is queued, t is
// not run and dropped (if not nil) is called with api.ErrCompleted.
func (ex *Exchange) Submit(t Func, dropped func(error)) error {
	act, err := ex.queueTask(t, dropped)
	ex.act(act)
	return err
}

// queueTask queues t as a task and reports what the transition asks for.
func (ex *Exchange) queueTask(t Func, dropped func(error)) (action, error) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	act, err := ex.m.transition(evSubmit, false, false)
	if err == nil {
		ex.queue.push(queued{kind: kindTask, arg: t, dropped: dropped})
	}
	return act, err
}

// SubmitHere is Submit for a task that never blocks: when the exchange is
// idle (suspended, no task running or queued) the calling goroutine runs
// t before SubmitHere returns, saving the hand-over to the executor;
// otherwise t is queued as Submit queues it. Whatever is queued while t
// runs, and the finish if t completes the exchange, go to the executor,
// so the caller runs t and nothing else. t runs with the caller's locks
// held: it must not wait for them.
func (ex *Exchange) SubmitHere(t Func, dropped func(error)) error {
	act, err := ex.queueTask(t, dropped)
	if act&actRun != 0 {
		ex.loopOn(true, false)
		act &^= actRun
	}
	ex.act(act)
	return err
}

// Expire makes a suspended exchange time out now, through its normal timeout
// path (listeners, then re-dispatch or ErrAsyncTimeout). It returns
// api.ErrNotSuspended if the exchange is not waiting for an outcome (see
// Suspended): an IO failure queued decides it as a Resume would.
func (ex *Exchange) Expire() error { return ex.expire(0, false, EndExpired) }

// ExpireAs is Expire that says why: if this expiry decides the outcome,
// the exchange's Result reports end instead of EndExpired (unless a later
// End in End's order applies). A container's Shutdown passes EndShutdown.
func (ex *Exchange) ExpireAs(end End) error { return ex.expire(0, false, end) }

// Fail reports an IO failure (the client went away): OnError listeners run
// serialized, then the exchange completes with err. From the call on, a
// Resume is refused with api.ErrCompleted: nothing it would queue runs.
func (ex *Exchange) Fail(err error) error { return ex.failIf(err, nil) }

// FailSuspended is Fail for a request that is suspended and waiting for
// an outcome, checked under the same lock as the failure is queued: a
// Resume or an expiry that came first keeps its answer, and
// FailSuspended returns api.ErrNotSuspended, doing nothing. Any goroutine
// may call it.
func (ex *Exchange) FailSuspended(err error) error {
	return ex.failIf(err, ex.suspendedLocked)
}

// failIf is Fail when cond, checked under the lock, holds (nil: always);
// otherwise it returns api.ErrNotSuspended.
func (ex *Exchange) failIf(err error, cond func() bool) error {
	ex.mu.Lock()
	if cond != nil && !cond() {
		ex.mu.Unlock()
		return api.ErrNotSuspended
	}
	act, terr := ex.m.transition(evSubmit, false, true)
	if terr == nil {
		ex.queue.push(queued{kind: kindError, arg: NilFree(err)})
		ex.wakeLocked(nil) // a blocked Await returns Completed

	}
	ex.mu.Unlock()
	ex.act(act)
	return terr
}

// State returns the name of the current state, for diagnostics and tests.
func (ex *Exchange) State() string {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.m.state.String()
}

// Suspended reports whether the exchange is suspended and waiting for an
// outcome: not once an IO failure is queued (Fail), which ends the request
// whatever else comes.
func (ex *Exchange) Suspended() bool {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.suspendedLocked()
}

// suspendedLocked is Suspended; ex.mu must be held.
func (ex *Exchange) suspendedLocked() bool { return ex.m.undecided() }
