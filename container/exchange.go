package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/dispatcher"
	engine "github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/timerwheel"
)

// exchange is the container's per-request state: the stream, the buffered
// output, the mapped chain and the async state machine. It is the
// api.Exchange its requests return; async and continuation reach the
// engine through engine.Holder, dispatcher.Forward the context through
// Resolver (and how to read a target through AmbiguousPaths).
type exchange struct {
	ctxt  *Context // never nil once prepared; its Container (ctxt.c) is the exchange's
	chain api.Handler
	out   output          // holds the connector's Stream (out.s)
	ax    engine.Exchange // embedded: one allocation for both
	ctx   requestContext
	req   api.RequestStorage // the initial request: one allocation with the rest

	live links[exchange] // in the container's live set

	inv api.InvocationType // of chain: NonBlocking if its handler and every filter are
	// The handler limit's (limit.go), beside inv to share its word.
	limited bool          // counted against WithMaxHandlers; set by prepare
	entered bool          // counted live; by the goroutine that starts it, until countOut
	holds   bool          // holds a place, to give back when its first dispatch returns
	lim     atomic.Uint32 // its standing with the limiter: limNew...
	wait    *waiter       // its place in the limiter's queue, or its drops; under the limiter's mu
}

var (
	_ engine.Channel   = (*exchange)(nil)
	_ engine.Holder    = (*exchange)(nil)
	_ engine.Completer = (*exchange)(nil)
	_ engine.Hijacked  = (*exchange)(nil)
)

var _ connector.Prepared = (*exchange)(nil)

// A client hanging up while its handler runs ends the request's context.
var _ connector.HangupWatcher = (*exchange)(nil)

// InvocationType implements connector.Prepared: whether the mapped chain
// may block.
func (x *exchange) InvocationType() api.InvocationType { return x.inv }

// Start implements connector.Prepared: the request is counted live and its
// initial dispatch runs on the calling goroutine, unless it must wait for
// a place under WithMaxHandlers (see limit.go): then Start returns at once
// and the request is started later on the executor.
func (x *exchange) Start() {
	if !x.entered && !x.enter() {
		return // it waits, holding no goroutine
	}
	x.begin()
}

var (
	_ api.Exchange       = (*exchange)(nil)
	_ dispatcher.Yielder = (*exchange)(nil)
)

// Request implements api.Exchange: the request of the initial dispatch.
func (x *exchange) Request() *api.Request { return x.ax.Request() }

// Completed implements engine.Completer: the request, its listeners
// included, is done.
func (x *exchange) Completed() { x.ctxt.c.completed(x) }

func (x *exchange) AsyncExchange() *engine.Exchange { return &x.ax }

// ListenedBody is the optional interface of an api.Exchange that
// Request.Body asks: the body a ReadListener reads, which a blocking read
// must leave alone (nil while none does).
func (x *exchange) ListenedBody() io.Reader { return x.ax.ListenedBody() }

// Hijacked implements engine.Hijacked: the connection is the handler's
// now, as on net/http's server, which stops tracking a hijacked
// connection. The request no longer counts in Stats, Shutdown no longer
// waits for it and Close no longer completes it, though its handler may
// run on for long with the connection (a WebSocket library's read loop):
// a deploy would otherwise wait out its whole Shutdown for it.
//
// The request ends once the task that hijacked returns, as after
// Complete (see engine's Hijack): a Suspend after the Hijack is refused
// with api.ErrWrongState, and one before it waits for nothing, since
// neither Shutdown nor Close would end it.
//
// Not once Shutdown has begun: the handler may yet join it with the
// connection (TrackTakenOver, as package websocket does once its upgrade
// returns), which Shutdown waits for only if it saw the request live
// until then. Such a request counts until its handler returns, as
// before the Hijack.
func (x *exchange) Hijacked() {
	c := x.ctxt.c
	if c.shutting.Load() {
		return
	}
	c.hijacking.Add(1)
	c.countOut(x)
}

var (
	_ engine.Timers       = (*exchange)(nil)
	_ engine.InlineRunner = (*exchange)(nil)
)

// RunInline implements engine.InlineRunner: the timeout of a request
// whose chain never blocks (api.NonBlocking) runs where it fired, when the
// stream can run it there (the epoll connector's producer).
func (x *exchange) RunInline(w interface{ Run() }) bool {
	if x.inv != api.NonBlocking {
		return false
	}
	if r, ok := x.out.s.(engine.InlineRunner); ok {
		return r.RunInline(w)
	}
	return false
}

