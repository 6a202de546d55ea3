package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/baggage"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/telemetry"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestPassesContext: every pass of a request its handlers see — a
// forward's or an include's target, with the filters run again or not, an
// async task, a re-dispatch — carries the span and the baggage of its
// initial dispatch, with an SDK, without one, and with an SDK that does
// not sample the request and reads no metric (the filter keeps nothing of
// such a request but its span).
func TestPassesContext(t *testing.T) {
	provs := append(providers[:len(providers):len(providers)], struct {
		name   string
		sdk    bool
		filter func(t *testing.T) *telemetry.Filter
	}{"SDK not sampled", true, func(t *testing.T) *telemetry.Filter {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
		t.Cleanup(func() { tp.Shutdown(context.Background()) })
		return newFilter(t, telemetry.Config{TracerProvider: tp, MeterProvider: metricnoop.NewMeterProvider()})
	}})
	tests := []struct {
		name   string
		handle func(seen *passes) api.HandlerFunc
	}{
		{"forward", func(*passes) api.HandlerFunc {
			return func(w api.Response, r *api.Request) error { return dispatcher.Forward(w, r, "/b") }
		}},
		{"forward with filters", func(*passes) api.HandlerFunc {
			return func(w api.Response, r *api.Request) error {
				return dispatcher.Forward(w, r, "/b", dispatcher.WithFilters())
			}
		}},
		{"include with filters", func(*passes) api.HandlerFunc {
			return func(w api.Response, r *api.Request) error {
				return dispatcher.Include(w, r, "/b", dispatcher.WithFilters())
			}
		}},
		{"async task's forward", func(seen *passes) api.HandlerFunc {
			return func(w api.Response, r *api.Request) error {
				a, err := async.Start(r)
				if err != nil {
					return err
				}
				return a.Dispatch(func(w api.Response) {
					seen.add("task", a.Request())
					if err := dispatcher.Forward(w, a.Request(), "/b", dispatcher.WithFilters()); err != nil {
						a.Fail(err)
						return
					}
					a.Complete()
				})
			}
		}},
		{"redispatch's forward", func(*passes) api.HandlerFunc {
			return func(w api.Response, r *api.Request) error {
				if !continuation.Of(r).IsInitial() {
					return dispatcher.Forward(w, r, "/b", dispatcher.WithFilters())
				}
				a, err := async.Start(r)
				if err != nil {
					return err
				}
				return a.Dispatch(func(api.Response) { a.Redispatch() })
			}
		}},
	}
	for _, p := range provs {
		for _, tt := range tests {
			for _, traceparent := range []string{"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"} {
				name := p.name + "/" + tt.name + "/no traceparent"
				if traceparent != "" {
					name = p.name + "/" + tt.name + "/traceparent"
				}
				t.Run(name, func(t *testing.T) {
					var seen passes
					c := container.New(modes.Options(modes.H1)...)
					c.Filter("/*", p.filter(t))
					handle := tt.handle(&seen)
					c.HandleFunc("/a", func(w api.Response, r *api.Request) error {
						seen.add("a", r)
						return handle(w, r)
					})
					c.HandleFunc("/b", func(w api.Response, r *api.Request) error {
						seen.add("b", r)
						return nil
					})
					srv := modes.Start(t, modes.H1, c)
					req, _ := http.NewRequest("GET", srv.URL+"/a", nil)
					req.Header.Set("Baggage", "k=v")
					if traceparent != "" {
						req.Header.Set("Traceparent", traceparent)
					}
					resp, err := srv.Client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					seen.check(t, p.sdk || traceparent != "")
				})
			}
		}
	}
}

// passes records what the passes of a request see in their contexts.
type passes struct {
	mu   sync.Mutex
	seen []passSeen
}

type passSeen struct {
	name, baggage string
	span          trace.SpanID
}

func (p *passes) add(name string, r *api.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, passSeen{name, baggage.FromContext(r.Context()).Member("k").Value(), trace.SpanContextFromContext(r.Context()).SpanID()})
}

// check fails t unless the passes all saw the baggage k=v and the span of
// the first, a valid one if span.
func (p *passes) check(t *testing.T, span bool) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.seen) < 2 || p.seen[len(p.seen)-1].name != "b" {
		t.Fatalf("passes %v, want the forward's target last", p.seen)
	}
	first := p.seen[0]
	for _, s := range p.seen {
		if s.baggage != "v" || s.span != first.span || s.span.IsValid() != span {
			t.Errorf("passes (name, baggage k, span) %v: want k=v and one span, valid: %v", p.seen, span)
			return
		}
	}
}
