package timeout

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
)

// Errors of package timeout.
var (
	// ErrTimeout is the cause (context.Cause) of the chain's context being
	// cancelled because the timeout expired, the error of the chain's
	// writes of body bytes from then on (as net/http's TimeoutHandler
	// gives http.ErrHandlerTimeout; once the client left, they fail with
	// why it left), and, in an *api.StatusError of
	// Config.Status, what a request the timeout answers fails with, for
	// the container's error pages (unless Config.Body is set). It is
	// api.ErrShed too (errors.Is): the container logs such a failure at
	// Debug, since under overload timeouts come by the thousand.
	ErrTimeout error = timedOut{}
	// ErrConfig is the panic value of New for a Config.Status the
	// timeout response cannot have; it wraps the reason.
	ErrConfig = errors.New("timeout: invalid configuration")
	// ErrAsync is what a request fails with whose chain below the filter
	// tried to go async (async.Start, a continuation's Suspend, an
	// sse.Broker stream, formdata.ParseAsync), which the chain cannot do
	// (see Restrictions in the package documentation): the request is the
	// filter's, in async mode, and the chain runs on a goroutine of its
	// own, so those calls fail with api.ErrNotSerialized, which the error
	// wraps beside it. Map such handlers outside the filter's pattern.
	ErrAsync = errors.New("timeout: the chain below the timeout filter cannot go async (async.Start, continuations, sse, formdata.ParseAsync); map it outside the filter")
)

type timedOut struct{}

func (timedOut) Error() string { return "timeout: request timed out" }

// Is makes a timeout load shedding (api.ErrShed) as well, whoever tests
// for it: the container's log, a request log, an error page.
func (timedOut) Is(target error) bool { return target == api.ErrShed }

// DefaultTimeout is the timeout used when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config configures the filter. The zero value gives the chain 30 seconds
// and then answers 503 Service Unavailable.
type Config struct {
	// Timeout is how long the chain may run. Zero means DefaultTimeout;
	// negative means no limit, and the filter just calls next.
	Timeout time.Duration
	// Status is the status of the timeout response. Zero means 503.
	// Without a Body it must be an error status, 400-599: the request
	// fails with it, and the container answers any other status in an
	// error with 500. With a Body it must be a final status that has a
	// body (not 1xx, 204 or 304).
	Status int
	// Body, if set, is the text/plain body of the timeout response, which
	// the filter then writes itself. Empty means the request fails with
	// ErrTimeout in an *api.StatusError of Status, answered by the
	// container's error pages as every other failure is (by default
	// "503 Service Unavailable").
	Body string
	// Logger receives a record, at error level, for a panic of the chain
	// that comes after the timeout answered, which no one else sees: the
	// request is over, and the panic is recovered on the filter's
	// goroutine. Its attributes are "panic", "method", "path" and
	// "stack". A panic before the timeout fails the request and is logged
	// by the container as any handler's is; http.ErrAbortHandler is never
	// logged, as net/http does not log it. Nil means slog.Default().
	Logger *slog.Logger
}

type filter struct {
	timeout time.Duration
	status  int
	body    string
	log     *slog.Logger
}

// New returns the timeout filter for cfg. It panics with an error
// wrapping ErrConfig if cfg.Status is one the timeout response cannot
// have (see Config.Status), which would otherwise be answered with
// another status, or without the Body, on every timeout.
//
// Goroutines: call it at setup time; the filter it returns is safe for
// concurrent use, and each call of its Filter method must come from the
// request's serialized task.
func New(cfg Config) api.Filter {
	f := &filter{timeout: cfg.Timeout, status: cfg.Status, body: cfg.Body, log: cmp.Or(cfg.Logger, slog.Default())}
	if f.timeout == 0 {
		f.timeout = DefaultTimeout
	}
	if f.status == 0 {
		f.status = http.StatusServiceUnavailable
	}
	if err := checkStatus(f.status, f.body); err != nil {
		panic(fmt.Errorf("%w: Status %d: %w", ErrConfig, f.status, err))
	}
	return f
}

