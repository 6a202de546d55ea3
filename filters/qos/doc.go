// Package qos is a quality-of-service filter with the semantics of
// Jetty's QoSFilter: at most MaxRequests requests are in the rest of the
// chain at once; the others wait their turn suspended, holding no
// goroutine, and are let in by priority as places free up.
//
// # How it works
//
// A dispatch that finds a free place (a permit) runs the rest of the chain
// and gives the permit back when the chain returns — also when it panics or
// fails, and also when the request suspends itself below (a long poll does
// not hold a place while it waits; its re-dispatch asks for one again).
// A dispatch that finds none suspends the request with a continuation and
// queues it, ordered by Config.Priority (higher first) and then by arrival.
// Whoever gives a permit back hands it straight to the first waiting
// request and resumes it: the resumed dispatch runs the chain with that
// permit, so a place freed is never taken by a newcomer ahead of those
// waiting. A request that waits longer than Config.MaxWait is refused: the
// wait's timeout resumes it to this filter, whose dispatch returns ErrBusy
// in an *api.StatusError of 503 Service Unavailable, with Retry-After set,
// and the rest of the chain does not run. The container's error pages
// answer it, as Jetty's QoSFilter answers with sendError: an API's
// ErrorPageAs[error] gives it the format of its other errors, and
// Retry-After stays on it; without a page, the answer is "503 Service
// Unavailable". ErrBusy is api.ErrShed too, so the container logs a
// refusal at Debug, not at Warn as a status a handler chose: in an
// overload, refusals come by the thousand. Filters above this one see
// that dispatch (a resumed one), and another QoS filter above lets it
// through without a place. A waiting request whose client goes away
// leaves the queue; one handed a permit that never ran (its client went
// away first) passes the permit on. The permit count and the queue are in
// Filter.Stats, with how many dispatches were let in, how many requests
// the filter refused, and how many left the queue otherwise: their client
// went away, or another timeout listener answered them when their wait
// expired (a long poll answering its own timeout, whose answer stands and
// is no refusal).
//
// A forward or include with filters (dispatcher.WithFilters) that comes
// back through the filter from inside its chain, while the dispatch it
// let in runs, is the same request, in the chain on its permit already:
// it goes on without asking for another, which it would wait for behind
// the one it holds. One made once that dispatch returned, and gave its
// permit back (from a task of the request in async mode), needs a permit
// of its own: it takes a free one, or is refused, as it cannot wait.
//
// The wait sets the request's suspend timeout to MaxWait, and it stays so
// for later suspensions of the same request: a handler that suspends after
// it was let in should set its own (continuation.SetTimeout), as most do.
// The chain behind the filter sees the dispatch the wait interrupted, not
// the filter's own Resume (async.WithKind): a request that waited on its
// first pass is still its initial dispatch there (continuation.IsInitial),
// so a long poll suspends on it as it would have without the wait.
//
// A request holds a permit only if this filter handed it one, and the
// filter decides so on each of its dispatches, whatever Resume brought
// it. A Resume the program makes for a suspension of the request that is
// over (a long poll whose continuation two event sources hold, woken by
// the first; one whose timeout won just before a message came, which
// examples/chat's say resumes all the same) may come while the
// re-dispatch waits here: a Resume is for the
// request's current suspension, the wait's, and the continuation takes
// it. The dispatch it brings holds no permit: the request waits on, in
// its place and for what is left of MaxWait, and the chain behind never
// sees that dispatch, as it would not have without the wait (the Resume
// would have found the request running, and been refused). That Resume
// returns nil all the same, and its attributes are dropped: a program
// that may resume a request twice keeps its events where the handler
// looks for them, as examples/chat keeps them in the member's queue.
//
// With QoS filters stacked (a wide one outside, a narrow one inside), such
// a Resume's dispatch may stop in the outer filter's wait while the
// request is still queued in the inner one. A permit of the inner filter
// that then lands on the outer wait is not held for it: the outer filter
// holds that dispatch back, and the inner one passes the permit on at
// once. From then on the inner wait counts nothing while the request
// waits outside: the outer wait's timeout is not its expiry, and if the
// request ends there (the outer filter refuses it, or its client leaves)
// the outer filter counts it. A dispatch that comes back through the
// inner filter takes a free place there or waits on, in its place and for
// what is left of MaxWait. The same holds for an inner permit whose
// dispatch, taken by the inner wait, finds the outer filter full. Until
// an inner permit comes, the inner filter cannot tell that the request
// waits outside, and takes the outer wait's timeout for its own expiry.
//
// A request that no container dispatches (a Handler called directly, as in
// some unit tests) cannot suspend: without a free place it is refused at
// once, the filter returning that same error for its caller to answer.
//
// The filter bounds dispatches, not async work, as Jetty's QoSFilter
// does: a request that goes async below it (async.Start, a handler that
// runs on a goroutine of its own) gives its permit back when its dispatch
// returns. The timeout filter is such a request: above it, QoS lets every
// request in, since each pass returns at once while the rest of the
// chain runs on the timeout's goroutine. Below it, the request is already
// async and cannot suspend, so one that finds no free place is refused
// at once, as above (the timeout filter fails the request with the error). To queue requests and bound their time too, use
// QoS without the timeout filter in that chain, and let the handlers bound
// their own time (a context deadline, continuation.SetTimeout).
//
// Goroutines: New, Filter and Stats may be called from any goroutine; the
// priority function is called on the dispatching goroutine.
//
// Package qos imports api, async and continuation.
package qos
