package async

import (
	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
)

// The types below are defined by the engine (internal/exchange), which
// uses them itself; package async is where programs name them.

// DefaultTimeout is the async and continuation timeout used when neither
// the container nor the handler sets one.
const DefaultTimeout = exchange.DefaultTimeout

// Func is a unit of work that runs serialized with everything else of one
// request. w is valid until the task returns.
//
// Its type is func(w api.Response), which go doc does not show through
// the alias: a task reads the request from its Context (Request) or its
// closure, and ends the request with Context.Complete or Context.Fail
// rather than by returning an error.
type Func = exchange.Func

// Listener receives lifecycle events of a request. Its fields, which go
// doc does not show through the alias, are
//
//	OnTimeout  func(w api.Response, r *api.Request)
//	OnError    func(w api.Response, r *api.Request, err error)
//	OnComplete func(r *api.Request, err error)
//
// and any of them may be nil. OnTimeout and OnError run as serialized tasks and may write the response
// and call Complete. OnTimeout may instead call Redispatch (the Servlet
// API's dispatch from onTimeout): the request then passes through the
// chain again, as DispatchResumed, in place of api.ErrAsyncTimeout (a
// Redispatch from any goroutine while the OnTimeout listeners run is taken
// too; one after the timeout fired and before they run has lost the race
// and gets api.ErrNotSuspended). A shutdown that expires the request runs
// OnTimeout too: a pass it re-dispatches should answer, not suspend again,
// or the shutdown expires it again, as it does a continuation's expired
// re-dispatch that suspends. OnError runs once per request, for its
// first IO failure (Context.Fail, a client gone): the request ends with
// that one, and a later failure (the connector's report that the client
// left, after a Fail) runs no listener, as the Servlet API's onError
// runs once. OnComplete runs after the response is finished, with the
// error the request ended with (nil on success), and may read its Result
// (ResultOf).
//
// A listener that panics is logged with its stack. The others still run:
// an OnTimeout listener's panic then fails the request as a task's does
// (a 500, the expired re-dispatch not made); an OnError or OnComplete
// listener's changes nothing else. One that ends its goroutine with
// runtime.Goexit (t.FailNow in a listener under test) counts as one that
// panicked: the others run as the goroutine unwinds.
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
type Listener = exchange.Listener

// DispatchKind says why a Request is being dispatched. Its String method
// returns "initial", "resumed" or "expired".
type DispatchKind = exchange.DispatchKind

// The kinds of dispatch.
const (
	DispatchInitial = exchange.DispatchInitial // the first pass through the chain
	DispatchResumed = exchange.DispatchResumed // re-dispatched after Resume
	DispatchExpired = exchange.DispatchExpired // re-dispatched after the timeout
)

// KindOf returns why r was dispatched. Requests that no container built
// report DispatchInitial.
func KindOf(r *api.Request) DispatchKind { return exchange.KindOf(r) }

// WithKind returns r as a dispatch of kind k, for a filter that suspends a
// request on its way in and resumes it itself once it may go on (a place
// free, a delay over: filters/qos, filters/dos). The filter passes the
// chain inside it WithKind(r, the kind r had when it suspended it), so that
// the handler sees the pass the filter interrupted, not the filter's own
// Resume: a long poll's first pass is its initial dispatch, on which it
// suspends (continuation.IsInitial), however long it waited in the filter.
func WithKind(r *api.Request, k DispatchKind) *api.Request { return exchange.WithKind(r, k) }

// End says how a request ended: what decided its outcome. Its String
// method returns "answered", "expired", "client_gone" or "shutdown".
type End = exchange.End

// The ends of a request, in order of precedence: when several apply (a
// request expired by a shutdown whose client had left), the Result
// reports the last of them in this list.
const (
	// EndAnswered: the request's own work answered it — a dispatch, a
	// task, a Complete — successfully or with an error it returned.
	EndAnswered = exchange.EndAnswered
	// EndExpired: a timeout decided the outcome (its OnTimeout listeners,
	// the expired re-dispatch, a blocking Await that expired, or
	// api.ErrAsyncTimeout).
	EndExpired = exchange.EndExpired
	// EndClientGone: the client left, or the connection failed, before
	// the response was complete.
	EndClientGone = exchange.EndClientGone
	// EndShutdown: the container's Shutdown expired the request or its
	// Close completed it.
	EndShutdown = exchange.EndShutdown
)

// Result is what a finished request sent, as the container's output saw
// it: whichever task wrote the response, and however the request ended
// (its fields: Status, Bytes, End, Err). Request logs and telemetry read
// it from an OnComplete listener, where the status a dispatch left set may
// not be the one sent (an async task, a timeout listener or an error page
// answered after it).
type Result = exchange.Result

// ResultOf returns the Result of r's request; ok is false for a Request
// that no container built, or before its response is finished: it is
// valid from the OnComplete listeners on. Any goroutine may call it.
func ResultOf(r *api.Request) (Result, bool) {
	ex := exchange.From(r)
	if ex == nil {
		return Result{}, false
	}
	return ex.Result()
}

// OnShutdown says what a container's graceful Shutdown does with a request
// that is suspended while it runs. Close ignores it: it completes every
// request at once. Its String method returns "default", "wait" or
// "expire".
type OnShutdown = exchange.OnShutdown

// The choices of OnShutdown.
const (
	// ShutdownDefault chooses by how the request suspended. Async work
	// (Start) is left to finish, since an answer is on its way: Shutdown
	// waits for it while its context allows. A continuation
	// (continuation.Suspend or Await) only waits for an event that may
	// never come before the server goes (a long poll), so it is expired at
	// once: its timeout path answers, and the client reconnects to another
	// instance.
	ShutdownDefault = exchange.ShutdownDefault
	// ShutdownWait lets the request finish while Shutdown's context
	// allows, however it suspended.
	ShutdownWait = exchange.ShutdownWait
	// ShutdownExpire expires the request as soon as Shutdown begins (or
	// as soon as it suspends during a shutdown), however it suspended.
	ShutdownExpire = exchange.ShutdownExpire
)

// Outcome is how a blocking continuation.Await ended.
type Outcome = exchange.Outcome

// The outcomes of a blocking wait.
const (
	Resumed   = exchange.Resumed   // Resume was called
	Expired   = exchange.Expired   // the timeout fired (or the container expired it)
	Completed = exchange.Completed // Complete was called, or the client went away
	Cancelled = exchange.Cancelled // ctx was done
)

// Discarder is implemented by a Response that can drop its uncommitted
// output itself, keeping the header fields that do not describe the body
// (the container's output, and the Response a task receives, do). Discard
// uses it.
type Discarder = exchange.Discarder

// Discard drops w's uncommitted output as net/http's http.Error and the
// Servlet API's sendError do: the buffered body, the status, the trailers
// and the header fields that describe the body (Content-Type,
// Content-Length, Content-Encoding, ETag, Last-Modified, Trailer and the
// like) are discarded, and every other header field set so far is kept.
// It uses w's Discard method if w is a Discarder; otherwise it calls
// w.Reset and sets the kept fields again. It returns api.ErrCommitted,
// and changes nothing, once the head was sent: a committed response can
// only go on.
//
// A request discards this way before a timeout or an IO failure answers
// (see Listener), so that no response carries the bodies of two outcomes;
// the container does the same before it renders an error.
func Discard(w api.Response) error { return exchange.Discard(w) }
