// Package exchange is the engine of a request's lifecycle: the
// request-serialized executor and the state machine that decides what runs
// next. Only the container drives it (NewExchange or Init, Start, and the
// Channel, Completer and Hijacked it implements, and dispatcher.Yielder, which it
// passes on to the connector's stream); packages async and continuation
// are its public API, package formdata keeps the exchange's one form parse
// in it (Value), and wharftest drives it in memory.
//
// Every piece of code that may touch a request's Response runs as a
// serialized task of its Exchange: the initial dispatch through the filter
// chain, re-dispatches of a resumed or expired continuation, timeout
// listeners, tasks submitted with Submit, and IO failures (Fail). For one
// exchange these tasks never overlap and run in submission order. Once a
// task has called Complete and returned, nothing runs but the OnComplete
// listeners; tasks still queued are dropped and their submitters told
// (api.ErrCompleted).
//
// The states (see state.go) are: Idle (built, not yet dispatched), Running
// (a task runs), Waiting (suspended: no task runs, no goroutine is held),
// Completing (the final response is being written) and Completed. The pure
// machine (machine.transition) decides every move; the Exchange holds the
// queue, the timer and the goroutines around it. The tests drive the
// machine through every race of resume, timeout, complete and submit.
//
// The types programs name (Listener, Func, Result, End, OnShutdown,
// DispatchKind, Outcome, Discarder) are defined here, because the engine
// uses them, and named in package async as aliases.
//
// Package exchange imports api, dispatcher (for the Yielder interface),
// internal/owner, internal/lazydone and internal/timerwheel only.
package exchange
