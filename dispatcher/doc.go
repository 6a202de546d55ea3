// Package dispatcher forwards a request to another path of the same context
// and includes one resource's output in another's response.
//
// Forward builds a new immutable Request for the target — new path, query and
// mapping, same headers, attributes, body and context — and runs the
// target's handler with it. The caller's Request is untouched, so code that
// still holds it (a goroutine, a log line written after the forward) sees the
// original values. There is no cross-context dispatch and no dispatcher
// type: a handler serves the Request it is given, however it was invoked.
//
// Include is not a container mode but a response wrapper: IncludeResponse
// lets the target write body bytes and keeps it from changing the status or
// headers, and Include forwards through it. Wrappers need no identity, so a
// filter or the container may wrap a Response freely on the way.
//
// The container supplies the mapping through the Resolver its exchanges
// implement. Package dispatcher imports api only.
package dispatcher
