package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/dispatcher"
)

// scope is the instrumentation scope of the filter's tracer and meter.
const scope = "github.com/wharf-go/wharf/filters/telemetry"

// Config configures the filter. The zero value uses the global providers
// and W3C trace context.
type Config struct {
	// TracerProvider makes the tracer. Nil means otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// MeterProvider makes the meter. Nil means otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// Propagator reads the client's trace context from the request header.
	// Nil means W3C trace context and baggage.
	Propagator propagation.TextMapPropagator
	// PublicEndpoint, if true, makes no client's trace context the parent
	// of its request's span: each request starts a trace of its own,
	// linked to the span the client named (traceparent) if it named one.
	// A server that untrusted clients reach directly sets it, so that a
	// client can neither file its requests in a trace of its choosing nor
	// have them sampled by its traceparent's flag (a parent-based sampler
	// follows it). The baggage the client sent still reaches the handler.
	// False (the zero value) continues the client's trace, as for a
	// server behind a proxy or a service called by services of its own.
	PublicEndpoint bool
	// Executor, if not nil, is read by the executor's observable gauges
	// (workers, busy, queued): pass the container's, e.g.
	// func() dispatcher.ExecutorStats { return c.Stats().Executor }.
	// The MeterProvider holds it, and what it reads, until Filter.Close.
	// The gauges carry no attribute naming the executor: the filters of
	// containers served at once with executors of their own report to
	// one provider's gauges, where one executor's figures would stand
	// for all; give those filters providers of their own, or set
	// Executor on one only.
	Executor func() dispatcher.ExecutorStats
}

// Filter is the telemetry filter; make it with New. Any number of
// requests may pass through it at once, on any goroutines: what it keeps
// of the requests in progress is under one mutex.
type Filter struct {
	tracer    trace.Tracer
	idle      func() bool // reports that tracer records nothing (tracerIdle); nil: it may record
	prop      propagation.TextMapPropagator
	public    bool // Config.PublicEndpoint
	duration  metric.Float64Histogram
	active    metric.Int64UpDownCounter
	suspended metric.Int64UpDownCounter

	mu    sync.Mutex
	spans map[any]*inflight // by exchange: the state of requests in progress
	// gauges is the executor gauges' callback, which Close unregisters;
	// nil without Config.Executor and once unregistered. Under mu.
	gauges metric.Registration
}

// inflight is a request between its first dispatch and its completion.
type inflight struct {
	span  trace.Span
	ctx   context.Context
	start time.Time
	attrs []attribute.KeyValue // the metric attributes known at the start

	// suspended says the request is counted in wharf.server.suspended_requests.
	// It is under Filter.mu: the completion that ends the request may run
	// while its chain's pass is returning (below the timeout filter, the
	// chain runs on a goroutine of its own, and the timeout may answer as
	// it returns), and the request must leave the count once, not be
	// counted again after.
	suspended bool
	// depth counts the passes through the filter in progress: more than
	// one is a forward or include with filters inside a dispatch, which is
	// neither a re-dispatch nor, when it returns, the dispatch's end.
	// Only the request's serialized task touches it.
	depth int
	// dropped marks a suspended request not sampled, and not measured:
	// span is the non-recording one of its first pass, and nothing else
	// is set.
	dropped bool
}

