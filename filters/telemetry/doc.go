// Package telemetry is an OpenTelemetry filter: a server span per request
// with the HTTP semantic-convention attributes, suspend and resume as span
// events, W3C trace-context propagation, and the request metrics
// (http.server.request.duration, active and suspended requests), plus the
// executor's figures as observable gauges.
//
// A request's span starts on its first dispatch, with the context the
// client propagated (traceparent), and ends when the request completes:
// a suspended request keeps its span open, and each re-dispatch after
// Resume or a timeout is an event on it ("wharf.resume",
// "wharf.expire"), as each suspension is ("wharf.suspend"). The handler
// sees the span in its request's context (trace.SpanFromContext). The
// span is named for the method and the route: http.route is the URL
// pattern the request was mapped by, in its context ("/users/{id}",
// "/static/*", "/*.txt"), never the path itself, and a method outside
// RFC 9110's and PATCH is recorded as "_OTHER" (its own name in
// http.request.method_original), so that clients cannot mint a metric
// series per URL or method. A forward that runs the filters again, from a
// dispatch or from an async task, is part of the same span, not another
// re-dispatch. The name and the request's
// attributes are given when the span starts, so that a sampler decides by
// them (drops the health checks by url.path, say), as the conventions
// require. url.query has the values of
// the parameters the conventions name as credentials (AWSAccessKeyId,
// Signature, sig, X-Goog-Signature) replaced by "REDACTED". The values
// taken from the request (url.path, url.query, server.address,
// client.address, user_agent.original, http.request.method_original)
// have each run of bytes that are not UTF-8 as U+FFFD: OTLP cannot
// marshal them, and its exporter would drop the batch they are in. So
// does the message of the exception event a failed request's error
// records, whose text may quote the request (a path parameter).
//
// A client's trace context is continued by default, as a service behind
// a proxy or called by services of its own wants. A server that clients
// on the Internet reach directly sets Config.PublicEndpoint: the client's
// span is then a link of the request's span, which starts a trace of its
// own, so that no client chooses the trace its requests are filed in, nor
// has them sampled by its traceparent's flag (a parent-based sampler,
// the SDK's default, follows that flag). Baggage comes through either way.
//
// The status recorded is the one sent, read from the request's
// async.Result when it completes: whichever task answered — an async task,
// a timeout listener, a filter's listener (a QoS filter's 503 after its
// wait), an error page — and none when no head was sent (the client left
// first). A request that did not end answered by its own work carries the
// span attribute wharf.end ("expired", "client_gone", "shutdown"), and a
// failed one the error.type of its status if it is a 5xx or, with no
// status, of its end, on its span and its metric alike; a 4xx answered has
// none, as the conventions say of a server's client errors. The span
// status is Error for a 5xx, with no description (the status code says
// why), and for a request that failed with none sent or after a head
// below 400 (a response its handler's error cut short), described by its
// error.type, except when the client left: a client abort is not a server error
// (OpenTelemetry's HTTP conventions), so its span status stays Unset and
// error.type "client_gone" says what happened.
//
// Register the filter first, before QoS, DoS or any filter that may
// answer a request itself: a filter before it that answers without
// passing the request on (QoS's 503 after a wait, DoS's 429) does so
// where this filter never sees the request, which is then neither traced
// nor measured.
//
// The providers default to the global ones (otel.GetTracerProvider,
// otel.GetMeterProvider). With no SDK installed they are no-ops, and the
// filter only carries what the client propagated, its trace context and
// its baggage, on to the handler: about 0.4 µs and 6 small allocations a
// request, 0.8 µs and 9 with a traceparent to parse, more for baggage
// (BenchmarkNoProvider*, 2-core machine; the whole request costs the
// container about 10 µs). With an SDK the span, its attributes and the
// metrics cost about 10 µs more (BenchmarkSDK).
//
// With Config.Executor, the executor's gauges are a callback the
// MeterProvider calls at each collection, which holds the container it
// reads: Close unregisters it, once the container's Shutdown has
// returned. A program that builds a container again against the same
// provider (a server reloaded in the process, tests) closes the old
// filter, or the provider reports the old executor's figures beside the
// new one's and keeps the old container alive.
//
// Goroutines: New, Filter and Close may be called from any goroutine.
//
// Package telemetry imports api, async, continuation, dispatcher and the
// OpenTelemetry API.
package telemetry
