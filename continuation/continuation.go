package continuation

import (
	"context"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/internal/exchange"
)

// Continuation is the suspend/resume handle of one request. It is a small
// value that may be copied and handed to any goroutine.
//
// Goroutines: Suspend and Await are for the request's running dispatch;
// SetTimeout, Resume, Complete and the Is methods may be called from
// anywhere.
type Continuation struct {
	ex *exchange.Exchange
	r  *api.Request
}

// Of returns the continuation of r. For a Request that no container built,
// the continuation's methods return api.ErrNotSupported.
func Of(r *api.Request) Continuation {
	return Continuation{ex: exchange.From(r), r: r}
}

// Listener receives the continuation's lifecycle events. It is
// async.Listener: one type for both APIs, and a value of it may be given to
// either. Its fields, which go doc does not show through the alias, are
//
//	OnTimeout  func(w api.Response, r *api.Request)
//	OnError    func(w api.Response, r *api.Request, err error)
//	OnComplete func(r *api.Request, err error)
//
// and any of them may be nil.
//
//   - OnTimeout runs serialized when the suspended request expires, before
//     the expired re-dispatch, and may write the response and Complete
//     instead (the re-dispatch then does not happen), or Resume (the
//     re-dispatch is then a resumed one, with Resume's attributes). The
//     continuation of the Request it is given reports IsExpired, and
//     neither IsInitial nor IsResumed, as Jetty's does in onTimeout.
//   - OnError runs serialized when the request fails while it is
//     suspended because its client went away: an HTTP/1.1 connection
//     closed, an HTTP/2 stream reset (err wraps connector.ErrClientGone).
//     The epoll connector, HTTP/2 and a net/http server driving the
//     container as an http.Handler (HTTP/3 among them: it ends the
//     request's context) notice this; on the portable HTTP/1.1
//     connector, which cannot, the request expires through its timeout
//     instead. The output not yet committed is discarded first; the
//     listener may write, but whatever it does, the request then completes
//     with err (no re-dispatch follows; OnComplete gets the same err), and
//     a blocked Await returns Completed. It runs once per request, for
//     the first failure: a later one runs no listener.
//   - OnComplete runs once, after the response is finished, with the error
//     the request ended with (nil on success).
type Listener = async.Listener

// Event is how a blocking Await ended.
type Event = async.Outcome

// The outcomes of Await.
const (
	Resumed   = async.Resumed
	Expired   = async.Expired
	Completed = async.Completed
	Cancelled = async.Cancelled
)

// SetTimeout sets how long Suspend waits before the request expires; d <= 0
// means forever, as in Jetty, so a wait computed from a deadline
// (time.Until) that may have passed must be kept above zero, or
// answered at once. Any goroutine may call it:
//
//   - before the handler that suspends returns, it applies to this
//     suspension and later ones, and counts from that return;
//   - while the request waits (that handler returned, and no Resume,
//     timeout or Complete has ended the wait), it restarts the wait: the
//     request now expires d after the call (d <= 0: only Resume or
//     Complete ends it), and later suspensions wait d too; this only for
//     a wait Suspend or Await began, not async mode's (async.Start, as
//     filters/timeout's, whose chain runs while the request waits), which
//     keeps its own timeout and leaves d to later suspensions;
//   - once the wait has ended, it applies to later suspensions only.
//
// This is async.Context.SetTimeout's rule, on the same engine. The request
// expires within a millisecond after d, never before (the timeout is kept
// in a timer wheel of millisecond ticks).
func (c Continuation) SetTimeout(d time.Duration) {
	if c.ex != nil {
		c.ex.SetTimeoutOf(exchange.ModeContinuation, d)
	}
}

// SetOnShutdown chooses what a container's graceful Shutdown does with the
// request while it is suspended. By default a continuation, which waits
// for an event, is expired at once so that its client can reconnect to an
// instance that stays; async.ShutdownWait keeps it waiting while
// Shutdown's context allows (for a wait that is really work in flight).
// Any goroutine may call it.
func (c Continuation) SetOnShutdown(p async.OnShutdown) {
	if c.ex != nil {
		c.ex.SetOnShutdown(p)
	}
}

// Suspend suspends the request: when the handler returns, the response stays
// open and the request waits for Resume, Complete or the timeout. It must be
// called from the running dispatch. A request whose connection was taken
// over (Hijack, Tunnel) ends when the handler returns, as after Complete:
// Suspend then returns api.ErrWrongState.
//
// Suspend first, then make c reachable (register it where the goroutine
// that resumes it finds it), then return:
//
//	if err := c.Suspend(); err != nil {
//		return err
//	}
//	room.wait(c) // a Resume from now on re-dispatches, even before we return
//	return nil
//
// The other order, register and then return c.Suspend(), loses wake-ups: a
// Resume that lands between the two lines finds the request not suspended,
// is refused with api.ErrNotSuspended, and the request then waits out its
// whole timeout. A Resume after Suspend is never refused for being early:
// it is held until the handler returns. SuspendThen does both steps in this
// order in one call. A handler that suspended and then returns an error
// (or panics) fails the request, answered 500, as one that did not
// suspend: a Resume it already accepted re-dispatches nothing, and a later
// one returns api.ErrCompleted.
//
// A second Suspend in the same dispatch keeps the suspension; once a
// Resume or the timeout has ended it (the re-dispatch is on its way), it
// returns api.ErrWrongState, as Await does, and as Jetty refuses a
// suspend after a resume in one dispatch.
func (c Continuation) Suspend() error {
	if c.ex == nil {
		return api.ErrNotSupported
	}
	return c.ex.Suspend(exchange.ModeContinuation)
}

