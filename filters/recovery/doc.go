// Package recovery is a filter that catches a panic raised by the rest of
// the filter chain or the handler, logs it with its stack through log/slog,
// and returns it as an error instead of letting it unwind further.
//
// The container already recovers panics; this filter exists so that an
// application can log panics its own way (another logger, another level) or
// turn them into an error of its choosing with Config.OnPanic. By default the
// filter returns *api.PanicError, which the container answers with 500, or by
// aborting the connection if the response was already committed.
//
// A panic with http.ErrAbortHandler is the net/http idiom for aborting a
// response on purpose: it is returned wrapped in *api.PanicError, without
// logging and without calling OnPanic.
//
// The filter recovers only panics on the goroutine that runs the chain, in
// the dispatch it wraps. Tasks a handler submits with async.Context.Dispatch
// run later and are recovered by the container. So is a panic of the
// chain below a timeout filter (filters/timeout) that a recovery filter
// added before it wraps: that chain runs on a goroutine of the timeout
// filter's, after the dispatch returned, and its panic reaches neither
// this filter's Logger nor its OnPanic (the container logs it and
// answers 500). Add the recovery filter after the timeout filter to
// have it recover the chain's panics.
//
// Package recovery imports only api and the standard library.
package recovery