// New returns the filter for cfg; it fails if an instrument cannot be made.
func New(cfg Config) (*Filter, error) {
	tp, mp, prop := cfg.TracerProvider, cfg.MeterProvider, cfg.Propagator
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if prop == nil {
		prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	f := &Filter{tracer: tp.Tracer(scope, trace.WithSchemaURL(semconv.SchemaURL)), idle: tracerIdle(cfg.TracerProvider, tp), prop: prop, public: cfg.PublicEndpoint, spans: make(map[any]*inflight)}
	m := mp.Meter(scope, metric.WithSchemaURL(semconv.SchemaURL))
	var err error
	if f.duration, err = m.Float64Histogram("http.server.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP server requests, from the first dispatch to completion."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)); err != nil {
		return nil, err
	}
	if f.active, err = m.Int64UpDownCounter("http.server.active_requests", metric.WithUnit("{request}"),
		metric.WithDescription("Requests in progress, suspended ones included.")); err != nil {
		return nil, err
	}
	if f.suspended, err = m.Int64UpDownCounter("wharf.server.suspended_requests", metric.WithUnit("{request}"),
		metric.WithDescription("Requests suspended now, waiting without a goroutine.")); err != nil {
		return nil, err
	}
	if cfg.Executor != nil {
		if err := f.observeExecutor(m, cfg.Executor); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// observeExecutor registers the executor's figures as observable gauges.
func (f *Filter) observeExecutor(m metric.Meter, stats func() dispatcher.ExecutorStats) error {
	// Counts have a "{thing}" unit, as the request metrics' "{request}":
	// a backend that groups or converts by unit sees what is counted
	// (Prometheus's exporter leaves it out of the name).
	workers, err := m.Int64ObservableGauge("wharf.executor.workers", metric.WithUnit("{goroutine}"),
		metric.WithDescription("Executor goroutines."))
	if err != nil {
		return err
	}
	busy, err := m.Int64ObservableGauge("wharf.executor.busy", metric.WithUnit("{goroutine}"),
		metric.WithDescription("Executor goroutines running a task."))
	if err != nil {
		return err
	}
	queued, err := m.Int64ObservableGauge("wharf.executor.queued", metric.WithUnit("{task}"),
		metric.WithDescription("Tasks waiting for an executor goroutine."))
	if err != nil {
		return err
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := stats()
		o.ObserveInt64(workers, int64(st.Workers))
		o.ObserveInt64(busy, int64(st.Busy))
		o.ObserveInt64(queued, int64(st.Queued))
		return nil
	}, workers, busy, queued)
	if err != nil {
		// The SDK may register the callback for some instruments and
		// still fail: New returns no filter whose Close could take it
		// back.
		if reg != nil {
			reg.Unregister()
		}
		return err
	}
	f.gauges = reg
	return nil
}

// Close unregisters the executor's gauges from the MeterProvider, which
// otherwise keeps calling Config.Executor, and so keeps the container it
// reads alive, for as long as the provider lives: a program that builds
// containers more than once against one provider (a server reloaded in
// the process, tests) would report the figures of every container it
// ever had. Call it once the container no longer serves the filter, after
// its Shutdown or Close has returned, so that the gauges go on while the
// requests drain; the container does not call it. The filter still traces
// and measures requests passed to it afterwards, without the gauges.
// Closing twice, or a filter made without Config.Executor, does nothing.
// Any goroutine may call it.
func (f *Filter) Close() error {
	f.mu.Lock()
	reg := f.gauges
	f.gauges = nil
	f.mu.Unlock()
	if reg == nil {
		return nil
	}
	return reg.Unregister()
}

// Filter implements api.Filter.
func (f *Filter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	var key any = r.Exchange()
	if key == nil {
		key = r // no container: the request is its own exchange
	}
	f.mu.Lock()
	in := f.spans[key]
	f.mu.Unlock()
	if in == nil {
		propagated, client := f.extract(r)
		ctx := propagated
		remote := trace.SpanContextFromContext(ctx)
		// The name and the attributes go to Start, not onto the started
		// span: a sampler decides from what Start gives it, and the
		// conventions require them there (a sampler that drops health
		// checks looks at url.path). A tracer that records nothing has
		// no sampler to tell: its span carries the propagated context on,
		// and building them would triple the filter's cost where no SDK
		// is installed.
		var name string
		var attrs, spanAttrs []attribute.KeyValue
		var span trace.Span
		switch {
		case f.idle != nil && f.idle():
			ctx, span = f.tracer.Start(ctx, r.Method(), trace.WithSpanKind(trace.SpanKindServer))
		case client.IsValid():
			// PublicEndpoint: the client's span is a link, not the parent.
			name, attrs, spanAttrs = requestAttrs(r)
			ctx, span = f.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(spanAttrs...),
				trace.WithLinks(trace.Link{SpanContext: client}))
		default:
			name, attrs, spanAttrs = requestAttrs(r)
			ctx, span = f.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(spanAttrs...))
		}
		if !span.IsRecording() && !f.measuring(ctx) {
			// No SDK installed (or this request is not sampled and no
			// metric is read): pass the propagated context on and nothing
			// more.
			if !span.SpanContext().IsValid() {
				// No trace context, so no span to carry, but perhaps
				// baggage, which the handler must see all the same. The
				// propagators return the context they were given when
				// the header has nothing for them, so a request with
				// neither costs no allocation here.
				if propagated != r.Context() {
					r = r.WithContext(propagated)
				}
				return next.Next(w, r)
			}
			if r.Exchange() != nil && !span.SpanContext().Equal(remote) {
				return f.passDropped(w, r.WithContext(ctx), key, span, next)
			}
			return next.Next(w, r.WithContext(ctx))
		}
		if attrs == nil { // measured, not traced
			_, attrs, _ = requestAttrs(r)
		}
		in = f.begin(r, key, ctx, span, attrs)
		if r.Exchange() == nil {
			// No container: the request ends with this call, however the
			// chain returns (a panic included).
			defer func() {
				if p := recover(); p != nil {
					err := fmt.Errorf("telemetry: panic in the chain: %v", p)
					f.end(key, in, async.Result{Status: http.StatusInternalServerError, Err: err})
					panic(p)
				}
			}()
			err := next.Next(w, r.WithContext(ctx))
			res := async.Result{Status: w.Status(), Err: err}
			if err != nil && !w.Committed() { // a committed head is what was sent
				res.Status = api.StatusOf(err)
			}
			f.end(key, in, res)
			return err
		}
		r = r.WithContext(ctx) // the extracted trace context, baggage included, and the span
	} else if in.dropped {
		ctx, _ := f.extract(r)
		return next.Next(w, r.WithContext(trace.ContextWithSpan(ctx, in.span)))
	} else if in.depth > 0 || continuation.Of(r).IsSuspended() {
		// A forward or include with filters, inside the dispatch that
		// passed here first or from an async task while the request is
		// still suspended (a re-dispatch comes only once Resume or the
		// timeout has ended the suspension): the request's context
		// carries the span already.
		return next.Next(w, r)
	} else {
		f.redispatch(in, r)
		ctx, _ := f.extract(r)
		r = r.WithContext(trace.ContextWithSpan(ctx, in.span))
	}
	err := f.pass(in, w, r, next)
	cont := continuation.Of(r)
	if cont.IsSuspended() {
		in.span.AddEvent("wharf.suspend")
		f.mu.Lock()
		// Not if the request ended meanwhile (end has taken it out of
		// spans): nothing would take it out of the count again.
		count := !in.suspended && f.spans[key] == in
		in.suspended = in.suspended || count
		f.mu.Unlock()
		if count {
			f.suspended.Add(in.ctx, 1)
		}
	}
	return err
}