// checkStatus reports why status cannot answer a timeout with body.
func checkStatus(status int, body string) error {
	switch {
	case body == "" && (status < 400 || status > 599):
		// api.StatusOf takes a StatusError of a status that is not an
		// error for a mistake and answers 500.
		return errors.New("a timeout without a Body fails the request, and only a 4xx or 5xx status is an error")
	case status < 200 || status > 999:
		return errors.New("not a final status")
	case status == http.StatusNoContent || status == http.StatusNotModified:
		return errors.New("the response cannot have the Body")
	}
	return nil
}

// Filter starts async mode, runs next on a new goroutine against a buffer
// and returns; the response is written later by a serialized task (see the
// package documentation). It must be called from the request's serialized
// task (the filter chain does so).
func (f *filter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	if f.timeout < 0 {
		return next.Next(w, r)
	}
	if r.Context().Value(chainKey{}) != nil {
		// In a timeout filter's chain already, on its goroutine (two
		// stacked, a forward with filters back through this one): the
		// request is async, the outer filter's, and cannot be started
		// again. Bound the rest here, as for a request of no container.
		return f.blocking(w, r, next)
	}
	a, err := async.Start(r)
	if errors.Is(err, api.ErrNotSupported) {
		return f.blocking(w, r, next)
	}
	if err != nil {
		return err
	}
	a.SetTimeout(f.timeout)
	ctx, cancel, deadline := f.chainContext(r.Context())
	buf := newBuffer(w)
	t := &run{f: f, a: a, deadline: deadline, cancel: cancel, buf: buf}
	a.AddListener(async.Listener{
		OnTimeout: func(w api.Response, _ *api.Request) { t.expired(w) },
		OnComplete: func(_ *api.Request, err error) {
			// Nobody reads the buffer any more: not after the chain's
			// result was copied, nor once the client left (err says
			// why), which leaves a chain that writes until an error
			// running.
			buf.expire(cmp.Or(err, context.Canceled))
			cancel(context.Canceled)
		},
	})
	cr := r.WithContext(ctx)
	// The chain starts from a task, which runs once this dispatch has
	// returned and the request's timer is armed with f.timeout: started
	// here, its goroutine could set the request's timeout first (a
	// continuation.SetTimeout of the chain's, a long poll's), and the arm
	// would take that for the filter's.
	return a.Dispatch(func(api.Response) { go t.chain(next, cr) })
}

// chain runs next against the buffer on the filter's goroutine, and hands
// its result to a serialized task (deliver).
func (t *run) chain(next api.Chain, cr *api.Request) {
	panicked, err := call(next, t.buf, cr)
	// Dropped (api.ErrCompleted) if the timeout answered first, or the
	// client left, and a panic with it, which is then logged here or
	// never: refused at once, or dropped unrun from the queue, when the
	// task that ends the request was queued before it.
	lost := func(error) {
		if panicked {
			t.f.lostPanic(cr, err)
		}
	}
	if derr := t.a.DispatchOr(func(w api.Response) { t.deliver(w, err, panicked) }, lost); derr != nil {
		lost(derr)
	}
}

// chainContext returns the context of the chain, a child of parent that
// cancel ends (the timeout's answer, the request's end), and the
// filter's deadline, which the context reports (Deadline, or parent's if
// that is earlier), as net/http's TimeoutHandler's does. The
// timer is the request's, not the context's: the context ends when the
// timeout has answered, so that the chain's writes fail from then on and
// its late result is dropped, never before.
func (f *filter) chainContext(parent context.Context) (context.Context, context.CancelCauseFunc, time.Time) {
	ctx, cancel := context.WithCancelCause(parent)
	d := time.Now().Add(f.timeout)
	reported := d
	if pd, ok := parent.Deadline(); ok && pd.Before(d) {
		reported = pd
	}
	return deadlineContext{ctx, reported}, cancel, d
}

// deadlineContext is a context that reports deadline, which whoever
// cancels it keeps. It is a chain's, and says so (chainKey).
type deadlineContext struct {
	context.Context
	deadline time.Time
}

