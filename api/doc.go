// Package api is Wharf's user-facing model: the immutable Request, the
// Response, and the Handler, Filter and Chain that produce one from the other.
//
// A Request is built once by the container and never changes afterwards.
// Forwarding, re-dispatching a resumed continuation and completing the
// response each build a new Request (or leave the old one alone), so a
// Request may be handed to any goroutine, kept after the response is
// complete, and read without locks. Derivations such as WithContext and
// WithAttribute return a copy; they never mutate the receiver.
//
// A Response, by contrast, is owned by exactly one serialized task at a time
// (see package async). The handle a task is given works only while that task
// runs; used from anywhere else, each method returns ErrNotSerialized and
// nothing reaches the wire. This is what makes timeouts and business results
// unable to race.
//
// Handlers and filters return an error instead of writing error pages
// themselves. The container maps the error, through the context's error
// pages, to a status (StatusOf): a StatusError carries its own status,
// ErrBodyTooLarge and net/http's *http.MaxBytesError (an
// http.MaxBytesReader's) become 413, ErrShutdown and ErrShed 503, and
// anything else 500. A panic is recovered, logged with its stack, and answered 500
// (or the connection is aborted if the response was already committed).
//
// Optional capabilities of a Response (Hijacker, and whatever a connector adds)
// are found by type assertion along Unwrap chains, as net/http's
// ResponseController does, so a wrapping filter never hides them.
//
// Package api imports only the standard library; every other Wharf package
// may import it.
package api
