package async

import (
	"errors"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
)

// Context is the asynchronous view of one request, the Servlet API's
// AsyncContext with the request-serialized Dispatch(task) and Executor the
// Wharf design adds. It is safe to share with any goroutine.
type Context struct {
	ex *exchange.Exchange
	r  *api.Request
}

// Start puts the request in async mode (the Servlet API's startAsync):
// when the running dispatch returns, the response stays open, no goroutine
// is held, and the request waits for Complete, a dispatched task,
// Redispatch or its timeout. On timeout the OnTimeout listeners run; if
// none completes, re-dispatches or fails (Fail: the request ends with its
// error) the request, it completes with api.ErrAsyncTimeout (expired by a Shutdown, an error that is also
// api.ErrShutdown, answered 503). Either way the timeout's answer is the only one:
// what tasks wrote before it without committing is discarded first (see
// Listener).
//
// Start must be called from the request's running dispatch. It returns
// api.ErrNotSerialized when no task of the request is running (called from
// a goroutine the handler started, after the handler returned), in
// production too; a call from another goroutine while the dispatch still
// runs is caught in test binaries only (see internal/owner). It returns
// api.ErrWrongState from a task that is not a dispatch, or once
// Redispatch (a continuation's Resume) or the timeout has ended the async
// mode this dispatch started, and api.ErrNotSupported for a Request that
// no container built.
//
// The tasks of the Context (Dispatch, DispatchNonBlocking, the Executor's,
// the write listener's) are given the container's Response, not a wrapper
// a filter passed down the chain, as the Servlet API's startAsync()
// without arguments keeps the original response: a filter that changes
// the response (adds header fields, compresses) does so in its own code
// after the chain returns, or for what a task writes, not at all.
func Start(r *api.Request) (*Context, error) {
	ex := exchange.From(r)
	if ex == nil {
		return nil, api.ErrNotSupported
	}
	if err := ex.Suspend(exchange.ModeAsync); err != nil {
		return nil, err
	}
	return &Context{ex: ex, r: r}, nil
}

// Request returns the request async mode was started with.
func (a *Context) Request() *api.Request { return a.r }

// Dispatch runs task serialized with every other callback of the request,
// in submission order: on a goroutine of the container's executor, or,
// when it is queued during a dispatch, on the goroutine that ran that
// dispatch once it returns (never on an event loop). It
// returns api.ErrCompleted, and task never runs, if the request has
// completed; a task still queued when another task completes the request is
// dropped silently (use DispatchOr to hear of it). It panics if task is
// nil, as do DispatchOr, DispatchNonBlocking and the Executor's function.
func (a *Context) Dispatch(task Func) error {
	mustTask(task, "Dispatch")
	return a.ex.Submit(task, nil)
}

// mustTask panics, naming the method, if task is nil: queued, a nil task
// would fail the request later with a nil dereference in its own task,
// whose stack does not show the call that gave it.
func mustTask[F ~func(api.Response) | ~func() | ~func(error)](task F, method string) {
	if task == nil {
		panic("async: " + method + " with a nil function")
	}
}

// DispatchOr is Dispatch with a callback for the drop: if the request
// completes while task is queued, dropped is called with api.ErrCompleted
// instead.
func (a *Context) DispatchOr(task Func, dropped func(error)) error {
	mustTask(task, "DispatchOr")
	return a.ex.Submit(task, dropped)
}

// DispatchNonBlocking is Dispatch for a task that never blocks (it
// writes through an Output, queues, signals): when the request is idle
// (no task running or queued), the calling goroutine runs task before
// DispatchNonBlocking returns, with no hand-over to another goroutine;
// otherwise task is queued as Dispatch queues it. Tasks queued while it
// runs, and the completion if it completes the request, go to the
// executor, so the caller runs this one task at most. It is for a
// goroutine that fans one event out to many requests (package sse's
// publishers): a hand-over per request would cost more than the write.
// task runs under the caller's locks, so it must not wait for them.
func (a *Context) DispatchNonBlocking(task Func) error {
	mustTask(task, "DispatchNonBlocking")
	return a.ex.SubmitHere(task, nil)
}

// Executor returns an executor for Go code that takes a func(func()): every
// function it is given runs as a serialized task of the request (use
// Response inside it to reach the response). Functions given after
// completion are dropped.
func (a *Context) Executor() func(func()) {
	return func(f func()) {
		mustTask(f, "Executor's func")
		_ = a.ex.Submit(func(api.Response) { f() }, nil)
	}
}

// Response returns the Response handle of the serialized task running now.
// Called from inside a task given to Executor it is that task's handle;
// anywhere else every method returns ErrNotSerialized.
func (a *Context) Response() api.Response {
	return a.ex.Current()
}

