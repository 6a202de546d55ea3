// Package dos is a denial-of-service filter in the spirit of Jetty's
// DoSFilter: a rate limit per client, enforced by delaying and then
// refusing, an allow-list, and a maximum request time.
//
// # How it works
//
// Each client (by default its IP address, and an IPv6 client by its /64,
// which Config.IPv6Prefix may change: within its prefix a client picks any
// address it likes; Config.Key can name clients otherwise, by API key or
// user, say) has a token bucket: Rate tokens a
// second, up to Burst. A request that finds a token goes on. One that finds
// none is delayed: suspended with a continuation for Config.Delay, holding
// no goroutine, then it tries again; if the bucket is still empty it is
// answered 429 Too Many Requests with Retry-After. With a negative Delay an
// over-limit request is answered 429 at once, as it is when
// Config.MaxDelayed requests (1,000 by default) are delayed already. The
// 429 is the error the filter returns (ErrRateLimited in an
// *api.StatusError), answered by the container's error pages, as Jetty's
// DoSFilter answers with sendError: an API's ErrorPageAs[error] gives it
// the format of its other errors, and Retry-After stays on it. Clients in
// Config.AllowList (addresses or CIDR prefixes) are never limited.
// Clients whose connection has no IP address (a Unix socket's peers)
// share one bucket unless Config.Key tells them apart. Buckets of clients
// that have been quiet long enough to be full again are forgotten, so the
// filter's memory follows the clients that are active; Config.MaxClients
// (100,000 by default) bounds it against a flood of new keys: past it the
// new clients share one bucket, since forgetting a bucket that is not full
// would hand its client, an attacker rotating keys, fresh tokens.
//
// A request is counted once, when it arrives: the re-dispatches of a
// request the chain suspended itself (a long poll resumed) pass freely,
// and so does a forward or include with filters (dispatcher.WithFilters)
// that comes back through the filter from inside its chain. A
// request that waited in a QoS filter (qos) below this one is counted
// too: qos hands it on as its initial dispatch. Put this filter first all
// the same, so that a flood is refused before it takes places in qos's
// queue.
//
// The delay sets the request's suspend timeout (to Delay plus a minute, a
// safety net behind the timer that resumes it), and it stays so for later
// suspensions of the same request: a handler that suspends should set its
// own (continuation.SetTimeout). A delay that expires early (a graceful
// shutdown expires suspended continuations at once) ends as if its timer
// had fired: the request tries again, and is refused if still over.
// The chain behind the filter sees a delayed request as the initial
// dispatch it is (continuation.IsInitial; async.WithKind), not as resumed.
//
// With Config.MaxRequestTime the rest of the chain sees a request context
// with that deadline (context.Cause is ErrMaxRequestTime) on the request's
// first dispatch: handlers and backends that honour their context stop
// there, and a chain that then fails (with the context's error or any
// other, but for an *api.StatusError of its own) is answered 503, as the
// server's limit rather than a failure of the handler's; one that ignores
// its context runs on, and its answer goes out. (A re-dispatch gets the
// request's own context; a handler that suspends should bound the wait
// with its continuation's timeout.)
//
// Goroutines: New, Filter and Stats may be called from any goroutine; the
// key function is called on the dispatching goroutine.
//
// Package dos imports api, async and continuation.
package dos
