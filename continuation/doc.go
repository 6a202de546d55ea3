// Package continuation gives handlers Jetty-style continuations: suspend a
// request, return, and let any goroutine resume it later.
//
// Inside a handler, Of(r) returns the request's Continuation. SetTimeout,
// then Suspend, then register the continuation where the goroutine that
// will resume it finds it, then return: the handler goroutine is released
// and the request waits holding no goroutine and no handler stack. Later,
// any goroutine calls Resume (optionally with attributes, such as the event
// that woke it) or Complete. On Resume, and on expiry, the request is
// dispatched again through the same filter chain; the handler tells the
// passes apart with IsInitial, IsResumed and IsExpired and reads the
// attributes from the new Request.
//
// The response carries over, as Jetty's does: the status and header fields
// a pass set stay for the next one. A 204 set before suspending, as the
// answer for a Complete from elsewhere, is still set in the pass that
// Resume or the timeout makes, whose body it refuses (a 500): that pass
// sets the status it answers with. Only a body written and not yet sent
// is dropped on expiry, with the status and the fields that describe it.
//
// # Suspend before you register
//
// The order matters, because a Resume is judged when it arrives:
//
//   - before Suspend, the request is not suspended: Resume is refused with
//     api.ErrNotSuspended and does nothing, so that wake-up is lost and the
//     request waits out its whole timeout;
//   - after Suspend, even while the suspending handler still runs, Resume
//     is accepted and the re-dispatch runs as soon as the handler returns
//     (returns nil: a handler that returns an error, or panics, fails the
//     request, answered 500, and the Resume it accepted re-dispatches
//     nothing).
//
// So a handler suspends first and only then makes the continuation
// reachable (appends it to a list of waiters, sends it on a channel,
// subscribes it), and returns:
//
//	if err := cont.Suspend(); err != nil {
//		return err
//	}
//	room.wait(cont) // a Resume from now on re-dispatches, even before we return
//	return nil
//
// never "room.wait(cont); return cont.Suspend()", which leaves a window
// between the two lines where an event finds the continuation and loses
// its Resume. SuspendThen is the same order in one call:
//
//	return cont.SuspendThen(room.wait)
//
// When the event may have come already (a message queued before the poll),
// check for it under the lock the resuming side takes, and under that same
// lock either answer at once or suspend and register; examples/chat does
// so. Resuming the continuation from register works too: it is suspended
// by then.
//
// Exactly one of Resume and the timeout wins; the loser gets
// api.ErrNotSuspended. Resume after completion, or once the request is
// failing (its client left), is a no-op that returns api.ErrCompleted; so
// is a second Complete, even one made by the handler that made the first,
// before it returns.
//
// SetTimeout may be called from any goroutine: before the suspending
// handler returns it sets the wait that return starts; while the request
// waits it restarts that wait, d from the call (a continuation's wait
// only: async mode's, as filters/timeout's, keeps its timeout); after the
// wait it is for later suspensions only.
//
// Await is the blocking form, for code that prefers to wait in place (the
// portable fallback of Jetty 6): the handler's goroutine blocks until Resume
// or the timeout, and the dispatch goes on where it was.
//
// Continuations are built on the same engine as package async, so their
// re-dispatches are serialized with async tasks and IO callbacks of the
// same request, and their Listener is async.Listener.
// Package continuation imports api, async and internal/exchange (the
// engine).
package continuation
