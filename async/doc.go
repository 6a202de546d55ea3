// Package async is the asynchronous API of a request: the servlet-style
// AsyncContext (Start, Context), its listeners (Listener), the serialized
// tasks it runs (Func, Context.Dispatch, Context.Executor), the
// non-blocking body reader and writer (Input, Output), and what a finished
// request sent (Result, End, ResultOf).
//
// Every piece of code that may touch a request's Response runs as a
// serialized task of the request: the initial dispatch through the filter
// chain, re-dispatches of a resumed or expired continuation, timeout
// listeners, tasks submitted with Dispatch or through Executor, and IO
// callbacks. For one request these tasks never overlap and run in
// submission order. Once a task has called Complete and returned, nothing
// runs but the OnComplete listeners; tasks still queued are dropped and
// their submitters told (api.ErrCompleted). A second Complete is refused
// with api.ErrCompleted wherever it is made, the task that made the first
// included; SetTimeout may be called from any goroutine, and restarts an
// async wait that runs (see Context.SetTimeout).
//
// A task receives a Response handle stamped with the task's token. The
// handle works only while that task runs; anywhere else it returns
// api.ErrNotSerialized and writes nothing. So the "Out of Time" race of
// the Servlet API — a business result and a timeout both writing — cannot
// happen: whichever task runs first completes the response, and the other
// is never run.
//
// The engine that does this — the per-request Exchange, its state machine
// and its contract with the container — is internal/exchange; this
// package and package continuation (Jetty-style suspend/resume on the same
// engine) are its public faces, and the types they share (Listener,
// Result, OnShutdown, ...) are defined there and named here.
//
// Package async imports api and internal/exchange only.
package async