// pass runs next as one pass of in's request, counted in in.depth also
// when next panics.
func (f *Filter) pass(in *inflight, w api.Response, r *api.Request, next api.Chain) error {
	in.depth++
	defer func() { in.depth-- }()
	return next.Next(w, r)
}

// measuring reports whether any of the request metrics is recorded.
func (f *Filter) measuring(ctx context.Context) bool {
	return f.duration.Enabled(ctx) || f.active.Enabled(ctx) || f.suspended.Enabled(ctx)
}

// tracerIdle returns a function reporting whether the filter's tracer,
// made of tp, records nothing now, or nil if that cannot be known: it
// may record. configured is Config.TracerProvider. OpenTelemetry's own
// no-op provider records nothing ever; the global provider that
// otel.GetTracerProvider returns before an SDK is installed records
// nothing until otel.SetTracerProvider installs one, after which
// otel.GetTracerProvider returns that one instead (and the tracer made
// before forwards to it).
func tracerIdle(configured, tp trace.TracerProvider) func() bool {
	switch configured.(type) {
	case noop.TracerProvider, *noop.TracerProvider:
		return func() bool { return true }
	case nil:
		if t := reflect.TypeOf(tp); t.Kind() == reflect.Pointer && t.Elem().PkgPath() == "go.opentelemetry.io/otel/internal/global" {
			return func() bool { return otel.GetTracerProvider() == tp }
		}
	}
	return nil
}

