package api

import "strconv"

// InvocationType says whether a task may block the goroutine that runs it.
// Execution strategies (package dispatcher) use it to decide whether a task
// can run on the goroutine that produced it, which keeps that goroutine's
// cache hot, or must go to an executor so that production goes on.
type InvocationType uint8

const (
	// Blocking tasks may block: wait for I/O, a lock, a pool, another
	// request. It is the zero value and what undeclared code is assumed to
	// be.
	Blocking InvocationType = iota
	// NonBlocking tasks never block and return quickly, so any goroutine may
	// run them, including one that must go on producing work.
	NonBlocking
	// Either tasks may block when the goroutine running them may block, and
	// can also run without blocking when asked to (typically a task that
	// drives another execution strategy).
	Either
)

var invocationNames = [...]string{"Blocking", "NonBlocking", "Either"}

// String returns "Blocking", "NonBlocking" or "Either".
func (t InvocationType) String() string {
	if int(t) < len(invocationNames) {
		return invocationNames[t]
	}
	return "InvocationType(" + strconv.Itoa(int(t)) + ")"
}

// Invoker is implemented by handlers (and tasks) that declare how they may
// be invoked. A value that does not implement it is Blocking.
type Invoker interface {
	InvocationType() InvocationType
}

// InvocationTypeOf returns v's declared invocation type, Blocking if v does
// not implement Invoker (or is nil). It may be called from any goroutine.
func InvocationTypeOf(v any) InvocationType {
	if i, ok := v.(Invoker); ok {
		return i.InvocationType()
	}
	return Blocking
}

// NonBlockingFunc is a HandlerFunc that declares it never blocks: it
// answers from what it has (no I/O wait, no lock held long, no body read
// that could stall) and returns quickly. The epoll connector runs such
// handlers on the goroutine that read the request, with no hand-off at
// all. Its writes must fit in the socket buffer; a write that would wait
// fails instead, so keep responses small or use a WriteListener. Once it
// suspends, the rule is lifted for goroutines it hands the request to, and
// it must not do blocking I/O itself before it returns.
type NonBlockingFunc func(w Response, r *Request) error

// Serve calls f(w, r).
func (f NonBlockingFunc) Serve(w Response, r *Request) error { return f(w, r) }

// InvocationType returns NonBlocking.
func (f NonBlockingFunc) InvocationType() InvocationType { return NonBlocking }