func (c deadlineContext) Deadline() (time.Time, bool) { return c.deadline, true }

// chainKey is the context value that tells a request in a timeout
// filter's chain, whose goroutine is the filter's.
type chainKey struct{}

func (c deadlineContext) Value(key any) any {
	if key == (chainKey{}) {
		return true
	}
	return c.Context.Value(key)
}

// cutShort reports whether err, what the chain returned at now, is its
// giving up at the filter's deadline: the chain failed once it had passed, when what it called ended there (a dial, a query
// given the deadline), an instant before the timeout's task answered.
// The timeout answers it then, as it would have a moment later, rather
// than the container a 500 for that error. An *api.StatusError is a
// status the chain chose, and stands, as a panic does.
func cutShort(now, deadline time.Time, err error) bool {
	if err == nil || now.Before(deadline) {
		return false
	}
	_, chosen := errors.AsType[*api.StatusError](err)
	_, panicked := errors.AsType[*api.PanicError](err)
	return !chosen && !panicked
}

// run is the state of one timed request. Its fields after construction are
// touched only by serialized tasks of the request.
type run struct {
	f        *filter
	a        *async.Context
	deadline time.Time // the filter's, on the chain's context
	cancel   context.CancelCauseFunc
	buf      *buffer // the chain's response
	answered bool    // deliver ran
}

// deliver copies the chain's result into w, or fails the request with the
// chain's error; panicked says err is a panic call recovered. It runs as a
// serialized task.
func (t *run) deliver(w api.Response, err error, panicked bool) {
	if !w.Committed() && cutShort(time.Now(), t.deadline, err) {
		// The deadline came before the timeout's task.
		t.expired(w)
		return
	}
	t.answered = true
	if t.buf.answer(w, err) != nil {
		if panicked {
			// Recovered on the filter's goroutine, the panic was logged by
			// nobody, and the container does not log a *api.PanicError it
			// is handed (whoever recovered it did): raised again in this
			// task, it is logged with the chain's stack and fails the
			// request, as it would without the filter.
			panic(err)
		}
		// Completes the request with err once this task returns; the
		// container renders it.
		_ = t.a.Fail(err)
		return
	}
	_ = t.a.Complete()
}

// expired is the OnTimeout listener: it answers with the timeout response
// unless the chain's result is already being delivered.
func (t *run) expired(w api.Response) {
	if t.answered {
		// The chain failed and its error is queued behind this task:
		// complete without writing so that the error stands.
		_ = t.a.Complete()
		return
	}
	t.buf.expire(ErrTimeout)
	t.cancel(ErrTimeout)
	if w.Committed() {
		return // nothing can be said any more; async fails the request
	}
	if t.f.body == "" {
		// Failed rather than written, so that the error pages answer the
		// timeout in the format of the application's other errors.
		_ = t.a.Fail(t.f.timeoutError())
		return
	}
	t.f.writeTimeout(w)
	_ = t.a.Complete()
}

// timeoutError is what a request the timeout answers fails with.
func (f *filter) timeoutError() error {
	return &api.StatusError{Code: f.status, Err: ErrTimeout}
}

// writeTimeout writes the timeout response of a Config.Body.
func (f *filter) writeTimeout(w api.Response) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Del("Content-Length")
	h.Del("Content-Encoding")
	_ = w.SetStatus(f.status)
	_, _ = w.WriteString(f.body)
}

// call runs the chain, turning a panic into *api.PanicError: the goroutine
// is the filter's, so nobody else would recover it. panicked tells that
// error from one the chain returned (filters/recovery's, logged already).
func call(next api.Chain, w api.Response, r *api.Request) (panicked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked, err = true, &api.PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	err = next.Next(w, r)
	if errors.Is(err, api.ErrNotSerialized) && !errors.Is(err, ErrAsync) {
		// The buffer never says so: the chain asked for the request's
		// serialized tasks (async.Start, a Suspend) from this goroutine,
		// which alone would read as a misuse of the response.
		err = fmt.Errorf("%w: %w", ErrAsync, err)
	}
	return false, err
}

