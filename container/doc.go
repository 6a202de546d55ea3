// Package container holds Wharf's contexts and runs requests through them.
//
// A Container holds contexts, each with a context path ("" for the root),
// handlers and filters mapped by patterns, init parameters and error pages.
//
// # Patterns
//
// A pattern is "[METHOD ]PATH", in the form of net/http's ServeMux:
// "GET /items/{id}", "POST /items", or a PATH alone, which matches every
// method. PATH is a servlet URL pattern: "/exact", "/prefix/*", "*.ext",
// "/" (the default), "" (the context root: "GET " is net/http's
// "GET /{$}"), with {name} segments binding path parameters
// (Request.PathParam). It is matched against the decoded
// path, so it is written decoded ("/café", not "/caf%C3%A9"): a "%XX"
// escape in it is refused as malformed, where net/http would decode it.
// A request path with an escape that decodes to '/' or '\' ("%2F",
// "%5C") or to a "." or ".." segment ("%2e%2e") is answered 400 before
// mapping, and no filter sees it: what sits in front of the container
// reads such a path otherwise than its decoded form ("/admin%2Fx" is not
// under "/admin/*" for a proxy). WithAmbiguousPaths maps it decoded. So is
// a path with an escaped control character ("%0A", "%7F"), which no name
// needs and which a log line or header field built from the path would
// carry; one with an escaped NUL ("%00") is answered 400 even with
// WithAmbiguousPaths. Escapes in the query are not checked.
//
// A request is mapped to the context with the longest matching context
// path, then in two steps. First the path picks one PATH by the servlet
// specification's precedence, whatever the methods registered on it:
//
//  1. exact literal ("/items/new");
//  2. exact template, the one with more literal segments first, then the
//     one with a literal where the other has a parameter, leftmost first
//     ("/items/{id}");
//  3. the longest prefix, in segments ("/items/*"), a literal segment
//     before a parameter at equal length;
//  4. extension ("*.json");
//  5. the default "/".
//
// Then the method picks among that PATH's handlers: the one registered for
// the method; for HEAD, GET's (the answer has GET's headers and
// Content-Length and no body; a handler that writes no body for HEAD
// and sets no Content-Length has none said, as on net/http's server);
// the one registered without a method; for
// OPTIONS, 200 with an Allow field; else 405 Method Not Allowed with Allow,
// through the error pages like any error. A method missing on the best PATH
// is a 405, never a fall-through to a weaker pattern: net/http and chi
// would serve a matching "/" there. So a catch-all (a router mounted at
// "/api/*") does not see the other methods of a more specific PATH it
// shares: with "GET /api/health" registered, "POST /api/health" is a 405.
//
// Filters use the same patterns, and a request passes through every filter
// whose pattern matches its path and method (GET's also see HEAD), in the
// order described under "Filter order". A filter with a method guards only
// that method: "GET /admin/*" leaves POST /admin/x unguarded, so write
// security filters without one.
//
// # Filter order
//
// A request's chain is the filters of its context whose patterns match it,
// nested in the order they were added, whatever their patterns: the first
// added is the outermost. Each filter runs its code before next.Next on
// the way in and its code after next.Next on the way out, and a filter
// that answers without calling next (a 401, filters/qos's 503) ends the
// way in there: the filters inside it never run.
//
//	c.Filter("/hello", qos)          // 1st: outermost
//	c.Filter("/*", altSvc)           // 2nd: inside qos, even though "/*" is wider
//	c.FilterFirst("/*", log)         // ahead of every Filter, whenever added
//
//	GET /hello:  log ─► qos ─► altSvc ─► handler
//	                                        │
//	             log ◄─ qos ◄─ altSvc ◄─────┘
//
//	qos full:    log ─► qos ─╮   altSvc and the handler never run:
//	             log ◄───────╯   the 503 has log's headers, not altSvc's
//
// FilterFirst puts a filter in an outer group, ahead of every filter added
// with Filter; within each group the order of addition holds. So a filter
// that must see every answer (response headers, a log record, a span) is
// added with FilterFirst, or with Filter before the others.
//
// A filter sees what the chain inside it did when next.Next returns: the
// status set, the error returned (rendered into an error page only after
// the outermost filter returns). A request that suspends (package
// continuation; qos while it waits) returns through the whole chain, and a
// re-dispatch runs it again from the outermost filter; what a timeout or
// continuation listener answers later (qos's 503 after its MaxWait) is
// written after the chain returned, with the header fields the outer
// filters set on the way in: record that status at completion
// (async.ResultOf in an OnComplete listener), as filters/requestlog does.
//
// Registration is checked as net/http checks it: Handle, Filter and the
// others panic on a nil handler or filter, a malformed pattern, a pattern
// that matches the same requests as an earlier one ("/a/{id}" and
// "/a/{name}"; "GET /x" twice), naming both, and a PATH ending in '/'.
// Handlers of one PATH for different methods may name its parameters
// differently ("GET /a/{id}", "DELETE /a/{itemID}"), as in net/http. That
// last one is a net/http habit: "/api/" is a subtree there, but a servlet
// pattern would match only the one path "/api/", and a filter on it would
// guard nothing below. Write "/api/*" for the subtree, or "/api".
//
// For each request the container builds an immutable api.Request and an
// exchange (internal/exchange), the request's state machine and serialized executor, and
// dispatches it on the goroutine the connector called it from. A handler
// that suspends (package continuation) or goes async (package async)
// returns, and the goroutine goes back to the connector; the request's later
// tasks run on the container's executor.
//
// Errors returned by handlers, and panics (a runtime.Goexit, as t.FailNow
// calls in a handler or an error page under test, counts as one), become
// responses here: the context's error pages are searched by error
// (errors.Is / errors.As, in the order added) and then by status; without
// one, or if the page fails, a short plain-text answer is written: the
// status and its text ("404 Not Found"), and for a status below 500 the
// cause of an api.StatusError in the error's chain ("404 Not Found: no
// such item"). No other error's text reaches the client: a 5xx's is
// logged instead, at the level WithLogger gives. As with net/http's
// http.Error, the uncommitted body goes, with
// the header fields that describe it (Content-Type, Content-Length,
// Content-Encoding, ETag, ...), and every other field set so far stays: a
// WWW-Authenticate, an Allow, a filter's CORS headers. A caching policy
// set so far (Cache-Control, Expires) does not: it was the failed
// response's, and the error is answered with Cache-Control: no-store
// instead, which an error page may replace. The same holds when
// a timeout or a failure answers a request whose earlier tasks wrote
// without completing: one response never carries two outcomes. A failure
// after the response was committed aborts the connection instead.
//
// A response that sets a cookie (a Set-Cookie field in its head, a
// session's or the handler's own) says Cache-Control: no-cache="Set-Cookie"
// as well, added after the directives the handler set when the head is
// committed, or when the connection is taken (Hijack) before it was, for
// the taker to send the head (api.FromHTTP's Hijack after a WriteHeader
// sends the response's fields), unless they keep shared caches from
// reusing the cookie already (no-store, private, a no-cache or private
// that names Set-Cookie): a CDN or a proxy may store such a page under the
// handler's policy, but not give one client's cookie, a session ID, to
// the next (RFC 9111 §5.2.2.4). Jetty marks such responses expired
// instead, which a max-age the handler sets overrides.
//
// At most WithMaxHandlers requests run their handlers at once, across
// every connection and protocol (DefaultMaxHandlers, 5,000): a request
// whose chain may block holds a place from the start of its first dispatch
// until that dispatch returns. A request beyond the limit waits in arrival
// order, holding no goroutine, and is started on the executor when a place
// is free; past WithHandlerQueue it is answered 503. Chains declared
// api.NonBlocking do not count. Stats reports the places taken, the
// requests waiting and those refused.
//
// Lifecycle: Start freezes the mappings; Serve and ListenAndServe run the
// HTTP/1.1 connector; Shutdown stops accepting, finishes in-flight requests
// and expires suspended ones through their timeout path; Close stops
// everything at once. A Container is also an http.Handler, so httptest and
// net/http servers can drive it.
//
// Package container imports api, async, dispatcher, connector,
// connector/http2 and internal packages: the arrows point down from here.
package container
