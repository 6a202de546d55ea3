package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/telemetry"
	"github.com/wharf-go/wharf/internal/modes"
)

// With PublicEndpoint a client's traceparent is a link, not the parent:
// the request's span starts a trace of its own, which a parent-based
// sampler samples by its own rule (here: never) however the client's
// flag reads, and the handler, with or without an SDK, never sees the
// client's trace; its baggage still comes through. Without it, the
// client's trace is continued and its sampled flag followed.
func TestPublicEndpoint(t *testing.T) {
	const (
		traceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
		traceparent = "00-" + traceID + "-00f067aa0ba902b7-01" // sampled
	)
	for _, tt := range []struct {
		name   string
		sdk    bool
		public bool
	}{
		{"SDK, public", true, true},
		{"SDK, not public", true, false},
		{"no SDK, public", false, true},
		{"no-op, public", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spans := tracetest.NewSpanRecorder()
			cfg := telemetry.Config{PublicEndpoint: tt.public}
			switch {
			case tt.sdk:
				// Roots are never sampled; children follow their parent.
				tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans),
					sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())))
				t.Cleanup(func() { tp.Shutdown(context.Background()) })
				cfg.TracerProvider = tp
			case tt.name == "no-op, public":
				cfg.TracerProvider = tracenoop.NewTracerProvider()
			}
			c := container.New(modes.Options(modes.H1)...)
			c.Filter("/*", newFilter(t, cfg))
			type seen struct {
				baggage string
				span    trace.SpanContext
			}
			seenc := make(chan seen, 1)
			c.HandleFunc("/", func(w api.Response, r *api.Request) error {
				seenc <- seen{baggage.FromContext(r.Context()).Member("k").Value(), trace.SpanContextFromContext(r.Context())}
				return nil
			})
			srv := modes.Start(t, modes.H1, c)
			req, _ := http.NewRequest("GET", srv.URL+"/", nil)
			req.Header.Set("Traceparent", traceparent)
			req.Header.Set("Baggage", "k=v")
			resp, err := srv.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			got := <-seenc
			if got.baggage != "v" {
				t.Errorf("baggage k: %q, want v", got.baggage)
			}
			if client := got.span.TraceID().String() == traceID; client == tt.public {
				t.Errorf("the handler's span %v: in the client's trace %v, want %v", got.span, client, !tt.public)
			}
			if !tt.sdk {
				return
			}
			// A span ends when its request completes, which Shutdown waits for.
			c.Shutdown(context.Background())
			ended := spans.Ended()
			switch {
			case tt.public && len(ended) != 0:
				t.Errorf("%d spans recorded, want none: the client's sampled flag chose", len(ended))
			case !tt.public && len(ended) != 1:
				t.Errorf("%d spans recorded, want the one continuing the client's sampled trace", len(ended))
			}
		})
	}
}

// The link to the client's span, which a recording span keeps.
func TestPublicEndpointLink(t *testing.T) {
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	c := container.New(modes.Options(modes.H1)...)
	c.Filter("/*", newFilter(t, telemetry.Config{TracerProvider: tp, PublicEndpoint: true}))
	c.HandleFunc("/", func(w api.Response, r *api.Request) error { return nil })
	srv := modes.Start(t, modes.H1, c)
	for _, tp := range []string{"00-" + traceID + "-00f067aa0ba902b7-01", ""} {
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		if tp != "" {
			req.Header.Set("Traceparent", tp)
		}
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	c.Shutdown(context.Background())
	ended := spans.Ended()
	if len(ended) != 2 {
		t.Fatalf("%d spans, want 2", len(ended))
	}
	// The spans end as their requests complete, in either order.
	linked, plain := ended[0], ended[1]
	if len(linked.Links()) == 0 {
		linked, plain = plain, linked
	}
	if linked.Parent().IsValid() || linked.SpanContext().TraceID().String() == traceID {
		t.Errorf("span with parent %v in trace %v, want a root of its own", linked.Parent(), linked.SpanContext().TraceID())
	}
	if l := linked.Links(); len(l) != 1 || l[0].SpanContext.TraceID().String() != traceID || l[0].SpanContext.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("links %v, want the client's span", l)
	}
	if l := plain.Links(); len(l) != 0 || plain.Parent().IsValid() {
		t.Errorf("links %v, parent %v of a request with no traceparent, want none", l, plain.Parent())
	}
}
