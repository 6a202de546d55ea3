package telemetry_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/telemetry"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// sdk is an OpenTelemetry SDK that records in memory.
type sdk struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	f      *telemetry.Filter
}

func newSDK(t *testing.T, executor func() dispatcher.ExecutorStats) *sdk {
	t.Helper()
	s := &sdk{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(s.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))
	t.Cleanup(func() { tp.Shutdown(context.Background()); mp.Shutdown(context.Background()) })
	f, err := telemetry.New(telemetry.Config{TracerProvider: tp, MeterProvider: mp, Executor: executor})
	if err != nil {
		t.Fatal(err)
	}
	s.f = f
	return s
}

// metrics collects the current metrics by name.
func (s *sdk) metrics(t *testing.T) map[string]metricdata.Aggregation {
	t.Helper()
	out, err := collect(s.reader)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// collect reads the current metrics of reader by name.
func collect(reader *sdkmetric.ManualReader) (map[string]metricdata.Aggregation, error) {
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		return nil, err
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out, nil
}

func sum(a metricdata.Aggregation) int64 {
	var n int64
	if s, ok := a.(metricdata.Sum[int64]); ok {
		for _, dp := range s.DataPoints {
			n += dp.Value
		}
	}
	return n
}

func attr(attrs []attribute.KeyValue, key string) attribute.Value {
	for _, a := range attrs {
		if string(a.Key) == key {
			return a.Value
		}
	}
	return attribute.Value{}
}

// A request gets a server span under the trace its client propagated, with
// the HTTP attributes, and is measured.
func TestSpanAndDuration(t *testing.T) {
	s := newSDK(t, nil)
	var seen trace.SpanContext
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		seen = trace.SpanContextFromContext(r.Context())
		_, err := w.WriteString("ok")
		return err
	}), s.f)
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	x := wharftest.Run(h, wharftest.Head("GET", "/items?id=7", "Traceparent", parent, "User-Agent", "test/1"))
	if x.Out.Status() != 200 {
		t.Fatalf("status %d", x.Out.Status())
	}
	spans := s.spans.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	sp := spans[0]
	if sp.SpanKind() != trace.SpanKindServer || sp.Parent().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		sp.Parent().SpanID().String() != "00f067aa0ba902b7" || !sp.Parent().IsRemote() {
		t.Errorf("span %s kind %v parent %v", sp.Name(), sp.SpanKind(), sp.Parent())
	}
	if seen.SpanID() != sp.SpanContext().SpanID() {
		t.Errorf("the handler's context holds span %v, not the request's %v", seen.SpanID(), sp.SpanContext().SpanID())
	}
	for key, want := range map[string]string{
		"http.request.method": "GET", "url.path": "/items", "url.query": "id=7", "url.scheme": "http",
		"user_agent.original": "test/1", "network.protocol.version": "1.1",
	} {
		if got := attr(sp.Attributes(), key).String(); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if got := attr(sp.Attributes(), "http.response.status_code").AsInt64(); got != 200 {
		t.Errorf("status attribute %d", got)
	}
	m := s.metrics(t)
	hist, ok := m["http.server.request.duration"].(metricdata.Histogram[float64])
	if !ok || len(hist.DataPoints) != 1 || hist.DataPoints[0].Count != 1 {
		t.Fatalf("duration histogram %+v", m["http.server.request.duration"])
	}
	if got := sum(m["http.server.active_requests"]); got != 0 {
		t.Errorf("active requests %d after completion", got)
	}
}

// A suspended request keeps its span open, with suspend and resume events,
// and counts as suspended while it waits.
func TestSuspendResumeEvents(t *testing.T) {
	s := newSDK(t, nil)
	waiting := make(chan continuation.Continuation, 1)
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		c := continuation.Of(r)
		if c.IsInitial() {
			c.SetTimeout(time.Minute)
			waiting <- c
			return c.Suspend()
		}
		_, err := w.WriteString("resumed")
		return err
	}), s.f)
	x := wharftest.NewExchangeFor(h, wharftest.Head("GET", "/wait"), nil).Begin()
	c := <-waiting
	m := s.metrics(t)
	if got := sum(m["wharf.server.suspended_requests"]); got != 1 {
		t.Errorf("suspended requests %d while waiting", got)
	}
	if got := sum(m["http.server.active_requests"]); got != 1 {
		t.Errorf("active requests %d while waiting", got)
	}
	if len(s.spans.Ended()) != 0 {
		t.Fatal("the span ended while the request was suspended")
	}
	c.Resume()
	<-x.Done()
	spans := s.spans.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	var events []string
	for _, e := range spans[0].Events() {
		events = append(events, e.Name)
	}
	if len(events) != 2 || events[0] != "wharf.suspend" || events[1] != "wharf.resume" {
		t.Errorf("events %v", events)
	}
	m = s.metrics(t)
	if got := sum(m["wharf.server.suspended_requests"]); got != 0 {
		t.Errorf("suspended requests %d after completion", got)
	}
}

