package container_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/wharftest"
)

type traceKey struct{}

// ctxRecorder is a slog.Handler that keeps, for each record, the trace a
// filter put in the context it was logged with, as OpenTelemetry's slog
// bridge reads the span from it.
type ctxRecorder struct {
	mu     sync.Mutex
	traces map[string]any // message: the trace of its context
}

func (h *ctxRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *ctxRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *ctxRecorder) WithGroup(string) slog.Handler            { return h }
func (h *ctxRecorder) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.traces[r.Message] = ctx.Value(traceKey{})
	return nil
}

func (h *ctxRecorder) trace(msg string) (any, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.traces[msg]
	return v, ok
}

// failureCase is a request that fails, and the records its failure makes.
type failureCase struct {
	name    string
	handler func(api.Response, *api.Request) error
	inner   api.Filter // after the filter under test (nil: none)
	page    bool       // an error page that fails
	msgs    []string
}

// failureCases are failures of a handler that the container logs: an
// error, a chosen status, an error page that fails too, a panic and a
// suspension's expiry.
func failureCases(boom error) []failureCase {
	return []failureCase{
		{name: "handler error", handler: func(api.Response, *api.Request) error { return boom },
			msgs: []string{"wharf: request failed"}},
		{name: "chosen status", handler: func(api.Response, *api.Request) error { return api.Error(503, "backend down") },
			msgs: []string{"wharf: request failed"}},
		{name: "error page fails", handler: func(api.Response, *api.Request) error { return boom }, page: true,
			msgs: []string{"wharf: request failed", "wharf: error page failed"}},
		{name: "panic", handler: func(api.Response, *api.Request) error { panic("boom") },
			msgs: []string{"wharf: panic in serialized task"}},
		{name: "suspension expired", handler: func(w api.Response, r *api.Request) error {
			c := continuation.Of(r)
			if !c.IsInitial() {
				return boom
			}
			c.SetTimeout(time.Millisecond)
			return c.Suspend()
		}, msgs: []string{"wharf: request failed"}},
	}
}

// A failure is logged with the context of the request that failed, the
// one a filter derived (filters/telemetry puts the request's span there),
// not with the container's own: a handler that reads a trace from the
// context ties the record to the request's trace.
func TestFailureLoggedWithRequestContext(t *testing.T) {
	boom := errors.New("boom")
	tests := append(failureCases(boom), []failureCase{
		{name: "filter error", inner: api.FilterFunc(func(api.Response, *api.Request, api.Chain) error { return boom }),
			msgs: []string{"wharf: request failed"}},
		{name: "filter error after the chain", inner: api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
			if err := next.Next(w, r); err != nil {
				return err
			}
			return boom
		}), msgs: []string{"wharf: request failed"}},
		{name: "async timeout", handler: func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			a.SetTimeout(time.Millisecond) // nobody answers: 500
			return nil
		}, msgs: []string{"wharf: request failed"}},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &ctxRecorder{traces: map[string]any{}}
			c := container.New(container.WithLogger(slog.New(logs)))
			c.Filter("/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
				return next.Next(w, r.WithContext(context.WithValue(r.Context(), traceKey{}, "trace-1")))
			}))
			if tt.inner != nil {
				c.Filter("/*", tt.inner)
			}
			h := tt.handler
			if h == nil {
				h = func(w api.Response, _ *api.Request) error { _, err := w.WriteString("ok"); return err }
			}
			c.HandleFunc("/", h)
			if tt.page {
				container.ErrorPageAs[error](c.Root(), api.HandlerFunc(func(api.Response, *api.Request) error {
					return errors.New("the page failed too")
				}))
			}
			if got := listenAndGet(t, c, "/"); got/100 != 5 {
				t.Fatalf("status %d, want a 5xx", got)
			}
			for _, msg := range tt.msgs {
				switch tr, ok := logs.trace(msg); {
				case !ok:
					t.Errorf("%q not logged", msg)
				case tr != "trace-1":
					t.Errorf("%q logged with trace %v, want the request's (trace-1)", msg, tr)
				}
			}
		})
	}
}

// A failure's record names the client as the filters established it:
// behind a proxy the connection's peer is the proxy, and filters/forwarded
// passes on a request with the client's address, which an operator needs
// on the record of a 500 or a panic to find who sent it.
func TestFailureLoggedWithClient(t *testing.T) {
	boom := errors.New("boom")
	const client = "203.0.113.9:4711"
	tests := failureCases(boom)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs, logger := wharftest.NewLogRecorder()
			c := container.New(container.WithLogger(logger))
			c.Filter("/*", api.FilterFunc(func(w api.Response, r *api.Request, next api.Chain) error {
				head := r.Head() // as filters/forwarded derives the client's request
				conn := *head.Conn
				conn.RemoteAddr = client
				head.Conn = &conn
				return next.Next(w, r.WithHead(&head))
			}))
			c.HandleFunc("/", tt.handler)
			if tt.page {
				container.ErrorPageAs[error](c.Root(), api.HandlerFunc(func(api.Response, *api.Request) error {
					return errors.New("the page failed too")
				}))
			}
			if got := listenAndGet(t, c, "/"); got/100 != 5 {
				t.Fatalf("status %d, want a 5xx", got)
			}
			for _, msg := range tt.msgs {
				recs := logs.RecordsOf(msg)
				if len(recs) != 1 {
					t.Errorf("%d records %q, want 1", len(recs), msg)
					continue
				}
				if got := recs[0].Attrs["remote"].String(); got != client {
					t.Errorf("%q logged with remote %q, want the client's %q", msg, got, client)
				}
			}
		})
	}
}
