package telemetry_test

import (
	"io"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestForwardWithFilters: a forward that runs the filters again, inside
// the request's one dispatch or from an async task of it, is not a
// re-dispatch: its span gets no wharf.resume event (nor, from a task, a
// second wharf.suspend), and the forward's target sees the request's span.
func TestForwardWithFilters(t *testing.T) {
	tests := []struct {
		name   string
		handle func(outer *string) api.HandlerFunc
		events []string
	}{
		{
			name: "in the dispatch",
			handle: func(outer *string) api.HandlerFunc {
				return func(w api.Response, r *api.Request) error {
					*outer = spanID(r)
					return dispatcher.Forward(w, r, "/b", dispatcher.WithFilters())
				}
			},
		},
		{
			name: "from an async task",
			handle: func(outer *string) api.HandlerFunc {
				return func(w api.Response, r *api.Request) error {
					*outer = spanID(r)
					a, err := async.Start(r)
					if err != nil {
						return err
					}
					go a.Dispatch(func(w api.Response) {
						if err := dispatcher.Forward(w, r, "/b", dispatcher.WithFilters()); err != nil {
							a.Fail(err)
							return
						}
						a.Complete()
					})
					return nil
				}
			},
			events: []string{"wharf.suspend"}, // async.Start's, in the dispatch
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSDK(t, nil)
			c := container.New(modes.Options(modes.H1)...)
			c.Filter("/*", s.f)
			var outer, inner string
			c.HandleFunc("/a", tt.handle(&outer))
			c.HandleFunc("/b", func(w api.Response, r *api.Request) error {
				inner = spanID(r)
				_, err := w.WriteString("b")
				return err
			})
			srv := modes.Start(t, modes.H1, c)
			resp, err := srv.Client.Get(srv.URL + "/a")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			wharftest.WaitFor(t, "the span", func() bool { return len(s.spans.Ended()) == 1 })
			sp := s.spans.Ended()[0]
			var events []string
			for _, e := range sp.Events() {
				events = append(events, e.Name)
			}
			if !slices.Equal(events, tt.events) {
				t.Errorf("span %s has events %v, want %v", sp.Name(), events, tt.events)
			}
			if outer != inner || inner != sp.SpanContext().SpanID().String() {
				t.Errorf("handler spans %s, %s; request span %s", outer, inner, sp.SpanContext().SpanID())
			}
			if got := sum(s.metrics(t)["wharf.server.suspended_requests"]); got != 0 {
				t.Errorf("suspended requests %d after completion", got)
			}
		})
	}
}

func spanID(r *api.Request) string {
	return trace.SpanContextFromContext(r.Context()).SpanID().String()
}