// TimerWheel implements engine.Timers: the wheel of the selector polling
// the request's connection, if its stream has one.
func (x *exchange) TimerWheel() *timerwheel.Wheel {
	if t, ok := x.out.s.(engine.Timers); ok {
		return t.TimerWheel()
	}
	return nil
}

// Yield implements dispatcher.Yielder for the engine by passing it to the
// stream, if the stream has a no-park rule to lift.
func (x *exchange) Yield() bool {
	if y, ok := x.out.s.(dispatcher.Yielder); ok {
		return y.Yield()
	}
	return false
}

// NoPark implements dispatcher.NoParker for the engine by asking the
// stream, if it has a no-park rule.
func (x *exchange) NoPark() bool {
	if np, ok := x.out.s.(dispatcher.NoParker); ok {
		return np.NoPark()
	}
	return false
}

// ClientGone implements connector.Watcher: the client of a suspended
// request went away, so the request fails (OnError listeners, then
// completion) instead of waiting for its timeout. A connector that can
// tell (HTTP/2's RST_STREAM) also calls it while a handler runs: the
// failure waits for the handler to return, and the request's context
// ends now, as api.Request.Context promises, so that the handler's work
// bound to it stops rather than run to its end for nobody.
func (x *exchange) ClientGone(err error) {
	if x.clientLeft() {
		return // it had not started: it ends without running
	}
	x.ctx.cancel()
	_ = x.ax.Fail(err)
}

// deadlinePassed is told that the request's net/http context ended on a
// deadline that middleware around the container set (httpStream.Watch):
// the client is still there, so a suspended request fails with err,
// answered; a running handler answers as it will, its context left to it
// (and a request that suspends after that deadline waits for its own
// timeout).
func (x *exchange) deadlinePassed(err error) {
	_ = x.ax.FailSuspended(err) // a Resume that came first keeps its answer
}

// Hangup implements connector.HangupWatcher: an HTTP/1.1 client closed
// the connection while the handler runs. The request's context ends, as
// on net/http's server, so that work bound to it stops; the request is
// not failed, since a client that only half-closed still reads the
// answer, and a write to one gone fails the handler's write. The
// conversion allocates nothing.
func (x *exchange) Hangup() connector.Watcher { return (*hangup)(x) }

// hangup is the exchange as the watcher of its running handler's
// connection (Hangup).
type hangup exchange

func (h *hangup) ClientGone(error) { h.ctx.cancel() }

// Resolver lets dispatcher.Forward map paths in the request's context.
func (x *exchange) Resolver() dispatcher.Resolver { return x.ctxt }

// AmbiguousPaths tells dispatcher.Forward to read a target as the container
// reads a request's path: with WithAmbiguousPaths, an escaped '/', '\' or
// dot segment is decoded and cleaned rather than refused.
func (x *exchange) AmbiguousPaths() bool { return x.ctxt.c.cfg.ambiguous }

// Dispatch implements engine.Channel.
func (x *exchange) Dispatch(w api.Response, r *api.Request) error {
	if l, ok := x.chain.(*link); ok {
		l.passed.Store(nil) // an earlier dispatch's
	}
	return x.chain.Serve(w, r)
}

var _ engine.LogRequester = (*exchange)(nil)

// LogRequest implements engine.LogRequester: failures are logged with the
// request the filters last passed on in the latest dispatch (see link):
// its context carries what they put there (filters/telemetry's span, for
// a handler that reads trace IDs from the context), and its RemoteAddr is
// the client's as they established it (filters/forwarded's, behind a
// proxy), where the request the container built has the connection's.
// The request the failing code was given is that one, or one it was
// derived from, whose values it holds too.
func (x *exchange) LogRequest() *api.Request {
	if l, ok := x.chain.(*link); ok {
		if r := l.passed.Load(); r != nil {
			return r
		}
	}
	return x.ax.Request()
}

type errorKey struct{}

// ErrorOf returns the error an error page is rendering, or nil. The
// page's Response holds the header fields set before the error, less
// those that described the discarded body (see api.Handler) and with
// Cache-Control: no-store for a caching policy set (see the package
// documentation); the page may delete or replace what it does not want.
func ErrorOf(r *api.Request) error {
	err, _ := r.Attribute(errorKey{}).(error)
	return err
}