// blocking serves a request that belongs to no exchange: the calling
// goroutine waits for the chain or the timeout and writes the winner.
func (f *filter) blocking(w api.Response, r *api.Request, next api.Chain) error {
	ctx, cancel, deadline := f.chainContext(r.Context())
	defer cancel(context.Canceled)
	buf := newBuffer(w)
	done := make(chan error, 1)
	// Whoever comes first, the chain's end or the timeout, takes the
	// request: a chain that ends after the timeout took it has no one to
	// hand its result to, and logs its panic itself.
	var taken atomic.Bool
	cr := r.WithContext(ctx)
	go func() {
		panicked, err := call(next, buf, cr)
		if !taken.CompareAndSwap(false, true) {
			if panicked {
				f.lostPanic(cr, err)
			}
			return
		}
		done <- err
	}()
	timer := time.NewTimer(f.timeout)
	defer timer.Stop()
	select {
	case <-timer.C:
		if !taken.CompareAndSwap(false, true) {
			// The chain ended at the same instant, first: its result is
			// the answer.
			return f.blockingAnswer(w, buf, deadline, cancel, <-done)
		}
		return f.blockingTimeout(w, buf, cancel)
	case err := <-done:
		return f.blockingAnswer(w, buf, deadline, cancel, err)
	case <-r.Context().Done():
		if !taken.CompareAndSwap(false, true) {
			return buf.answer(w, <-done)
		}
		buf.expire(context.Cause(r.Context()))
		return context.Cause(r.Context())
	}
}

// blockingAnswer answers a blocking request whose chain ended first, with
// err: with what it left in buf, or with the timeout's answer if it gave
// up at the filter's deadline (cutShort).
func (f *filter) blockingAnswer(w api.Response, buf *buffer, deadline time.Time, cancel context.CancelCauseFunc, err error) error {
	if !w.Committed() && cutShort(time.Now(), deadline, err) {
		return f.blockingTimeout(w, buf, cancel)
	}
	return buf.answer(w, err)
}

// blockingTimeout answers the timeout of a blocking request, whose chain's
// buffer is buf and whose context cancel ends.
func (f *filter) blockingTimeout(w api.Response, buf *buffer, cancel context.CancelCauseFunc) error {
	buf.expire(ErrTimeout)
	cancel(ErrTimeout)
	if w.Committed() || f.body == "" {
		return f.timeoutError()
	}
	f.writeTimeout(w)
	return nil
}

// answer hands w what the chain left in b, whose result was err: for an
// error, the fields the chain set before failing (auth's
// WWW-Authenticate, static's Allow), which belong to the error's answer
// as they would without this filter (the error's answer discards the
// body and the fields that describe it, and keeps the others), and err,
// for the caller to fail the request with; else the whole response.
func (b *buffer) answer(w api.Response, err error) error {
	if err != nil {
		b.copyHeaderTo(w)
		return err
	}
	b.copyTo(w)
	return nil
}

// lostPanic logs err, a panic of the chain recovered on the filter's
// goroutine (*api.PanicError) after the request was over (see
// Config.Logger), unless it is http.ErrAbortHandler.
func (f *filter) lostPanic(r *api.Request, err error) {
	pe, ok := errors.AsType[*api.PanicError](err)
	if !ok || pe.Value == http.ErrAbortHandler {
		return
	}
	f.log.Error("timeout: panic in the chain after the timeout answered",
		"panic", pe.Value, "method", r.Method(), "path", r.Path(), "stack", string(pe.Stack))
}

// buffer is the in-memory Response the chain writes to. It belongs to the
// chain's goroutine until the chain returns, then to the task that copies it.
type buffer struct {
	header  http.Header
	trailer http.Header
	status  int
	body    bytes.Buffer
	// expired is set, by whoever answered the timeout or saw the client
	// leave, once nobody will read the body any more: a chain that goes
	// on writing (a loop that stops at the first write error, as
	// net/http's TimeoutHandler lets one stop) is told so, instead of
	// filling memory no one reads until it returns. It holds the error
	// the writes fail with.
	expired atomic.Pointer[error]
}