// A failing request's span has an error status; its duration carries the
// status and error.type.
func TestErrorStatus(t *testing.T) {
	s := newSDK(t, nil)
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		return api.Error(503, "backend down")
	}), s.f)
	wharftest.Run(h, wharftest.Head("GET", "/"))
	sp := s.spans.Ended()[0]
	if sp.Status().Code != codes.Error || attr(sp.Attributes(), "http.response.status_code").AsInt64() != 503 {
		t.Errorf("status %v, attributes %v", sp.Status(), sp.Attributes())
	}
	hist := s.metrics(t)["http.server.request.duration"].(metricdata.Histogram[float64])
	if got := attr(hist.DataPoints[0].Attributes.ToSlice(), "error.type").String(); got != "503" {
		t.Errorf("error.type %q", got)
	}
}

// endObserver is a span processor that, when a span ends, reads what the
// metrics hold at that moment.
type endObserver struct {
	sdktrace.SpanProcessor
	reader *sdkmetric.ManualReader
	seen   chan uint64 // durations recorded, then active requests, at each end
}

func (o *endObserver) OnEnd(sdktrace.ReadOnlySpan) {
	m, _ := collect(o.reader) // an error leaves the map empty: the test then sees no duration
	var durations uint64
	hist, _ := m["http.server.request.duration"].(metricdata.Histogram[float64])
	for _, dp := range hist.DataPoints {
		durations += dp.Count
	}
	active := int64(-1) // none recorded
	if a, ok := m["http.server.active_requests"]; ok {
		active = sum(a)
	}
	select {
	case o.seen <- durations:
		o.seen <- uint64(active)
	default: // a span past the first: the test reads only one
	}
}

// A request's metrics are recorded before its span ends, so that an
// exporter, or a test, that sees the span ended sees the request counted.
func TestMetricsBeforeSpanEnd(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	obs := &endObserver{SpanProcessor: tracetest.NewSpanRecorder(), reader: reader, seen: make(chan uint64, 2)}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(obs))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { tp.Shutdown(context.Background()); mp.Shutdown(context.Background()) })
	f, err := telemetry.New(telemetry.Config{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("ok")
		return err
	}), f)
	wharftest.Run(h, wharftest.Head("GET", "/"))
	select {
	case durations := <-obs.seen:
		if active := int64(<-obs.seen); durations != 1 || active != 0 {
			t.Errorf("when the span ended: %d durations recorded, %d requests active; want 1, 0", durations, active)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the span did not end")
	}
}

// The executor's figures are observable gauges, with the units of counts
// (OpenTelemetry's "{thing}" annotations), as the request metrics have.
func TestExecutorGauges(t *testing.T) {
	s := newSDK(t, func() dispatcher.ExecutorStats { return dispatcher.ExecutorStats{Workers: 7, Busy: 3, Queued: 2} })
	var rm metricdata.ResourceMetrics
	if err := s.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			got[m.Name] = m
		}
	}
	for _, tt := range []struct {
		name string
		want int64
		unit string
	}{
		{"wharf.executor.workers", 7, "{goroutine}"},
		{"wharf.executor.busy", 3, "{goroutine}"},
		{"wharf.executor.queued", 2, "{task}"},
	} {
		m := got[tt.name]
		g, ok := m.Data.(metricdata.Gauge[int64])
		if !ok || len(g.DataPoints) != 1 || g.DataPoints[0].Value != tt.want {
			t.Errorf("%s = %+v, want %d", tt.name, m.Data, tt.want)
		}
		if m.Unit != tt.unit {
			t.Errorf("%s: unit %q, want %q", tt.name, m.Unit, tt.unit)
		}
	}
}

// The status the chain sets is the one recorded, also when the response
// is finished after the dispatch; a panic without a container still ends
// the span.
func TestStatusAndPanic(t *testing.T) {
	s := newSDK(t, nil)
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		if r.QueryValue("panic") != "" {
			panic("boom")
		}
		w.SetStatus(404)
		_, err := w.WriteString("no such thing")
		return err
	}), s.f)
	wharftest.Run(h, wharftest.Head("GET", "/missing"))
	if got := attr(s.spans.Ended()[0].Attributes(), "http.response.status_code").AsInt64(); got != 404 {
		t.Errorf("status attribute %d, want 404", got)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not go on up")
			}
		}()
		h.Serve(wharftest.NewRecorder(), wharftest.Request("GET", "/?panic=1"))
	}()
	if n := len(s.spans.Ended()); n != 2 {
		t.Fatalf("%d spans ended, want 2", n)
	}
	if got := attr(s.spans.Ended()[1].Attributes(), "http.response.status_code").AsInt64(); got != 500 {
		t.Errorf("panic recorded as %d", got)
	}
	if got := sum(s.metrics(t)["http.server.active_requests"]); got != 0 {
		t.Errorf("active requests %d", got)
	}
}