// Finish implements engine.Channel: it ends the response, rendering err
// through the error pages when there is one, and reports how it ended.
// Before an error is rendered, the uncommitted output is discarded by the
// rule ErrorOf's documentation gives (the body goes with the header fields
// describing it, the others stay: see async.Discard), and again if the
// error page fails.
func (x *exchange) Finish(w api.Response, err error) async.End {
	defer x.ctx.cancel()
	if err != nil && errors.Is(err, context.Canceled) && x.ctx.Err() != nil {
		// The handler gave up on the request's context, which ended
		// before the response did (its client left, see ClientGone, or
		// Close): what the cancelled work returned is the client gone,
		// not a failure of the server's to log and render for nobody.
		err = connector.ErrClientGone
	}
	x.finish(w, err)
	return x.out.end(err)
}

// Sent implements engine.Channel: what the finished response handed to
// the connection.
func (x *exchange) Sent() (status int, bytes int64) { return x.out.result() }

// finish is Finish without the report.
func (x *exchange) finish(w api.Response, err error) {
	o := &x.out
	if o.hijacked {
		return
	}
	if err != nil && errors.Is(err, api.ErrHijacked) {
		return
	}
	if err == nil {
		o.finish()
		return
	}
	x.fail(w, err)
}

// fail is finish for a request that ended in err: it answers through the
// error pages, or aborts the stream. It is apart from finish so that the
// frame of the error path (formatting, logging, the page's recovery) is
// not on the stack of every response: a blocking request runs on a
// goroutine whose stack starts small, and a deeper stack on the way to the
// write means one more copy of it per request.
func (x *exchange) fail(w api.Response, err error) {
	o := &x.out
	if errors.Is(err, http.ErrAbortHandler) || errors.Is(err, connector.ErrClientGone) || o.clientTooSlow(err) {
		x.out.s.Abort(err) // nobody to answer, nothing to log
		return
	}
	status := api.StatusOf(err)
	r := x.ax.Request()
	if o.committed {
		if status >= 500 {
			x.logFailure(r, status, err)
		}
		x.out.s.Abort(err)
		return
	}
	o.discard()
	uncache(o.header)
	o.status = uint16(status) // api.StatusOf's: 400 to 599
	page := x.ctxt.errorPageFor(err, status)
	if page == nil {
		if status >= 500 {
			x.logFailure(r, status, err)
		}
	} else {
		perr := x.renderPage(page, w, r, status, err)
		if perr == nil {
			// Logged once the page answered, with the status it
			// answered: a page that maps an error of the program's to
			// a 404 or a 429 answers a client's mistake, which is
			// not logged, and one that answers 503 must not be
			// logged as 500. A page whose status is no error (a
			// redirect, or a file page that answered the request's
			// Range or preconditions with a 206 or a 304) did not
			// say what the failure was: it keeps its own status.
			final := o.Status()
			if final < 400 {
				final = status
			}
			if final >= 500 {
				x.logFailure(r, final, err)
			}
			o.finish()
			return
		}
		x.pageFailed(r, status, err, perr)
		return
	}
	x.plain(status, err)
}

// pageFailed answers err, whose error page failed with perr, with the
// plain text of its status, or aborts the stream if the page committed
// the response.
func (x *exchange) pageFailed(r *api.Request, status int, err, perr error) {
	o := &x.out
	if status >= 500 {
		x.logFailure(r, status, err)
	}
	lr := x.LogRequest()
	args := []any{"path", r.Path(), "remote", lr.RemoteAddr(), "err", perr}
	var pe *api.PanicError
	if errors.As(perr, &pe) {
		args = append(args, "stack", string(pe.Stack))
	}
	x.ctxt.c.cfg.logger.ErrorContext(lr.Context(), "wharf: error page failed", args...)
	if o.committed {
		x.out.s.Abort(perr)
		return
	}
	o.discard()
	uncache(o.header)
	o.status = uint16(status)
	x.plain(status, err)
}

// plain answers err with a short text of its status.
func (x *exchange) plain(status int, err error) {
	o := &x.out
	o.Header().Set("Content-Type", "text/plain; charset=utf-8")
	o.Header().Set("X-Content-Type-Options", "nosniff")
	msg := fmt.Sprintf("%d %s\n", status, http.StatusText(status))
	var se *api.StatusError
	if status < 500 && errors.As(err, &se) && se.Err != nil {
		msg = fmt.Sprintf("%d %s: %v\n", status, http.StatusText(status), se.Err)
	}
	o.WriteString(msg)
	o.finish()
}

// uncache keeps an error's answer from being stored under the caching
// policy the failed response had set: a max-age meant for its success
// would let a cache serve the error in its place. Where a policy was set,
// the answer says no-store (as Jetty's error handler does), since deleting
// it would drop a filter's no-store too and leave a 404 heuristically
// cacheable; where none was, nothing is added, as with net/http's Error.
// An error page may set its own.
func uncache(h http.Header) {
	_, cc := h["Cache-Control"]
	_, exp := h["Expires"]
	if !cc && !exp {
		return
	}
	delete(h, "Expires")
	h.Set("Cache-Control", "no-store")
}

