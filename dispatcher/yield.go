package dispatcher

// Yielder lifts the rule that a goroutine must not park. A NonBlocking
// task runs on the goroutine that produced it (PC, see Strategy), and that
// goroutine must never wait: the epoll connector's HTTP/1.1 stream fails
// a read or write there that would have to wait (instead of parking the
// event loop). Such a task may hand its work to other goroutines before it
// returns: a request's dispatch that suspends lets goroutines it started
// read the request body while the dispatch is still returning, and the
// stream cannot tell them from the producing goroutine.
// So whatever runs a request's work asks the stream, if it is a Yielder,
// to Yield at that moment: from then on, the stream's I/O may park again.
//
// Yield reports whether the rule was in force (it is idempotent: a second
// call reports false). If it was, the caller runs nothing more of that
// work on the goroutine that was under the rule: what is queued behind
// the task goes to an executor, where it may block.
//
// Which goroutine calls it, and how often: the request engine behind
// packages async and continuation calls it once per suspend, on the
// goroutine running the suspending dispatch (and before a timeout's work
// run inline leaves the rest to the executor), with the request's state
// locked (so Yield must not call back into the request); the container
// passes it on to the connector's Stream, which implements it. A stream
// without such a rule need not implement it.
type Yielder interface {
	Yield() bool
}

// NoParker is the companion of Yielder for code that would park the
// goroutine itself rather than through the stream's I/O: a blocking wait
// in place (continuation.Await). Such a wait on a goroutine under the rule
// would stop the event loop the goroutine runs, and with it whatever was
// to end the wait (the loop's timers, the next request that resumes it),
// so the code asks first and refuses to wait. NoPark reports whether the
// rule is in force on the calling goroutine now; unlike Yield, it leaves
// the rule as it is. A stream without such a rule need not implement it.
type NoParker interface {
	NoPark() bool
}
