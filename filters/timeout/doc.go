// Package timeout is a filter that bounds how long the rest of the chain may
// take to produce a response, built on package async so that the timeout
// response and the real one cannot both be written.
//
// # How it works
//
// The filter puts the request in async mode (async.Start) with the
// configured timeout and returns at once, releasing the dispatch. The rest
// of the chain runs on a goroutine of its own, writing into a private
// in-memory response, like net/http's TimeoutHandler, which starts from
// the header fields and the status set before the filter ran (a handler's
// 404 for the page it forwards to). When the chain returns, a task dispatched with async.Context.Dispatch copies the status,
// header, trailer and body into the real Response and completes the request;
// an error returned by the chain fails the request with that error (see
// async.Context.Fail), so the container's error pages render it. The error
// keeps the header fields the chain set before it (a WWW-Authenticate, an
// Allow), as it would without the filter; the body and the fields that
// describe it go. If the timeout expires first, an OnTimeout listener
// fails the request with ErrTimeout in an *api.StatusError of
// Config.Status (503 by default), so that the container's error pages
// answer it as they answer every other failure: an API's
// ErrorPageAs[error] gives it the format of its other errors, and
// without a page the container answers the status and its text ("503
// Service Unavailable"). ErrTimeout is api.ErrShed too, so the container
// logs the failure at Debug, not at Warn as a status a handler chose: in
// an overload, timeouts come by the thousand. A Config.Body, if set, is
// written by the filter itself instead, as text/plain, and the request
// completes without an error.
//
// Both the copy and the timeout listener run as serialized tasks of the
// request, so exactly one of them answers: the other is dropped, and the
// chain's late result is discarded. Once the timeout answered, the chain's
// writes of body bytes fail with ErrTimeout, as they fail with
// http.ErrHandlerTimeout under net/http's TimeoutHandler, so that a
// handler that writes until an error stops instead of filling a buffer
// that nobody reads; once the client left, they fail with why it left.
// A panic of the chain after the timeout answered is
// logged by the filter (Config.Logger), since no request is left to fail
// with it; net/http's TimeoutHandler loses it.
//
// The request the chain receives carries a context that is cancelled when
// the timeout expires (context.Cause is ErrTimeout) or the request completes
// any other way, so handlers can stop early. It has the timeout's deadline
// (Context.Deadline, or an earlier one its parent has), as net/http's
// TimeoutHandler's has, for a handler to pass on to what it calls (a
// query's timeout, a deadline sent to a backend); the timeout's answer,
// not a timer of its own, ends it. A chain that fails once that deadline
// has passed, before the timeout's task answered (a dial given the
// deadline ended there), is answered by the timeout all the same, not as
// a failure of its own; an *api.StatusError it returns and a panic stand.
//
// # Restrictions
//
//   - The chain below the filter runs on its own goroutine and writes into a
//     buffer. It must not suspend (async.Start, continuations) or dispatch
//     async tasks: the request is already in async mode, owned by this
//     filter. Those calls fail there with api.ErrNotSerialized, and a
//     chain that returns that error fails the request with ErrAsync, which
//     says why (a 500, logged): an sse stream, formdata.ParseAsync or a
//     long poll belongs outside the filter's pattern. Flush is a no-op (nothing reaches the client before the chain
//     returns), Committed is always false, and capabilities of the real
//     Response such as Hijack are not reachable.
//   - After the timeout answered, the chain goes on until it returns (its
//     context is cancelled): only its response is discarded. What else it
//     does still happens. Package session's Manager, mapped below the
//     filter (added after it), hands the session, with what the chain
//     changed before the timeout, to the error page's dispatch, and leaves
//     the chain a Session detached from it, whose later writes only its
//     own Save stores. A Manager above the filter has ended its pass once
//     the chain runs: a new session the chain writes is not stored (its
//     RenewID, a login's, returns session.ErrCookieFixed, whose
//     message names this order), and after the
//     timeout what the chain writes reaches the session the error page
//     uses, concurrently with it (a new session's cookie goes into the
//     page's header from the chain's goroutine, a data race). Stop at the
//     context's end.
//   - The whole response is held in memory until the chain returns, as
//     under net/http's TimeoutHandler: a 50 MB download below the filter
//     holds 50 MB (more while the buffer grows) per request in flight,
//     and goes out without sendfile. Map large files, streams and
//     downloads outside the filter's pattern; a handler that must bound
//     its own time there passes a context.WithTimeout to what it calls.
//   - Code below the filter sees the request as suspended
//     (continuation.Continuation.IsSuspended reports true). A continuation
//     SetTimeout it makes leaves the filter's timeout as it is.
//   - Filters above the filter see their dispatch end with the request
//     suspended and the response still open; those that act after the chain
//     returns (compression, request logs, package session's Manager)
//     should be placed below it. A
//     QoS filter above it limits nothing (each pass returns at once) and
//     one below it cannot queue (see package qos).
//   - If the response was committed before the filter ran and the timeout
//     expires, nothing can be written: the request completes with
//     api.ErrAsyncTimeout and the container aborts the connection.
//
// A request that did not come from a container (async.Start reports
// api.ErrNotSupported, as in unit tests calling a Handler directly) gets the
// same behaviour without async: the filter's own call blocks until the chain
// returns or the timeout expires, and then returns the timeout's error (or
// writes Config.Body) for its caller to answer. So does a request already
// in a timeout filter's chain: two filters stacked (one for every path, a
// shorter one for some), or a forward or include with filters
// (dispatcher.WithFilters) back through the filter. The inner filter
// bounds the rest of the chain on the outer one's goroutine, and its
// answer (its timeout's error, or Config.Body) is the outer chain's; the
// outer filter's timeout still ends the whole.
//
// Package timeout imports only api, async and the standard library.
package timeout