// TestStatusOfTheAnswer proves that the status recorded is the one sent
// when the request completes, whichever task answered, and that a request
// that did not end answered by its own work says how it ended.
func TestStatusOfTheAnswer(t *testing.T) {
	tests := []struct {
		name      string
		handle    api.HandlerFunc
		status    int64
		errorType string // "" means none
		end       string // the wharf.end attribute, "" means none
		spanError bool
		// description is the span status's: none where
		// http.response.status_code says why (a 5xx), as the
		// conventions want.
		description string
	}{
		{
			name: "an async task answers",
			handle: func(w api.Response, r *api.Request) error {
				a, err := async.Start(r)
				if err != nil {
					return err
				}
				w.SetStatus(202) // left set by the dispatch, not sent
				go a.Dispatch(func(w api.Response) {
					w.SetStatus(201)
					w.WriteString("made")
					a.Complete()
				})
				return nil
			},
			status: 201,
		},
		{
			name: "a timeout listener answers",
			handle: func(w api.Response, r *api.Request) error {
				a, err := async.Start(r)
				if err != nil {
					return err
				}
				a.SetTimeout(time.Second)
				a.AddListener(async.Listener{OnTimeout: func(w api.Response, _ *api.Request) {
					w.SetStatus(504)
					a.Complete()
				}})
				return nil
			},
			status: 504, errorType: "504", end: "expired", spanError: true,
		},
		{
			name: "the async timeout fails the request",
			handle: func(w api.Response, r *api.Request) error {
				a, err := async.Start(r)
				if err == nil {
					a.SetTimeout(time.Second)
				}
				return err
			},
			status: 500, errorType: "500", end: "expired", spanError: true,
		},
		{
			name: "a resumed continuation answers",
			handle: func(w api.Response, r *api.Request) error {
				c := continuation.Of(r)
				if c.IsResumed() {
					w.SetStatus(404)
					return nil
				}
				w.SetStatus(202)
				if err := c.Suspend(); err != nil {
					return err
				}
				go c.Resume()
				return nil
			},
			status: 404,
		},
		{
			// The head went out, then the handler failed: the client
			// got a cut response. Not a client error, and not a 5xx
			// either: the conventions want the span status Error for
			// such an error beside a status below 400.
			name: "an error after the head was sent",
			handle: func(w api.Response, r *api.Request) error {
				w.WriteString("partial")
				if err := w.Flush(); err != nil {
					return err
				}
				return errors.New("boom after commit")
			},
			status: 200, errorType: "_OTHER", spanError: true, description: "_OTHER",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSDK(t, nil)
				x := wharftest.NewExchangeFor(api.Compose(tt.handle, s.f), wharftest.Head("GET", "/x"), nil).Begin()
				<-x.Done()
				spans := s.spans.Ended()
				if len(spans) != 1 {
					t.Fatalf("%d spans", len(spans))
				}
				sp := spans[0]
				if got := attr(sp.Attributes(), "http.response.status_code").AsInt64(); got != tt.status {
					t.Errorf("status attribute %d, want %d", got, tt.status)
				}
				if got := attr(sp.Attributes(), "wharf.end").AsString(); got != tt.end {
					t.Errorf("wharf.end %q, want %q", got, tt.end)
				}
				if (sp.Status().Code == codes.Error) != tt.spanError || sp.Status().Description != tt.description {
					t.Errorf("span status %+v, want Error %v with description %q", sp.Status(), tt.spanError, tt.description)
				}
				hist := s.metrics(t)["http.server.request.duration"].(metricdata.Histogram[float64])
				dp := hist.DataPoints[0].Attributes.ToSlice()
				if got := attr(dp, "http.response.status_code").AsInt64(); got != tt.status {
					t.Errorf("metric status %d, want %d", got, tt.status)
				}
				if got := attr(dp, "error.type").AsString(); got != tt.errorType {
					t.Errorf("error.type %q, want %q", got, tt.errorType)
				}
				if got := attr(sp.Attributes(), "error.type").AsString(); got != tt.errorType {
					t.Errorf("span error.type %q, want %q", got, tt.errorType)
				}
			})
		})
	}
}

// Without a container, a chain that sent its head and then returned an
// error is recorded with the status sent, not the error's.
func TestStatusCommittedWithoutContainer(t *testing.T) {
	s := newSDK(t, nil)
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.WriteString("partial")
		w.Flush()
		return errors.New("boom after commit")
	}), s.f)
	rec := wharftest.NewRecorder()
	h.Serve(rec, api.NewRequest(context.Background(), wharftest.Head("GET", "/p"), nil))
	spans := s.spans.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	if got := attr(spans[0].Attributes(), "http.response.status_code").AsInt64(); got != int64(rec.Status()) {
		t.Errorf("span status %d, client got %d", got, rec.Status())
	}
}

// url.scheme is the client's (Request.Scheme): https behind a proxy that
// terminated TLS and said so (filters/forwarded), though the connection
// is cleartext.
func TestSchemeFromProxy(t *testing.T) {
	s := newSDK(t, nil)
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error { return nil }), s.f)
	head := wharftest.Head("GET", "/")
	head.Conn = &api.ConnInfo{RemoteAddr: "192.0.2.1:0", Scheme: api.SchemeHTTPS}
	wharftest.Run(h, head)
	spans := s.spans.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	if got := attr(spans[0].Attributes(), "url.scheme").String(); got != "https" {
		t.Errorf("url.scheme = %q, want https", got)
	}
}