// SuspendThen suspends the request and then calls register(c) on the
// calling goroutine. register is where c becomes reachable by the
// goroutines that resume it (a list of waiters, a channel, a
// subscription); as it runs
// after Suspend, a Resume from them is never early, even one made before
// the handler returns (or by register itself, when it finds the awaited
// event already there). It is Suspend's race-free order as one expression:
//
//	return c.SuspendThen(room.wait)
//
// If Suspend fails (a Request no container built, a call off the running
// dispatch, a request already completed), register is not called and
// SuspendThen returns Suspend's error.
func (c Continuation) SuspendThen(register func(Continuation)) error {
	if err := c.Suspend(); err != nil {
		return err
	}
	register(c)
	return nil
}

// Resume re-dispatches the suspended request through its filter chain, with
// attrs added to the new Request, once the suspending handler has returned.
// It returns api.ErrNotSuspended if the request is not suspended (not yet:
// see Suspend on the order that rules this out) or the timeout won, and
// api.ErrCompleted if the request already completed or is failing (its
// client left: see Listener's OnError); in both cases nothing happens. While the timeout's OnTimeout listeners run (see Listener), one
// Resume, from a listener or any goroutine, is taken in place of the
// expired re-dispatch.
func (c Continuation) Resume(attrs ...api.Attr) error {
	if c.ex == nil {
		return api.ErrNotSupported
	}
	return c.ex.Resume(attrs...)
}

// Complete completes the request as its response stands, without another
// dispatch; called from the running handler, the response is finished when
// the handler returns. It returns api.ErrCompleted if the request had
// already completed or been completed: a second Complete is refused
// wherever it is made, in the handler that made the first too (as Jetty's
// AsyncContext.complete() twice is an IllegalStateException), and changes
// nothing of what the first did. async.Context.Complete is the same.
func (c Continuation) Complete() error {
	if c.ex == nil {
		return api.ErrNotSupported
	}
	return c.ex.Complete()
}

// Await suspends the request and blocks in place until Resume (it returns
// Resumed and the attributes given to Resume), the timeout (Expired),
// Complete or a client failure (Completed), or ctx's end (Cancelled). The
// goroutine is held for the whole wait: this is the portable fallback, not
// the scalable path. An Await that expires runs no OnTimeout listener:
// the dispatch that called it is told (Expired) and answers the timeout
// itself. (OnError and OnComplete run as for Suspend.) After a Suspend in
// the same dispatch that a Resume or the timeout has decided already, it
// returns api.ErrWrongState at once: nothing would wake it.
//
// A NonBlocking handler must not Await: the epoll connector runs it on
// the goroutine that polls the connections (and their timers), which the
// wait would stop, so no timeout and no request that would Resume it could
// come. There, Await returns at once, without suspending, an error that is
// api.ErrWouldBlock; a NonBlocking handler Suspends and returns instead.
//
// Completed comes with api.ErrCompleted, and Cancelled with ctx.Err(). A
// handler may return either as it is: a completed request has nothing
// left to answer, and a cancellation of the request's own context (its
// client left) ends it quietly; a cancellation of a context of the
// handler's own (a deadline it set) is a failure like any other, answered
// 500 unless the handler answers the wait's end itself.
func (c Continuation) Await(ctx context.Context) (Event, []api.Attr, error) {
	if c.ex == nil {
		return 0, nil, api.ErrNotSupported
	}
	return c.ex.Await(ctx)
}

// AddListener registers l for this request.
func (c Continuation) AddListener(l Listener) {
	if c.ex == nil {
		return
	}
	c.ex.AddListener(l)
}

// IsInitial reports whether the Request is the first dispatch.
func (c Continuation) IsInitial() bool { return async.KindOf(c.r) == async.DispatchInitial }

// IsResumed reports whether the Request is a re-dispatch after Resume.
func (c Continuation) IsResumed() bool { return async.KindOf(c.r) == async.DispatchResumed }

// IsExpired reports whether the Request is a re-dispatch after the timeout.
func (c Continuation) IsExpired() bool { return async.KindOf(c.r) == async.DispatchExpired }

// IsSuspended reports whether the request is suspended now, waiting for an
// outcome: not once it is failing (its client left: see Listener's
// OnError), when a Resume would be refused.
func (c Continuation) IsSuspended() bool { return c.ex != nil && c.ex.Suspended() }
