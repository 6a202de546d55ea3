package telemetry_test

import (
	"context"
	"encoding/binary"
	"io"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/telemetry"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// seqIDs gives root spans trace IDs whose sampling value alternates high,
// low, high...: TraceIDRatioBased(0.5) then drops every other root span.
type seqIDs struct {
	mu sync.Mutex
	n  uint64
}

func (g *seqIDs) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	var tid trace.TraceID
	tid[0] = byte(g.n)
	if g.n%2 == 1 {
		binary.BigEndian.PutUint64(tid[8:], 1<<63|g.n) // above the bound: dropped
	} else {
		binary.BigEndian.PutUint64(tid[8:], g.n) // below it: sampled
	}
	return tid, trace.SpanID{7, byte(g.n)}
}

func (g *seqIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	return trace.SpanID{9, byte(g.n)}
}

// TestSamplingDecidedOnce: tracing only (no metrics read), a request a
// ratio sampler drops on its first pass is not traced from a later pass:
// the sampling decision and the trace are the request's, not a pass's.
func TestSamplingDecidedOnce(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans),
		sdktrace.WithSampler(sdktrace.TraceIDRatioBased(0.5)), sdktrace.WithIDGenerator(&seqIDs{}))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	f, err := telemetry.New(telemetry.Config{TracerProvider: tp, MeterProvider: noop.NewMeterProvider()})
	if err != nil {
		t.Fatal(err)
	}
	c := container.New(modes.Options(modes.H1)...)
	// The test resumes only once the first dispatch left the telemetry
	// filter: a Resume before its look at the suspension would be one the
	// filter cannot tell from no suspension (IsSuspended is false once a
	// Resume decided it), a race of the test's, which this outer filter
	// closes.
	left := make(chan struct{}, 1)
	c.FilterFirst("/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
		err := next.Next(w, r)
		if continuation.Of(r).IsInitial() {
			left <- struct{}{}
		}
		return err
	}))
	c.Filter("/*", f)
	traces := make(chan trace.TraceID, 2)
	suspended := make(chan *exchange.Exchange, 1)
	c.HandleFunc("/wait", suspendOnce(func(r *api.Request) {
		traces <- trace.SpanContextFromContext(r.Context()).TraceID()
	}, suspended))
	srv := modes.Start(t, modes.H1, c)
	done := make(chan error, 1)
	go func() {
		resp, err := srv.Client.Get(srv.URL + "/wait")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	ex := <-suspended
	<-left
	if err := ex.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	first, second := <-traces, <-traces
	if first != second {
		t.Errorf("trace %v on the first pass, %v after the resume; want one trace", first, second)
	}
	if n := len(spans.Ended()); n != 0 {
		sp := spans.Ended()[0]
		t.Errorf("%d spans for a request not sampled; the first, %q, lasted %v from the resume", n, sp.Name(), sp.EndTime().Sub(sp.StartTime()))
	}
}

// pathSampler drops the spans whose url.path, as Start gave it, is
// /healthz, and keeps what Start gave it.
type pathSampler struct {
	mu   sync.Mutex
	seen []sdktrace.SamplingParameters
}

func (s *pathSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	s.mu.Lock()
	s.seen = append(s.seen, p)
	s.mu.Unlock()
	for _, a := range p.Attributes {
		if a.Key == "url.path" && a.Value.AsString() == "/healthz" {
			return sdktrace.SamplingResult{Decision: sdktrace.Drop}
		}
	}
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample}
}

func (s *pathSampler) Description() string { return "pathSampler" }

// TestSamplerSeesRequest: the span name and the attributes the conventions
// require at span creation reach the sampler, so that it can decide by
// them (drop health checks by url.path).
func TestSamplerSeesRequest(t *testing.T) {
	smp := &pathSampler{}
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(smp), sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	f, err := telemetry.New(telemetry.Config{TracerProvider: tp, MeterProvider: noop.NewMeterProvider()})
	if err != nil {
		t.Fatal(err)
	}
	c := container.New()
	c.Filter("/*", f)
	c.HandleFunc("/*", func(w api.Response, r *api.Request) error { return nil })
	s := modes.Start(t, modes.H1, c)
	for _, path := range []string{"/healthz", "/items"} {
		resp, err := s.Client.Get(s.URL + path + "?id=7")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	wantSeen := []string{"http.request.method", "url.scheme", "url.path", "url.query", "server.address", "server.port", "client.address", "user_agent.original"}
	smp.mu.Lock()
	for _, p := range smp.seen {
		if p.Name != "GET /*" {
			t.Errorf("the sampler saw the name %q, want %q", p.Name, "GET /*")
		}
		for _, key := range wantSeen {
			if attr(p.Attributes, key).Type() == 0 {
				t.Errorf("the sampler saw no %s in %v", key, p.Attributes)
			}
		}
	}
	smp.mu.Unlock()
	wharftest.WaitFor(t, "the span of /items", func() bool { return len(spans.Ended()) >= 1 })
	if ended := spans.Ended(); len(ended) != 1 || attr(ended[0].Attributes(), "url.path").AsString() != "/items" {
		t.Errorf("%d spans ended; want the one of /items, /healthz dropped", len(ended))
	}
}
