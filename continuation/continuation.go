package continuation

import (
	"context"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
)

// Continuation is the suspend/resume handle of one request. It is a small
// value that may be copied and handed to any goroutine.
//
// Goroutines: Suspend, Await and SetTimeout are for the request's running
// dispatch; Resume, Complete and the Is methods may be called from anywhere.
type Continuation struct {
	ex *async.Exchange
	r  *api.Request
}

// Of returns the continuation of r. For a Request that no container built,
// the continuation's methods return api.ErrNotSupported.
func Of(r *api.Request) Continuation {
	return Continuation{ex: async.From(r), r: r}
}

// Listener receives the continuation's lifecycle events; any field may be
// nil. OnTimeout runs serialized before the expired re-dispatch, and may
// write the response and Complete instead. OnComplete runs once, after the
// response is finished.
type Listener struct {
	OnTimeout  func(w api.Response, r *api.Request)
	OnComplete func(r *api.Request, err error)
}

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
// means forever. It applies to this and later suspensions of the request.
func (c Continuation) SetTimeout(d time.Duration) {
	if c.ex != nil {
		c.ex.SetTimeout(d)
	}
}

// Suspend suspends the request: when the handler returns, the response stays
// open and the request waits for Resume, Complete or the timeout. It must be
// called from the running dispatch.
func (c Continuation) Suspend() error {
	if c.ex == nil {
		return api.ErrNotSupported
	}
	return c.ex.Suspend(async.ModeContinuation)
}

// Resume re-dispatches the suspended request through its filter chain, with
// attrs added to the new Request, once the suspending handler has returned.
// It returns api.ErrNotSuspended if the request is not suspended or the
// timeout won, and api.ErrCompleted if the request already completed; in both
// cases nothing happens.
func (c Continuation) Resume(attrs ...api.Attr) error {
	if c.ex == nil {
		return api.ErrNotSupported
	}
	return c.ex.Resume(attrs...)
}

// Complete completes the request as its response stands, without another
// dispatch. It returns api.ErrCompleted if it had already completed.
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
// the scalable path.
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
	c.ex.AddListener(async.Listener{OnTimeout: l.OnTimeout, OnComplete: l.OnComplete})
}

// IsInitial reports whether the Request is the first dispatch.
func (c Continuation) IsInitial() bool { return async.KindOf(c.r) == async.DispatchInitial }

// IsResumed reports whether the Request is a re-dispatch after Resume.
func (c Continuation) IsResumed() bool { return async.KindOf(c.r) == async.DispatchResumed }

// IsExpired reports whether the Request is a re-dispatch after the timeout.
func (c Continuation) IsExpired() bool { return async.KindOf(c.r) == async.DispatchExpired }

// IsSuspended reports whether the request is suspended now, waiting for an
// outcome.
func (c Continuation) IsSuspended() bool { return c.ex != nil && c.ex.Suspended() }
