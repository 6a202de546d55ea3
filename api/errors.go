package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors reported by the Wharf model. Callers test for them with
// errors.Is; packages wrap them with %w to add context.
var (
	// ErrNotSerialized is returned by a Response handle used outside the
	// serialized task it was given to (for example from a goroutine the handler
	// started, or after the handler returned). Nothing is written.
	ErrNotSerialized = errors.New("wharf: response used outside its serialized task")

	// ErrCompleted is returned when an operation needs a live request but the
	// request has already completed: a Resume after completion, a task
	// submitted after Complete, a write after the response was finished.
	ErrCompleted = errors.New("wharf: request already completed")

	// ErrCommitted is returned by operations that need an uncommitted response
	// (Reset, changing the status) after the head was sent.
	ErrCommitted = errors.New("wharf: response already committed")

	// ErrHijacked is returned by Response methods once the connection has been
	// taken over with Hijack.
	ErrHijacked = errors.New("wharf: connection has been hijacked")

	// ErrNotSupported is returned when a capability (Hijack, trailers, ...) is
	// not available on the connection that carries the request. A Request
	// that no container built (NewRequest in a unit test, a zero
	// continuation.Continuation) has no connection at all: async.Start,
	// async.OnComplete and a continuation's Suspend, Resume and Complete
	// return it too.
	ErrNotSupported = errors.New("wharf: not supported on this connection")

	// ErrBodyTooLarge is returned by a request body read that would exceed the
	// configured maximum body size. The container answers 413.
	ErrBodyTooLarge = errors.New("wharf: request body too large")

	// ErrNotSuspended is returned by Resume on a continuation that was never
	// suspended, or whose suspension already ended (resumed or expired).
	ErrNotSuspended = errors.New("wharf: continuation not suspended")

	// ErrAsyncTimeout is the error a request completes with when its async or
	// continuation timeout expired and no listener produced a response. The
	// container answers it with 500 through the error pages, which may map it
	// to something else (e.g. 504). When a Shutdown expired the request, the
	// error is also ErrShutdown (errors.Is), and answered 503.
	ErrAsyncTimeout = errors.New("wharf: async timeout")

	// ErrWrongState is returned when an operation is not valid in the
	// request's current lifecycle state, such as Suspend outside a dispatch.
	ErrWrongState = errors.New("wharf: operation not valid in this request state")

	// ErrShutdown is returned by operations refused because the container is
	// shutting down or closed.
	ErrShutdown = errors.New("wharf: container shut down")

	// ErrWouldBlock is returned by non-blocking reads when nothing can be
	// read now; a read listener is called again when something can. A
	// blocking wait refused on a goroutine that must not park (a
	// continuation's Await in a NonBlocking handler) is it too.
	ErrWouldBlock = errors.New("wharf: operation would block")

	// ErrShed marks a request the server refused, or gave up on, to
	// protect itself under load (load shedding): filters/qos's 503 after
	// its maximum wait, filters/timeout's answer at its deadline. A filter
	// that sheds fails the request with an error that is ErrShed too
	// (errors.Is), with its own status in a *StatusError or 503, the
	// status StatusOf gives it alone. The container's error pages answer
	// it as any other failure, and its log records it at Debug, not Warn
	// (see container.WithLogger): such refusals come by the thousand a
	// second in the very overload they are made for, and the filters
	// count them.
	ErrShed = errors.New("wharf: request shed under load")

	// ErrInvalidCookie is returned by SetCookie for a cookie that
	// http.Cookie.Valid rejects; nothing is added to the response. The
	// error wraps net/http's reason too.
	ErrInvalidCookie = errors.New("wharf: invalid cookie")
)

// StatusError is an error that carries the HTTP status it should be answered
// with. Return one from a Handler to choose the error response; the
// container's error pages may still render it.
type StatusError struct {
	Code int   // HTTP status code, 400..599
	Err  error // the cause; may be nil
}

// Error returns the status text and the cause, if any. A Code that is no
// error status (outside 400..599), which StatusOf answers 500, is said to
// be one, so that a log line with the 500 beside it tells why.
func (e *StatusError) Error() string {
	var s string
	if e.Err == nil {
		s = fmt.Sprintf("%d %s", e.Code, http.StatusText(e.Code))
	} else {
		s = fmt.Sprintf("%d %s: %v", e.Code, http.StatusText(e.Code), e.Err)
	}
	if e.Code < 400 || e.Code > 599 {
		s = strings.TrimRight(s, " ") + " (not an error status, 400..599: answered 500)"
	}
	return s
}

// Unwrap returns the cause.
func (e *StatusError) Unwrap() error { return e.Err }

// Error returns a StatusError with the given code and a cause built from msg.
// An empty msg leaves the cause nil. The code must be an error status,
// 400..599: another (a redirect, say, which is a response to write, not an
// error) is answered 500, as StatusOf maps it, and its Error says so.
func Error(code int, msg string) error {
	if msg == "" {
		return &StatusError{Code: code}
	}
	return &StatusError{Code: code, Err: errors.New(msg)}
}

// StatusOf returns the HTTP status an error maps to when no error page says
// otherwise: the Code of the first StatusError in err's chain if it is
// 400..599 (a StatusError with another Code is a mistake, answered 500),
// 413 for ErrBodyTooLarge and for net/http's *http.MaxBytesError (a body
// read through http.MaxBytesReader(nil, r.Body(), n), the way to bound one
// handler's body below the server's limit), 503 for ErrShutdown and
// ErrShed, and 500 for anything else. A nil error maps to 200, and a
// *PanicError in the chain to 500, whatever the panic value.
func StatusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	// A panic is a fault of the program's, answered 500 as documented:
	// PanicError unwraps to an error value so that errors.Is finds
	// http.ErrAbortHandler, not so that a panic(err) with a StatusError
	// or ErrBodyTooLarge in err chooses the status (and a 4xx page shows
	// the value's text to the client).
	var pe *PanicError
	if errors.As(err, &pe) {
		return http.StatusInternalServerError
	}
	var se *StatusError
	if errors.As(err, &se) {
		if se.Code < 400 || se.Code > 599 {
			// A mistake (a redirect is a response to write), answered
			// 500 as documented, not by what the StatusError wraps.
			return http.StatusInternalServerError
		}
		return se.Code
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, ErrBodyTooLarge), errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrShutdown), errors.Is(err, ErrShed):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// PanicError is the error a request fails with when a handler, filter, task
// or listener panicked. The container logs Stack and answers 500, or aborts
// the connection if the response was already committed.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack
}

// Error describes the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("wharf: panic: %v", e.Value) }

// Unwrap returns the panic value if it is an error (such as
// http.ErrAbortHandler), so errors.Is sees through the panic.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
