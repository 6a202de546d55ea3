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
// sees the span in its request's context (trace.SpanFromContext).
//
// The status recorded is the one the chain left set at the end of its
// last dispatch through the filter (or the status of a returned error). A
// response finished outside a dispatch — by a listener, as a QoS filter's
// 503 after its wait — is not visible to it: put such filters before this
// one, whose span then covers only what passes them.
//
// The providers default to the global ones (otel.GetTracerProvider,
// otel.GetMeterProvider). With no SDK installed they are no-ops, and the
// filter only carries a propagated trace context on to the handler: about
// 0.4 µs and 8 small allocations a request, 0.8 µs with a traceparent to
// parse (BenchmarkNoProvider*, 2-core machine; the whole request costs the
// container about 10 µs). With an SDK the span, its attributes and the
// metrics cost about 10 µs more (BenchmarkSDK).
//
// Goroutines: New and Filter may be called from any goroutine.
//
// Package telemetry imports api, continuation, dispatcher and the
// OpenTelemetry API.
package telemetry