// requestAttrs returns the span name of r, the metric attributes known at
// its start and its span's, which include them.
func requestAttrs(r *api.Request) (name string, attrs, spanAttrs []attribute.KeyValue) {
	// The client's, which a trusted proxy may have reported
	// (filters/forwarded), as semantic conventions want url.scheme.
	scheme := r.Scheme()
	method, known := knownMethod(r.Method())
	route := routeOf(r)
	// One array for both, sized for all: every request builds them now,
	// sampled or not. The metric attributes come first, capped so that
	// end's appends to them never write over the span's.
	all := make([]attribute.KeyValue, 0, 15)
	all = append(all,
		semconv.HTTPRequestMethodKey.String(method),
		semconv.URLScheme(scheme),
		semconv.NetworkProtocolVersion(protoVersion(r.Proto())))
	if route != "" {
		all = append(all, semconv.HTTPRoute(route))
	}
	attrs = all[:len(all):len(all)]
	host, port := splitHostPort(r.Host())
	// What the client sent goes through validUTF8: the decoded path
	// ("%FF"), the Host, the User-Agent (obs-text) may hold bytes that are
	// not UTF-8, which OTLP, where attributes are protobuf strings, cannot
	// marshal: the exporter drops the whole batch, the other requests'
	// spans with it, so one client could keep every trace from being
	// exported.
	spanAttrs = append(all,
		semconv.URLPath(validUTF8(r.Path())),
		semconv.ServerAddress(validUTF8(host)),
		semconv.ClientAddress(validUTF8(hostOnly(r.RemoteAddr()))))
	if port > 0 {
		// Conditionally required with server.address when known: the
		// port the client addressed, from the Host field (":authority").
		spanAttrs = append(spanAttrs, semconv.ServerPort(port))
	}
	if !known {
		spanAttrs = append(spanAttrs, semconv.HTTPRequestMethodOriginal(validUTF8(r.Method())))
	}
	if ua := r.Header().Get("User-Agent"); ua != "" {
		spanAttrs = append(spanAttrs, semconv.UserAgentOriginal(validUTF8(ua)))
	}
	if q := r.RawQuery(); q != "" {
		spanAttrs = append(spanAttrs, semconv.URLQuery(validUTF8(redactQuery(q))))
	}
	// "{method} {route}", "{method}"; "HTTP" stands for a method not
	// known (semconv's span name).
	name = method
	if !known {
		name = "HTTP"
	}
	if route != "" {
		name += " " + route
	}
	return name, attrs, spanAttrs
}