// Complete completes the request. Called from a serialized task, the
// response is finished when that task returns and nothing else runs after
// it (but OnComplete listeners). Called from any other goroutine, it is
// not queued behind the tasks submitted before it: the response is
// finished as it stands once the task running then (if any) returns, and
// the tasks still queued are dropped, as after a task's Complete (the
// engine cannot tell that goroutine from the running task's). So a
// goroutine that dispatches a write completes from inside that task
// (a.Dispatch(func(w api.Response) { ...; a.Complete() })), not after
// Dispatch returns. It returns api.ErrCompleted if the request had
// already completed or been completed: a second Complete is refused
// wherever it is made, in the task that made the first too (as the
// Servlet API's complete() twice is an IllegalStateException), and
// changes nothing of what the first did. continuation.Complete is the
// same.
func (a *Context) Complete() error { return a.ex.Complete() }

// Redispatch ends async mode and passes the request through the filter
// chain again (the Servlet API's AsyncContext.dispatch()), with attrs added
// to the new Request. It returns api.ErrCompleted, and nothing happens, if
// the request has completed or is failing (Fail, or its client left).
func (a *Context) Redispatch(attrs ...api.Attr) error { return a.ex.Resume(attrs...) }

// SetTimeout sets how long the request may stay in async mode; d <= 0 means
// forever, as the Servlet API's setTimeout(0) does, so a duration computed
// from a deadline that may have passed must be kept above zero. Any
// goroutine may call it:
//
//   - before the dispatch that started async mode returns, it counts from
//     that return, as in Jetty, even while tasks the dispatch queued still
//     run;
//   - while the request waits in async mode (that dispatch returned, and no
//     Complete, Redispatch, Fail or timeout has ended it), it restarts the
//     wait: the request now expires d after the call (d <= 0: never by
//     itself), and a later async mode has d too. A task, a write listener
//     or another goroutine may so lengthen the time of a long download,
//     where the Servlet API refuses a setTimeout once startAsync's
//     dispatch returned; continuation.SetTimeout does not restart this
//     wait (nor this one a continuation's), so code that knows only the
//     request, as the chain below filters/timeout, cannot change the
//     timeout of the async mode it runs in;
//   - once async mode has ended, it applies to a later one only.
//
// continuation.SetTimeout is the same. The timeout fires within a
// millisecond after d, never before: it is kept in a timer wheel of
// millisecond ticks (on the epoll connector, the one of the selector that
// polls the connection).
func (a *Context) SetTimeout(d time.Duration) { a.ex.SetTimeoutOf(exchange.ModeAsync, d) }

// Timeout returns the async timeout.
func (a *Context) Timeout() time.Duration { return a.ex.Timeout() }

// AddListener registers lifecycle listeners.
func (a *Context) AddListener(l Listener) { a.ex.AddListener(l) }

// Fail ends the request with err, as a failure of its own work: the
// uncommitted output is discarded (see Listener), the OnError listeners
// run as a serialized task, and the request completes with err, which the
// container renders through its error pages (or, once the head was sent,
// by aborting the connection); from the call on, Redispatch returns
// api.ErrCompleted. It returns api.ErrCompleted if the request had
// already completed. A nil err fails the request all the same, with an
// error that says so (answered 500).
func (a *Context) Fail(err error) error {
	if err == nil {
		// Without an error the request would complete as a success, with
		// the output discarded as for a failure: an empty 200 whose
		// listeners hear nil. A nil here is a caller's bug (an err
		// variable not set); as context.CancelCauseFunc(nil) does, put
		// an error in its place.
		err = errFailNil
	}
	return a.ex.Fail(err)
}

// errFailNil is the failure of a request given Fail(nil).
var errFailNil = errors.New("async: Fail called with a nil error")

// SetOnShutdown chooses what a graceful shutdown does with the request
// while it is in async mode: by default Shutdown waits for its work, while
// its context allows. Any goroutine may call it.
func (a *Context) SetOnShutdown(p OnShutdown) { a.ex.SetOnShutdown(p) }

// OnComplete registers f to run once r's exchange has completed, with the
// error it completed with (nil on success), after the response is finished
// and whether or not async mode was ever started: a blocking handler uses
// it to release what the request owns (temporary files, locks) however the
// request ends — answered, failed, expired, or abandoned by its client.
// f runs on whichever goroutine finishes the exchange and must not block
// for long; it may read the Result (ResultOf).
//
// Any goroutine may call OnComplete before the request completes; a call
// after completion returns api.ErrCompleted and f never runs. It returns
// api.ErrNotSupported for a Request that no container built. It panics if
// f is nil.
func OnComplete(r *api.Request, f func(err error)) error {
	mustTask(f, "OnComplete")
	ex := exchange.From(r)
	if ex == nil {
		return api.ErrNotSupported
	}
	return ex.AddListenerLive(Listener{OnComplete: func(_ *api.Request, err error) { f(err) }})
}
