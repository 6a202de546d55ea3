package telemetry_test

import (
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/qos"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestQoSRejection proves that a request a QoS filter answers 503 after
// its wait is recorded as the 503 its client received (span and metric),
// with the telemetry filter before QoS in the chain. After it, the
// telemetry filter never sees a request QoS answers without passing it on
// (see the package documentation); a container puts it before QoS with
// FilterFirst whatever the registration order (TestEndToEndQoSRejection).
func TestQoSRejection(t *testing.T) {
	for _, order := range []string{"telemetry before qos"} {
		t.Run(order, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSDK(t, nil)
				q := qos.New(qos.Config{MaxRequests: 1, MaxWait: time.Second})
				release := make(chan struct{})
				h := api.HandlerFunc(func(w api.Response, r *api.Request) error {
					if r.Path() == "/hold" {
						<-release
					}
					return nil
				})
				chain := api.Compose(h, s.f, q)
				holder := wharftest.NewExchangeFor(chain, wharftest.Head("GET", "/hold"), nil)
				go holder.Begin()
				synctest.Wait()
				x := wharftest.NewExchangeFor(chain, wharftest.Head("GET", "/wait"), nil).Begin()
				<-x.Done()
				if got := x.Out.Status(); got != 503 {
					t.Fatalf("the client got %d, want QoS's 503", got)
				}
				close(release)
				<-holder.Done()
				sp := spanOf(t, s.spans.Ended(), "/wait")
				if got := attr(sp.Attributes(), "http.response.status_code").AsInt64(); got != 503 || sp.Status().Code != codes.Error {
					t.Errorf("span status attribute %d, status %v; want 503, Error", got, sp.Status())
				}
				if got := attr(sp.Attributes(), "error.type").AsString(); got != "503" {
					t.Errorf("span error.type %q, want 503", got)
				}
				if got := statusesRecorded(t, s); got[503] != 1 || got[200] != 1 {
					t.Errorf("metric statuses %v, want one 200 and one 503", got)
				}
			})
		})
	}
}

// spanOf returns the ended span whose url.path is path.
func spanOf(t *testing.T, spans []sdktrace.ReadOnlySpan, path string) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, sp := range spans {
		if attr(sp.Attributes(), "url.path").AsString() == path {
			return sp
		}
	}
	t.Fatalf("no span for %s among %d", path, len(spans))
	return nil
}

// statusesRecorded counts the request durations recorded by status.
func statusesRecorded(t *testing.T, s *sdk) map[int64]uint64 {
	t.Helper()
	out := map[int64]uint64{}
	hist, _ := s.metrics(t)["http.server.request.duration"].(metricdata.Histogram[float64])
	for _, dp := range hist.DataPoints {
		v, _ := dp.Attributes.Value(attribute.Key("http.response.status_code"))
		out[v.AsInt64()] += dp.Count
	}
	return out
}