// begin records a request's start and counts it; its completion ends its
// span and records its metrics. attrs are requestAttrs' metric attributes.
func (f *Filter) begin(r *api.Request, key any, ctx context.Context, span trace.Span, attrs []attribute.KeyValue) *inflight {
	in := &inflight{span: span, ctx: ctx, start: time.Now(), attrs: attrs}
	f.mu.Lock()
	f.spans[key] = in
	f.mu.Unlock()
	f.active.Add(ctx, 1, metric.WithAttributes(attrs[0], attrs[1]))
	if r.Exchange() != nil {
		complete := func(err error) {
			// What was sent, whichever task sent it: the status a
			// dispatch left set may not be the one (an async task, a
			// timeout listener, an error page answered after it).
			res, ok := async.ResultOf(r)
			if !ok { // not a container's exchange: no better than the error
				res = async.Result{Status: http.StatusOK, Err: err}
				if err != nil {
					res.Status = api.StatusOf(err)
				}
			}
			f.end(key, in, res)
		}
		// The request may have completed before this first pass: below
		// the timeout filter, the chain runs on a goroutine of its own and
		// may get here after the timeout answered. No listener added then
		// would ever run, and the span would stay open and the request
		// counted active for good.
		if errors.Is(async.OnComplete(r, complete), api.ErrCompleted) {
			complete(nil)
		}
	}
	return in
}

// extract returns r's context with what the client propagated (the trace
// context, baggage). Every pass extracts it again: a re-dispatch starts
// from the initial request's context, not from the one the first pass
// handed on, and its handler must see the same context as the first.
// With PublicEndpoint the client's span context is left out of ctx (the
// span r's context had before, if any, stays the parent) and returned as
// client, for a link; client is the zero SpanContext otherwise.
func (f *Filter) extract(r *api.Request) (ctx context.Context, client trace.SpanContext) {
	ctx = f.prop.Extract(r.Context(), headerCarrier{r.Header()})
	if f.public {
		if sc := trace.SpanContextFromContext(ctx); sc.IsRemote() && !sc.Equal(trace.SpanContextFromContext(r.Context())) {
			ctx, client = trace.ContextWithSpan(ctx, trace.SpanFromContext(r.Context())), sc
		}
	}
	return ctx, client
}

// passDropped runs next as the first pass of a request a sampler
// dropped, span the non-recording span it got. The passes that come
// through the filter again go on with that span: a forward or include
// with filters inside this pass and, if the request suspends, its
// re-dispatches and its async tasks' forwards, until it completes. So the
// request has one trace and one sampling decision, not one per pass (a
// span the target of a forward alone sees, a new root timed from a
// resume, either perhaps sampled).
func (f *Filter) passDropped(w api.Response, r *api.Request, key any, span trace.Span, next api.Chain) error {
	f.mu.Lock()
	f.spans[key] = &inflight{span: span, dropped: true}
	f.mu.Unlock()
	// Also when next panics: an entry no listener forgets would stay.
	defer func() {
		if continuation.Of(r).IsSuspended() {
			forget := func(error) { f.forget(key) }
			if errors.Is(async.OnComplete(r, forget), api.ErrCompleted) {
				f.forget(key) // completed meanwhile: no listener would run (see begin)
			}
			return
		}
		f.forget(key)
	}()
	return next.Next(w, r)
}

// forget drops the state of a request dropped by a sampler.
func (f *Filter) forget(key any) {
	f.mu.Lock()
	delete(f.spans, key)
	f.mu.Unlock()
}

// redispatch records a dispatch after the first.
func (f *Filter) redispatch(in *inflight, r *api.Request) {
	cont := continuation.Of(r)
	switch {
	case cont.IsExpired():
		in.span.AddEvent("wharf.expire")
	default:
		in.span.AddEvent("wharf.resume")
	}
	f.mu.Lock()
	was := in.suspended
	in.suspended = false
	f.mu.Unlock()
	if was {
		f.suspended.Add(in.ctx, -1)
	}
}

