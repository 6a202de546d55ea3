// Package continuation gives handlers Jetty-style continuations: suspend a
// request, return, and let any goroutine resume it later.
//
// Inside a handler, Of(r) returns the request's Continuation. SetTimeout,
// then Suspend, then return: the handler goroutine is released and the
// request waits holding no goroutine and no handler stack. Later, any
// goroutine calls Resume (optionally with attributes, such as the event that
// woke it) or Complete. On Resume, and on expiry, the request is dispatched
// again through the same filter chain; the handler tells the passes apart
// with IsInitial, IsResumed and IsExpired and reads the attributes from the
// new Request.
//
// Exactly one of Resume and the timeout wins; the loser gets
// api.ErrNotSuspended. A Resume that arrives before the suspending handler
// has returned re-dispatches only after it returns. Resume after completion
// is a no-op that returns api.ErrCompleted.
//
// Await is the blocking form, for code that prefers to wait in place (the
// portable fallback of Jetty 6): the handler's goroutine blocks until Resume
// or the timeout, and the dispatch goes on where it was.
//
// Continuations are built on package async's Exchange, so their re-dispatches
// are serialized with async tasks and IO callbacks of the same request.
// Package continuation imports api and async.
package continuation
