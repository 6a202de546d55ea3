// Package requestlog is a filter that logs one record per request, written
// when the request completes: what the client got, however the request got
// there.
//
// A request may pass through the chain more than once (it suspended and was
// resumed or expired), and its answer may be written by an async task, a
// timeout listener or an error page after the chain returned. So the filter
// registers an OnComplete listener on the first pass it sees and logs from
// there, reading the request's async.Result. A request that no container
// runs (r.Exchange() is nil) is logged at the end of its one pass.
//
// A slog record (FormatSlog, the default) has the attributes:
//
//   - method, path: the request's, as the filter first saw it;
//   - status: the status of the response head sent, 0 if none was (the
//     client left, or the connection was aborted, before a head went out);
//     for a request whose handler took its connection over (api.Hijack,
//     a WebSocket upgrade), the status set before it was taken, which
//     the taker sends (a tunnel's 200), or 101 if none was (the switch
//     an upgrade writes itself); such a request completes, and is
//     logged, when its connection is taken, not when the taker closes it;
//   - bytes: the body bytes sent, by whichever task wrote them; none for
//     a connection taken over, whose bytes are the taker's;
//   - duration: from the filter's first pass to completion, time suspended
//     included (put the filter first to time the whole request);
//   - end: how the request ended (async.End): "answered", "expired" (a
//     timeout decided the outcome), "client_gone" (the client left before
//     the response was complete) or "shutdown" (the container's Shutdown
//     expired it or its Close completed it);
//   - proto (r.Proto()), remote (the peer address);
//   - error: the error the request ended with, if any.
//
// FormatCombined writes instead one line per request to Config.Writer in
// the NCSA combined log format of Apache's and Jetty's access logs:
//
//	192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.1" 200 2326 "http://example.com/" "Mozilla/4.08"
//
// where the time is the request's start, the status is "-" when no head
// was sent, and the bytes are "-" when there were none. Its request line
// is the target as sent, query included, as in Apache's and Jetty's logs:
// a credential a client puts in the query (?access_token=...) is written
// there, where the slog format's path leaves the query out. What the
// client or its peer chose is escaped, so that each request is one line
// of these fields: quotes, backslashes and control bytes as Apache
// escapes them (\", \\, \xhh), and in the host (a Unix socket's peer is
// the name it bound, any bytes) its spaces too.
//
// With Config.Passes, each pass through the chain also gets a slog record
// ("request pass") with the status its Response had when the pass ended,
// the bytes written through the filter during it, dispatch (initial,
// resumed or expired, from async.KindOf) and suspended: the way to see a
// request's suspensions.
//
// Goroutines: records are written by OnComplete listeners, on whichever
// goroutine finished each request, so many at once; the slog.Logger must
// be safe for that (every slog handler is), and FormatCombined serializes
// its writes itself.
//
// Package requestlog imports only api, async, continuation and the
// standard library.
package requestlog
