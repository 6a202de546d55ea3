// Package container holds Wharf's contexts and runs requests through them.
//
// A Container holds contexts, each with a context path ("" for the root),
// handlers and filters mapped by servlet URL patterns, init parameters and
// error pages. A request is mapped to the context with the longest matching
// context path, then to one handler by the servlet specification's
// precedence (exact, longest prefix, extension, default "/"; {name} segments
// bind path parameters), and through every filter whose pattern matches, in
// the order they were added.
//
// For each request the container builds an immutable api.Request and an
// async.Exchange, the request's state machine and serialized executor, and
// dispatches it on the goroutine the connector called it from. A handler
// that suspends (package continuation) or goes async (package async)
// returns, and the goroutine goes back to the connector; the request's later
// tasks run on the container's executor.
//
// Errors returned by handlers, and panics, become responses here: the
// context's error pages are searched by error (errors.Is / errors.As, in the
// order added) and then by status; without one, a short plain-text answer is
// written. A failure after the response was committed aborts the
// connection instead.
//
// Lifecycle: Start freezes the mappings; Serve and ListenAndServe run the
// HTTP/1.1 connector; Shutdown stops accepting, finishes in-flight requests
// and expires suspended ones through their timeout path; Close stops
// everything at once. A Container is also an http.Handler, so httptest and
// net/http servers can drive it.
//
// Package container imports api, async, continuation, dispatcher, connector
// and internal packages: the arrows point down from here.
package container
