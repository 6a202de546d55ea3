package telemetry_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/telemetry"
)

// The filter with an SDK that keeps spans and metrics in memory; a
// program would give it exporters' providers instead. The span is named
// for the route, not the path, and continues the trace the client
// propagated.
func Example() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	f, err := telemetry.New(telemetry.Config{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		panic(err)
	}
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", f) // first, before filters that may answer themselves
	c.HandleFunc("/users/{id}", func(w api.Response, r *api.Request) error {
		_, err := fmt.Fprintf(w, "user %s", r.PathParam("id"))
		return err
	})

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/users/42", nil)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// The span ends when the request completes, which Shutdown waits for.
	c.Shutdown(context.Background())

	for _, s := range spans.Ended() {
		fmt.Println("span:", s.Name(), "trace", s.SpanContext().TraceID(), "status code", attrOf(s, "http.response.status_code"))
	}
	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok {
				fmt.Println("metric:", m.Name, "count", h.DataPoints[0].Count)
			}
		}
	}
	// Output:
	// span: GET /users/{id} trace 4bf92f3577b34da6a3ce929d0e0e4736 status code 200
	// metric: http.server.request.duration count 1
}

// A server that clients on the Internet reach directly trusts no
// traceparent: each request starts a trace of its own, linked to the span
// the client named, so that a client can neither choose the trace its
// requests are filed in nor have them sampled by its flag.
func ExampleConfig_publicEndpoint() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	f, err := telemetry.New(telemetry.Config{TracerProvider: tp, PublicEndpoint: true})
	if err != nil {
		panic(err)
	}
	c := container.New(container.WithLogger(slog.New(slog.DiscardHandler)))
	c.Filter("/*", f)
	c.HandleFunc("/", func(w api.Response, r *api.Request) error { return nil })

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/", nil)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.Shutdown(context.Background())

	for _, s := range spans.Ended() {
		fmt.Println("in the client's trace:", s.SpanContext().TraceID().String() == "4bf92f3577b34da6a3ce929d0e0e4736")
		fmt.Println("parent:", s.Parent().IsValid())
		for _, l := range s.Links() {
			fmt.Println("link:", l.SpanContext.TraceID(), l.SpanContext.SpanID())
		}
	}
	// Output:
	// in the client's trace: false
	// parent: false
	// link: 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7
}

func attrOf(s sdktrace.ReadOnlySpan, key string) string {
	for _, a := range s.Attributes() {
		if string(a.Key) == key {
			return a.Value.String()
		}
	}
	return ""
}
