// Package dispatcher forwards a request to another path of the same context
// and includes one resource's output in another's response.
//
// Forward builds a new immutable Request for the target — new path, query and
// mapping, same headers, attributes, body and context — and runs the
// target's handler with it. The caller's Request is untouched, so code that
// still holds it (a goroutine, a log line written after the forward) sees the
// original values. There is no cross-context dispatch and no dispatcher
// type: a handler serves the Request it is given, however it was invoked.
// Forwards and includes nest at most 32 deep (ErrForwardDepth), so that a
// forward loop fails its request instead of overflowing the stack, which
// would end the process.
//
// The Response goes on, as with the Servlet API's forward, which clears
// only the buffer: the body written so far is dropped, with the header
// fields that describe it (Content-Type, Content-Length, ETag, ...) and
// the trailers, and the target writes its own. The status and the other
// header fields stay, so the cookies and the security or CORS fields a
// filter set on the way in reach the client with the target's answer. A
// response whose head was sent cannot be forwarded.
//
// Include is not a container mode but a response wrapper: IncludeResponse
// lets the target write body bytes and keeps it from changing the status or
// headers, and Include forwards through it. Wrappers need no identity, so a
// filter or the container may wrap a Response freely on the way.
//
// The container supplies the mapping through the Resolver its exchanges
// implement.
//
// The package also holds the execution strategy the connectors use to run
// work, Jetty's AdaptiveExecutionStrategy ("eat what you kill"). A Producer
// turns I/O into Tasks, each with an api.InvocationType, and a Strategy
// picks how to run each one. A NonBlocking task runs on the goroutine that
// produced it (PC). A task that may block runs there only after a parked
// reserved goroutine has taken over production (EPC), which keeps the cache
// hot. Otherwise it goes to an Executor (PEC). An Either task runs inline in
// its non-blocking form (PIC) when no reserved goroutine is free.
//
// Starvation is impossible because production never waits for the
// executor: a goroutine consumes a task that may block only after
// production has passed to a goroutine that is already running, so a task
// that would unblock every busy worker is still produced and run, even when
// the queue is full. At most one goroutine produces at a time; a Produce or
// Dispatch during production marks production as wanted again, so no
// wake-up is lost (the machine in strategy.go is model-checked over every
// interleaving).
//
// A goroutine running a NonBlocking task must not park, and a connector
// enforces that on its I/O. When the task's work leaves that goroutine
// before it returns (a request's dispatch suspends and hands the request
// to other goroutines), whatever runs that work calls Yield on the
// connector's Yielder, which lifts the rule. Code that would block the
// goroutine itself, not through the connector (a blocking wait in place),
// asks the connector's NoParker whether the rule holds, and refuses.
//
// BoundedExecutor is the QueuedThreadPool analogue: workers grow on demand
// and shrink when idle, the queue is bounded, a full queue returns
// ErrRejected, and Execute does not allocate. UnboundedExecutor runs every
// task at once on a goroutine of its own, the virtual-thread analogue, for
// work that something else bounds; it keeps a few finished goroutines for
// the next tasks, and for a moment as many as a flow of blocking tasks
// leaves (SurplusIdleTimeout), so their grown stacks are reused. Both report Jetty's thread-pool figures. Reserved goroutines
// are tasks of the executor, so close a Strategy before its executor.
//
// Package dispatcher imports api and internal/httppath.
package dispatcher