// logFailure logs a request that failed with a 5xx status, with r's
// method and path (the client's request) and the failing request's
// client and context (LogRequest). The policy
// (documented on WithLogger): a status the handler chose — an
// api.StatusError in err's chain — is its decision, logged at Warn; any
// other error, answered 500, is a failure, logged at Error; a panic was
// logged at Error with its stack already. A request shed under load
// (api.ErrShed) or sent away by a shutdown (api.ErrShutdown once the
// container's Shutdown or Close began: a suspended request a Shutdown
// expired, a handler's answer while the container shuts down) is logged
// at Debug, whatever its status: a line per refusal at Warn would flood
// the log in the very overload the refusals are for, and on every deploy
// with a suspended request per client. An api.ErrShutdown before then is
// no deploy's (a session store the program closed while it serves on
// answers every request 503 with it): logged at Warn, as before a
// shutdown it is a status the handler chose.
func (x *exchange) logFailure(r *api.Request, status int, err error) {
	var pe *api.PanicError
	if errors.As(err, &pe) {
		return
	}
	level := slog.LevelError
	var se *api.StatusError
	switch {
	case errors.Is(err, api.ErrShed):
		level = slog.LevelDebug
	case errors.Is(err, api.ErrShutdown):
		level = slog.LevelWarn
		if x.ctxt.c.shutting.Load() {
			level = slog.LevelDebug
		}
	case errors.As(err, &se) && se.Code == status:
		level = slog.LevelWarn
	}
	lr := x.LogRequest()
	x.ctxt.c.cfg.logger.Log(lr.Context(), level, "wharf: request failed", "method", r.Method(), "path", r.Path(), "remote", lr.RemoteAddr(), "status", status, "err", err)
}

// pageRequest is the request an error page is given: the failed one, with
// its error (ErrorOf), without its Range and preconditions
// (api.Header.WithoutConditions): they ask for a part or a condition of
// the representation whose answer failed, and a page that serves a file
// would answer them, with a 206 of a few bytes of the page or a 304 with
// none in place of the error. Servlet containers drop them for an error
// dispatch too. A page that reads (api.ReadOnlyHandler: a file handler)
// is given the request as a GET, as a forward from a page gives its
// target (errorTarget): the failure of a POST is no 405 of the page's.
func pageRequest(r *api.Request, err error, page api.Handler) *api.Request {
	r = r.WithAttribute(errorKey{}, err)
	if _, ok := page.(api.ReadOnlyHandler); ok {
		r = errorTarget(r)
	}
	h := r.Header().WithoutConditions()
	if h.Len() == r.Header().Len() { // none of them: the same Header
		return r
	}
	return r.WithHeader(h)
}

// renderPage runs an error page handler on err, recovering its panics. A
// page that ends its goroutine with runtime.Goexit (t.FailNow in a page
// under test), which no recover stops, fails as one that panicked, and its
// failure is answered here (pageFailed), as the goroutine unwinds: nobody
// would answer it otherwise. The engine's finish, unwinding next, settles
// the request.
//
// The Goexit is told here, not where servePage recovers: a page whose
// deferred cleanup panics as the Goexit unwinds it has that panic
// recovered there, and then the Goexit goes on, past servePage's caller,
// which no statement after servePage's call sees.
func (x *exchange) renderPage(page api.Handler, w api.Response, r *api.Request, status int, err error) (perr error) {
	returned := false
	defer func() {
		if !returned {
			x.pageFailed(r, status, err, &api.PanicError{Value: "runtime.Goexit in an error page", Stack: debug.Stack()})
		}
	}()
	perr = servePage(page, w, pageRequest(r, err, page))
	returned = true
	return perr
}

// servePage runs an error page handler, recovering its panics.
func servePage(page api.Handler, w api.Response, r *api.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &api.PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return engine.NilFree(page.Serve(w, r)) // a nil *api.StatusError, say: see NilFree
}

// completeByShutdown completes x's request for the container's Close; its
// async.Result ends async.EndShutdown unless it had completed already.
func (x *exchange) completeByShutdown() {
	waiting := x.unqueueForClose()
	_ = x.ax.CompleteAs(async.EndShutdown)
	if waiting {
		// Completed before it started: it finishes without running, as a
		// suspended request does.
		x.ctxt.c.execute(x.begin)
	}
}
