package main

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/telemetry"
)

// newContainer builds the endpoints, the SDK and the filter. The providers
// are the container's own (not the globals); shutdown shuts them down, and
// is called once the container's Shutdown has returned: a request's span
// and measurements end when it completes, and the requests in flight at
// shutdown (a suspended /delay, which the shutdown expires) complete
// during it. A RegisterOnShutdown hook would run as Shutdown begins, and
// providers shut down then drop what those requests record.
func newContainer(traceLog bool, opts ...container.Option) (c *container.Container, shutdown func()) {
	c = container.New(opts...)

	// Metrics: the SDK's reader is the Prometheus exporter, registered on
	// a registry of our own that /metrics serves.
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		panic(err) // only a bad option makes this fail
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	// Traces: every span is sampled; with -trace-log each is logged.
	var tpOpts []sdktrace.TracerProviderOption
	if traceLog {
		tpOpts = append(tpOpts, sdktrace.WithSyncer(logExporter{slog.Default()}))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)

	f, err := telemetry.New(telemetry.Config{TracerProvider: tp, MeterProvider: mp,
		Executor: func() dispatcher.ExecutorStats { return c.Stats().Executor }})
	if err != nil {
		panic(err)
	}
	shutdown = func() {
		// The executor gauges' callback holds the container: a provider
		// that outlived it (one shared by containers built in turn) would
		// keep reporting it.
		f.Close()
		tp.Shutdown(context.Background())
		mp.Shutdown(context.Background())
	}
	for _, p := range []string{"/hello", "/delay", "/fail"} {
		c.Filter(p, f)
	}
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		name := r.QueryValue("name")
		if name == "" {
			name = "world"
		}
		_, err := w.WriteString("Hello, " + name + "!")
		return err
	})
	c.HandleFunc("/delay", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsInitial() {
			ms, err := strconv.Atoi(r.QueryValue("ms"))
			if err != nil || ms < 0 || ms > 60000 {
				return api.Error(http.StatusBadRequest, "ms must be 0..60000")
			}
			if ms > 0 { // a zero timeout would mean "forever": answer at once
				// Nothing resumes it, so there is nothing to register:
				// the expiry is the event.
				cont.SetTimeout(time.Duration(ms) * time.Millisecond)
				return cont.Suspend() // expires after ms, without a goroutine
			}
		}
		_, err := w.WriteString("delayed")
		return err
	})
	c.HandleFunc("/fail", func(w api.Response, r *api.Request) error {
		return api.Error(http.StatusServiceUnavailable, "failing on purpose")
	})
	c.Root().Mount("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return c, shutdown
}

// logExporter writes finished spans to a logger.
type logExporter struct{ log *slog.Logger }

func (e logExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	for _, s := range spans {
		var events []string
		for _, ev := range s.Events() {
			events = append(events, ev.Name)
		}
		e.log.Info("span", "name", s.Name(), "trace", s.SpanContext().TraceID(), "span", s.SpanContext().SpanID(),
			"parent", s.Parent().SpanID(), "duration", s.EndTime().Sub(s.StartTime()), "status", s.Status().Code, "events", events)
	}
	return nil
}

func (logExporter) Shutdown(context.Context) error { return nil }
