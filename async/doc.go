// Package async owns the lifecycle of one request: the request-serialized
// executor and the state machine that decides what runs next.
//
// Every piece of code that may touch a request's Response runs as a
// serialized task of its Exchange: the initial dispatch through the filter
// chain, re-dispatches of a resumed or expired continuation, timeout
// listeners, tasks submitted with Dispatch or through Executor, and IO
// callbacks. For one exchange these tasks never overlap and run in
// submission order. Once a task has called Complete and returned, nothing
// runs but the OnComplete listeners; tasks still queued are dropped and their
// submitters told (ErrCompleted).
//
// A task receives a Response handle stamped with the task's token. The handle
// works only while that task runs; anywhere else it returns ErrNotSerialized
// and writes nothing. So the "Out of Time" race of the Servlet API — a
// business result and a timeout both writing — cannot happen: whichever task
// runs first completes the response, and the other is never run.
//
// The states (see state.go) are: Idle (built, not yet dispatched), Running (a
// task runs), Waiting (suspended: no task runs, no goroutine is held),
// Completing (the final response is being written) and Completed. One
// function, transition, moves between them; the tests drive it through every
// race of resume, timeout, complete and submit.
//
// StartAsync gives the servlet-style AsyncContext; package continuation
// builds Jetty-style suspend/resume on the same Exchange.
//
// Package async imports api and internal/owner only.
package async