// expire refuses the chain's writes from now on with err, unless they
// were refused already.
func (b *buffer) expire(err error) { b.expired.CompareAndSwap(nil, &err) }

var _ api.Response = (*buffer)(nil)

// newBuffer starts from w's fields and status: a status set before the
// filter ran (a handler's 404 for the page it forwards to) is the chain's
// to see and keep, as the fields are; copyTo sets the buffer's status on
// w, which would otherwise turn it into a 200.
func newBuffer(w api.Response) *buffer {
	return &buffer{header: w.Header().Clone(), status: w.Status()}
}

func (b *buffer) Header() http.Header { return b.header }

func (b *buffer) Status() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}

// SetStatus refuses what the container's Response refuses (an interim
// 1xx, or no status code at all), so that the chain hears of it here
// rather than the copy dropping it.
func (b *buffer) SetStatus(code int) error {
	if code < 200 || code > 999 {
		return &api.StatusError{Code: http.StatusInternalServerError,
			Err: fmt.Errorf("timeout: status %d refused: not a final status (interim responses are not supported)", code)}
	}
	b.status = code
	return nil
}

func (b *buffer) Write(p []byte) (int, error) {
	if err := b.refused(len(p)); err != nil {
		return 0, err
	}
	return b.body.Write(p)
}

func (b *buffer) WriteString(s string) (int, error) {
	if err := b.refused(len(s)); err != nil {
		return 0, err
	}
	return b.body.WriteString(s)
}

// refused returns the error the container's Response gives a write of n
// body bytes, which the copy would otherwise lose without a word: a body
// on a 204 or a 304 (http.ErrBodyNotAllowed), or one past the
// Content-Length set (http.ErrContentLength); ErrTimeout once the timeout
// answered, why the client left once it did; nil when the write may go.
func (b *buffer) refused(n int) error {
	if n == 0 {
		return nil
	}
	if err := b.expired.Load(); err != nil {
		return *err
	}
	if b.status == http.StatusNoContent || b.status == http.StatusNotModified {
		return fmt.Errorf("timeout: writing a body on a %d response: %w", b.status, http.ErrBodyNotAllowed)
	}
	if v := b.header.Get("Content-Length"); v != "" {
		if declared, err := strconv.ParseInt(v, 10, 64); err == nil && declared >= 0 && int64(b.body.Len()+n) > declared {
			return fmt.Errorf("timeout: writing more than the declared Content-Length, %d: %w", declared, http.ErrContentLength)
		}
	}
	return nil
}

// Flush does nothing: the body is sent when the chain returns.
func (b *buffer) Flush() error { return nil }

// Committed is always false: nothing is sent before the chain returns.
func (b *buffer) Committed() bool { return false }

func (b *buffer) Reset() error {
	b.status = 0
	clear(b.header)
	b.body.Reset()
	return nil
}

func (b *buffer) Trailer() http.Header {
	if b.trailer == nil {
		b.trailer = make(http.Header)
	}
	return b.trailer
}

// copyTo writes the buffered response into w.
func (b *buffer) copyTo(w api.Response) {
	if b.copyHeaderTo(w) {
		_ = w.SetStatus(b.Status())
	}
	if len(b.trailer) > 0 {
		maps.Copy(w.Trailer(), b.trailer)
	}
	if b.body.Len() > 0 {
		_, _ = w.Write(b.body.Bytes())
	}
}

// copyHeaderTo replaces w's header with the buffered one, unless w's head
// was sent, and reports whether it did. The buffer's header started as a
// copy of w's, so replacing w's header applies exactly the chain's
// changes.
func (b *buffer) copyHeaderTo(w api.Response) bool {
	if w.Committed() {
		return false
	}
	h := w.Header()
	clear(h)
	maps.Copy(h, b.header)
	return true
}
