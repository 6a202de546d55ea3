package dispatcher

import "errors"

// Sentinel errors of package dispatcher, the dispatch's and the
// executors', in one place so that a caller matching them with errors.Is
// finds them all.
var (
	// ErrNoResolver is returned for a Request no container built: there is
	// no context to forward within.
	ErrNoResolver = errors.New("dispatcher: request has no context to dispatch in")
	// ErrBadTarget is returned for a target that is not a path (it must
	// start with '/'), does not parse, has an escaped NUL (%00), or has
	// an escape whose decoded form would read as another path (an
	// escaped '/' or '\', or an escaped dot segment) or is a control
	// character (%01 to %1F, %7F) while the request's container refuses
	// such request paths, or has a control character unescaped, in its
	// path or its query, or a fragment, as no request-target may (see
	// Forward).
	ErrBadTarget = errors.New("dispatcher: bad dispatch target")
	// ErrForwardDepth is returned by a Forward or Include made from the
	// target of 32 nested ones (see Forward): a forward loop (a handler
	// that forwards to a path it serves itself) would otherwise recurse
	// until the goroutine's stack overflows, which ends the process.
	ErrForwardDepth = errors.New("dispatcher: forwards nested too deeply")
	// ErrRejected is returned by Execute when the executor is at its limits:
	// the queue of a BoundedExecutor is full. The task did not run and will
	// not.
	ErrRejected = errors.New("dispatcher: executor at its limits, task rejected")
	// ErrExecutorClosed is returned by Execute after Close.
	ErrExecutorClosed = errors.New("dispatcher: executor closed")
)