// end closes a request's span and records its metrics, from what was sent.
func (f *Filter) end(key any, in *inflight, res async.Result) {
	f.mu.Lock()
	delete(f.spans, key)
	was := in.suspended
	in.suspended = false
	f.mu.Unlock()
	if was {
		f.suspended.Add(in.ctx, -1) // completed while suspended (Complete, a client gone)
	}
	attrs := in.attrs
	if res.Status > 0 { // no head was sent: there is no status to report
		attrs = append(attrs, semconv.HTTPResponseStatusCode(res.Status))
		in.span.SetAttributes(semconv.HTTPResponseStatusCode(res.Status))
	}
	if res.End != async.EndAnswered {
		in.span.SetAttributes(attribute.String("wharf.end", res.End.String()))
	}
	et := errorType(res)
	switch {
	case res.Status >= 500:
		// No description: the conventions leave it out where
		// http.response.status_code says why, and a trace backend shows
		// the code already.
		in.span.SetStatus(codes.Error, "")
	case res.End == async.EndClientGone:
		// The client left (or its connection failed): not the server's
		// failure. The span status stays Unset, as for a 4xx; error.type
		// says what happened.
	case res.Status < 400 && et != "":
		// Failed with no head sent, or after a 1xx to 3xx one (the
		// handler's error cut the response, a timeout or a shutdown
		// ended it): a server error all the same, which the
		// conventions want as Error beside a status below 400.
		in.span.SetStatus(codes.Error, et)
	}
	if res.Err != nil {
		recordError(in.span, res.Err)
	}
	if et != "" {
		a := semconv.ErrorTypeKey.String(et)
		attrs = append(attrs, a)
		in.span.SetAttributes(a)
	}
	// The metrics first: whoever sees the span ended (an exporter, a test
	// waiting for it) then sees the request counted as well.
	f.duration.Record(in.ctx, time.Since(in.start).Seconds(), metric.WithAttributes(attrs...))
	f.active.Add(in.ctx, -1, metric.WithAttributes(in.attrs[0], in.attrs[1]))
	in.span.End()
}

// errorType is the error.type of a request, "" if it did not fail: the
// status sent if it is a server error; else, for a failure, how the
// request ended ("client_gone", "shutdown", "expired"), "" for a 4xx
// answered, or "_OTHER" (the error did not change the status).
func errorType(res async.Result) string {
	switch {
	case res.Status >= 500:
		return strconv.Itoa(res.Status)
	case res.Err == nil:
		return ""
	case res.End != async.EndAnswered:
		return res.End.String()
	case res.Status >= 400:
		// A client error answered, however it was chosen (an error the
		// handler returned, the container's 404 or 405): for a server
		// the request completed, and the conventions set no error.type,
		// as for a 4xx the handler set itself, so that one status makes
		// one series, and 4xx do not count as server errors.
		return ""
	}
	return "_OTHER"
}

// validUTF8 returns s with each run of bytes that are not UTF-8 replaced
// by U+FFFD (as encoding/json and log/slog's JSON write them), s itself,
// without an allocation, when it is UTF-8 already.
// recordError records err on span as the SDK's RecordError does (an
// "exception" event with its type and message), with the message cleaned
// of bytes that are not UTF-8 as the request's values are: an error's
// text may quote the request (a path parameter, a header, a panic value),
// and one invalid string makes the OTLP exporter drop the whole batch,
// the spans of other clients' requests with it.
func recordError(span trace.Span, err error) {
	msg := err.Error()
	if utf8.ValidString(msg) {
		span.RecordError(err)
		return
	}
	span.AddEvent(semconv.ExceptionEventName, trace.WithAttributes(
		semconv.ExceptionType(errorTypeName(err)),
		semconv.ExceptionMessage(validUTF8(msg))))
}

// errorTypeName names err's type as the SDK's RecordError names it in
// exception.type: its package path and name, or the type's text for one
// without a name.
func errorTypeName(err error) string {
	t := reflect.TypeOf(err)
	if t.PkgPath() == "" && t.Name() == "" {
		return t.String()
	}
	return t.PkgPath() + "." + t.Name()
}

func validUTF8(s string) string {
	return strings.ToValidUTF8(s, "\uFFFD")
}

