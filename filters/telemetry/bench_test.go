package telemetry_test

import (
	"testing"

	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/telemetry"
	"github.com/wharf-go/wharf/internal/wharftest"
)

var answer = api.HandlerFunc(func(w api.Response, r *api.Request) error { return nil })

// The cost of the filter with no OpenTelemetry SDK installed (the global
// no-op providers), against the same chain without it and with the SDK
// recording in memory. Requests are served without a container, so the
// figures are the filter's own.
func BenchmarkNoFilter(b *testing.B) { benchChain(b, answer) }

func BenchmarkNoProvider(b *testing.B) {
	f, err := telemetry.New(telemetry.Config{})
	if err != nil {
		b.Fatal(err)
	}
	benchChain(b, api.Compose(answer, f))
}

// Without a traceparent header there is no trace context to carry on.
func BenchmarkNoProviderNoTraceparent(b *testing.B) {
	f, err := telemetry.New(telemetry.Config{})
	if err != nil {
		b.Fatal(err)
	}
	h := api.Compose(answer, f)
	r := wharftest.Request("GET", "/items?id=7")
	w := wharftest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.Serve(w, r)
	}
}

func BenchmarkSDK(b *testing.B) {
	t := &testing.T{}
	s := newSDK(t, nil)
	benchChain(b, api.Compose(answer, s.f))
}

func benchChain(b *testing.B, h api.Handler) {
	r := wharftest.Request("GET", "/items?id=7", "Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	w := wharftest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.Serve(w, r)
	}
}

// With no SDK installed (the global providers) or OpenTelemetry's no-op
// tracer configured, the filter builds no span attributes: no sampler
// would see them. The global provider is recognised by its package, an
// OpenTelemetry internal: this fails if that ever moves, rather than let
// the filter's cost triple unnoticed.
func TestIdleTracerAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("allocation counts under the race detector")
	}
	for _, tt := range []struct {
		name string
		cfg  telemetry.Config
	}{
		{"global", telemetry.Config{}},
		{"no-op", telemetry.Config{TracerProvider: tracenoop.NewTracerProvider()}},
	} {
		f, err := telemetry.New(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		h := api.Compose(answer, f)
		r := wharftest.Request("GET", "/items?id=7")
		w := wharftest.NewRecorder()
		if n := testing.AllocsPerRun(100, func() { h.Serve(w, r) }); n > 6 {
			t.Errorf("%s: %.0f allocations a request, want at most 6", tt.name, n)
		}
	}
}

// Baggage without a traceparent: no span to carry, the baggage still.
func BenchmarkNoProviderBaggage(b *testing.B) {
	f, err := telemetry.New(telemetry.Config{})
	if err != nil {
		b.Fatal(err)
	}
	h := api.Compose(answer, f)
	r := wharftest.Request("GET", "/items?id=7", "Baggage", "k=v")
	w := wharftest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.Serve(w, r)
	}
}
