package telemetry_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/telemetry"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/modes"
)

// providers are the tracers a propagation test runs under: an SDK
// recording in memory, and none, as the global provider is before an SDK
// is installed or OpenTelemetry's no-op one configured. sdk says whether
// the handler gets a span of its own.
var providers = []struct {
	name   string
	sdk    bool
	filter func(t *testing.T) *telemetry.Filter
}{
	{"SDK", true, func(t *testing.T) *telemetry.Filter { return newSDK(t, nil).f }},
	{"no SDK", false, func(t *testing.T) *telemetry.Filter { return newFilter(t, telemetry.Config{}) }},
	{"no-op", false, func(t *testing.T) *telemetry.Filter {
		return newFilter(t, telemetry.Config{TracerProvider: tracenoop.NewTracerProvider()})
	}},
}

func newFilter(t *testing.T, cfg telemetry.Config) *telemetry.Filter {
	t.Helper()
	f, err := telemetry.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBaggage: the handler sees the baggage the client propagated, with a
// traceparent or without, whether a span is recorded or not, and the
// client's trace when it sent one.
func TestBaggage(t *testing.T) {
	const (
		traceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
		traceparent = "00-" + traceID + "-00f067aa0ba902b7-01"
	)
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			c := container.New(modes.Options(modes.H1)...)
			c.Filter("/*", p.filter(t))
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
			for _, tt := range []struct {
				name                 string
				traceparent, baggage bool
			}{
				{"traceparent and baggage", true, true},
				{"baggage only", false, true},
				{"traceparent only", true, false},
				{"neither", false, false},
			} {
				t.Run(tt.name, func(t *testing.T) {
					req, _ := http.NewRequest("GET", srv.URL+"/", nil)
					if tt.traceparent {
						req.Header.Set("Traceparent", traceparent)
					}
					if tt.baggage {
						req.Header.Set("Baggage", "k=v")
					}
					resp, err := srv.Client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					got := <-seenc
					if want := map[bool]string{true: "v"}[tt.baggage]; got.baggage != want {
						t.Errorf("baggage k: %q, want %q", got.baggage, want)
					}
					switch {
					case tt.traceparent && got.span.TraceID().String() != traceID:
						t.Errorf("trace %v, want the client's %s", got.span.TraceID(), traceID)
					case !tt.traceparent && got.span.IsValid() != p.sdk:
						t.Errorf("span %v valid: %v, want %v", got.span.SpanID(), got.span.IsValid(), p.sdk)
					}
				})
			}
		})
	}
}

// TestBaggageFields: baggage a client split over several fields is one
// (W3C Baggage allows several fields, which combine as a list), not its
// first field alone.
func TestBaggageFields(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			c := container.New(modes.Options(modes.H1)...)
			c.Filter("/*", p.filter(t))
			seen := make(chan baggage.Baggage, 1)
			c.HandleFunc("/", func(w api.Response, r *api.Request) error {
				seen <- baggage.FromContext(r.Context())
				return nil
			})
			srv := modes.Start(t, modes.H1, c)
			req, _ := http.NewRequest("GET", srv.URL+"/", nil)
			req.Header.Add("Baggage", "k=v")
			req.Header.Add("Baggage", "k2=v2,k3=v3")
			resp, err := srv.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			b := <-seen
			if b.Len() != 3 || b.Member("k").Value() != "v" || b.Member("k2").Value() != "v2" || b.Member("k3").Value() != "v3" {
				t.Errorf("baggage %q, want k=v,k2=v2,k3=v3", b.String())
			}
		})
	}
}

// TestRedispatchContext: the pass after a resume or a timeout sees, as
// the first one does, the baggage the client propagated and the request's
// span (none with no SDK, where the client sent no traceparent).
func TestRedispatchContext(t *testing.T) {
	for _, p := range providers {
		for _, wake := range []string{"resume", "expire"} {
			t.Run(p.name+"/"+wake, func(t *testing.T) {
				testRedispatchContext(t, p.filter(t), p.sdk, wake)
			})
		}
	}
}

func testRedispatchContext(t *testing.T, f *telemetry.Filter, sdk bool, wake string) {
	c := container.New(modes.Options(modes.H1)...)
	c.Filter("/*", f)
	type pass struct {
		baggage string
		span    trace.SpanID
	}
	passes := make(chan pass, 2)
	suspended := make(chan *exchange.Exchange, 1)
	c.HandleFunc("/wait", suspendOnce(func(r *api.Request) {
		passes <- pass{baggage.FromContext(r.Context()).Member("k").Value(), trace.SpanContextFromContext(r.Context()).SpanID()}
	}, suspended))
	srv := modes.Start(t, modes.H1, c)
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("GET", srv.URL+"/wait", nil)
		req.Header.Set("Baggage", "k=v")
		resp, err := srv.Client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	x := <-suspended
	var err error
	if wake == "resume" {
		err = x.Resume()
	} else {
		err = x.Expire()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	first, second := <-passes, <-passes
	if first.baggage != "v" || second.baggage != "v" {
		t.Errorf("baggage k: %q on the first pass, %q after %s; want v on both", first.baggage, second.baggage, wake)
	}
	if first.span.IsValid() != sdk || second.span != first.span {
		t.Errorf("span %v on the first pass, %v after %s; want the same, valid: %v", first.span, second.span, wake, sdk)
	}
}

// suspendOnce is a handler that calls pass on every dispatch and suspends
// its initial one for an hour, sending its exchange on suspended for the
// test to resume or expire; a re-dispatch answers 200.
func suspendOnce(pass func(r *api.Request), suspended chan<- *exchange.Exchange) api.HandlerFunc {
	return func(w api.Response, r *api.Request) error {
		pass(r)
		cont := continuation.Of(r)
		if !cont.IsInitial() {
			return nil
		}
		cont.SetTimeout(time.Hour)
		if err := cont.Suspend(); err != nil {
			return err
		}
		suspended <- exchange.From(r)
		return nil
	}
}