// redactQuery returns the query q with the values of the parameters the
// semantic conventions name as credentials (signed URLs' signatures and
// access keys) replaced by "REDACTED", so that a trace does not carry
// them; q itself when it has none.
func redactQuery(q string) string {
	var b strings.Builder
	done := 0 // q[:done] is in b
	for i := 0; i < len(q); {
		j := strings.IndexByte(q[i:], '&')
		if j < 0 {
			j = len(q)
		} else {
			j += i
		}
		if key, _, ok := strings.Cut(q[i:j], "="); ok && sensitiveParam(key) {
			b.WriteString(q[done : i+len(key)+1])
			b.WriteString("REDACTED")
			done = j
		}
		i = j + 1
	}
	if done == 0 {
		return q
	}
	b.WriteString(q[done:])
	return b.String()
}

// sensitiveParam reports whether a query parameter's value is redacted
// (OpenTelemetry's url.query: AWSAccessKeyId, Signature, sig,
// X-Goog-Signature).
func sensitiveParam(key string) bool {
	if strings.ContainsAny(key, "%+") {
		// The name as the application reads it: "%73ig" is sig to
		// url.ParseQuery, and its value as much a credential.
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
	}
	switch key {
	case "AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature":
		return true
	}
	return false
}

// knownMethod returns the http.request.method of m: m itself if it is one
// of the methods of RFC 9110 and RFC 5789 (PATCH), else "_OTHER", as the
// semantic conventions require, so that a client cannot mint a metric
// series per method name it sends.
func knownMethod(m string) (string, bool) {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m, true
	}
	return "_OTHER", false
}

// routeOf returns the http.route of r: the URL pattern its handler was
// mapped by, in its context ("/users/{id}", "/static/*", "/*.txt"), never
// the concrete path, which would make a metric series per URL. "" for a
// request no pattern mapped.
func routeOf(r *api.Request) string {
	m := r.Mapping()
	switch m.Kind {
	case api.MatchNone:
		return ""
	case api.MatchExtension:
		return m.ContextPath + "/" + m.Pattern
	case api.MatchExact:
		if m.Pattern == "" { // the context root
			return m.ContextPath + "/"
		}
	}
	return m.ContextPath + m.Pattern
}

// protoVersion is "1.1" for "HTTP/1.1", "2" for "HTTP/2.0".
func protoVersion(p string) string {
	v := strings.TrimPrefix(p, "HTTP/")
	if v == "2.0" || v == "3.0" {
		return v[:1]
	}
	return v
}

// splitHostPort splits a Host field into its host and its port, 0 when
// the field names none (or not a valid one).
func splitHostPort(hostport string) (string, int) {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		// No port: an IPv6 literal still loses its brackets, as
		// server.address has it with a port ("[::1]" is ::1).
		if len(hostport) > 1 && hostport[0] == '[' && hostport[len(hostport)-1] == ']' {
			return hostport[1 : len(hostport)-1], 0
		}
		return hostport, 0
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return h, 0
	}
	return h, int(port)
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// headerCarrier reads a request's header for the propagator.
type headerCarrier struct{ h api.Header }

func (c headerCarrier) Get(key string) string { return c.h.Get(canonicalKey(key)) }
func (c headerCarrier) Set(string, string)    {}

// Values implements propagation.ValuesGetter: a client may split its
// baggage over several fields, which make one list (W3C Baggage), and
// the baggage propagator reads them all only through Values.
func (c headerCarrier) Values(key string) []string { return c.h.Values(canonicalKey(key)) }

// canonicalKey returns the canonical form of the fields the W3C
// propagators read, which they name in lower case: the header would make
// it anew, an allocation, for each field of each request.
func canonicalKey(key string) string {
	switch key {
	case "traceparent":
		return "Traceparent"
	case "tracestate":
		return "Tracestate"
	case "baggage":
		return "Baggage"
	}
	return key
}

func (c headerCarrier) Keys() []string {
	var ks []string
	for k := range c.h.All() {
		ks = append(ks, k)
	}
	return ks
}
