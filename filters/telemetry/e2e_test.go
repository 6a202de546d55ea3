package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/qos"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestEndToEndStatus: over every protocol, the span of a request answered
// by an async task carries the status the client got.
func TestEndToEndStatus(t *testing.T) {
	var s *sdk
	build := func(c *container.Container) {
		s = newSDK(t, nil)
		c.Filter("/*", s.f)
		c.HandleFunc("/task", func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			go a.Dispatch(func(w api.Response) {
				w.SetStatus(http.StatusAccepted)
				a.Complete()
			})
			return nil
		})
	}
	modes.Run(t, build, func(t *testing.T, srv *modes.Server) {
		resp, err := srv.Client.Get(srv.URL + "/task")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		wharftest.WaitFor(t, "the span", func() bool { return len(s.spans.Ended()) == 1 })
		if got := attr(s.spans.Ended()[0].Attributes(), "http.response.status_code").AsInt64(); got != int64(resp.StatusCode) || got != 202 {
			t.Errorf("status attribute %d, client got %d", got, resp.StatusCode)
		}
	})
}

// TestEndToEndClientGone: where the connector notices a client leaving a
// suspended request, its span has no status code (none was sent) and is
// not a server error (span status Unset, as OpenTelemetry's HTTP
// conventions leave client aborts out of 5xx); wharf.end and error.type,
// on the span and the metric, say client_gone.
func TestEndToEndClientGone(t *testing.T) {
	ms := []modes.Mode{modes.H2C}
	if runtime.GOOS == "linux" {
		ms = append(ms, modes.H1) // epoll
	}
	for _, m := range ms {
		t.Run(string(m), func(t *testing.T) {
			s := newSDK(t, nil)
			c := container.New(modes.Options(m)...)
			c.Filter("/*", s.f)
			c.HandleFunc("/hang", func(w api.Response, r *api.Request) error {
				cont := continuation.Of(r)
				cont.SetTimeout(time.Hour)
				return cont.Suspend()
			})
			srv := modes.Start(t, m, c)
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/hang", nil)
			done := make(chan struct{})
			go func() {
				defer close(done)
				if resp, err := srv.Client.Do(req); err == nil {
					resp.Body.Close()
				}
			}()
			wharftest.WaitFor(t, "the request to suspend", func() bool { return c.Stats().Suspended == 1 })
			cancel()
			<-done
			wharftest.WaitFor(t, "the span", func() bool { return len(s.spans.Ended()) == 1 })
			sp := s.spans.Ended()[0]
			if v := attr(sp.Attributes(), "http.response.status_code"); v.Type() != attribute.EMPTY {
				t.Errorf("a status %v for a response never sent", v.String())
			}
			if got := attr(sp.Attributes(), "wharf.end").AsString(); got != "client_gone" || sp.Status().Code != codes.Unset {
				t.Errorf("wharf.end %q, span status %v; want client_gone, Unset", got, sp.Status())
			}
			if got := attr(sp.Attributes(), "error.type").AsString(); got != "client_gone" {
				t.Errorf("span error.type %q", got)
			}
			hist := s.metrics(t)["http.server.request.duration"].(metricdata.Histogram[float64])
			if got := attr(hist.DataPoints[0].Attributes.ToSlice(), "error.type").AsString(); got != "client_gone" {
				t.Errorf("error.type %q", got)
			}
		})
	}
}

// TestEndToEndQoSRejection: on a live server, with the telemetry filter
// registered before QoS, a request QoS answers 503 after its wait has a
// span and a metric of 503, as its client received.
func TestEndToEndQoSRejection(t *testing.T) {
	for _, order := range []string{"telemetry registered first", "qos registered first, telemetry ordered first"} {
		t.Run(order, func(t *testing.T) { testEndToEndQoSRejection(t, order != "telemetry registered first") })
	}
}

func testEndToEndQoSRejection(t *testing.T, qosFirst bool) {
	s := newSDK(t, nil)
	q := qos.New(qos.Config{MaxRequests: 1, MaxWait: 50 * time.Millisecond})
	release := make(chan struct{})
	c := container.New(modes.Options(modes.H1)...)
	if qosFirst {
		// Registered after QoS, the telemetry filter would never see the
		// requests QoS answers; FilterFirst puts it outside QoS.
		c.Filter("/*", q)
		c.FilterFirst("/*", s.f)
	} else {
		c.Filter("/*", s.f)
		c.Filter("/*", q)
	}
	c.HandleFunc("/hold", func(w api.Response, r *api.Request) error {
		<-release
		return nil
	})
	c.HandleFunc("/x", func(w api.Response, r *api.Request) error { return nil })
	srv := modes.Start(t, modes.H1, c)
	held := make(chan struct{})
	go func() {
		defer close(held)
		if resp, err := srv.Client.Get(srv.URL + "/hold"); err == nil {
			resp.Body.Close()
		}
	}()
	wharftest.WaitFor(t, "the first request to hold the permit", func() bool { return q.Stats().Active == 1 })
	resp, err := srv.Client.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	close(release)
	<-held
	if resp.StatusCode != 503 {
		t.Fatalf("the client got %d, want QoS's 503", resp.StatusCode)
	}
	wharftest.WaitFor(t, "the spans", func() bool { return len(s.spans.Ended()) == 2 })
	sp := spanOf(t, s.spans.Ended(), "/x")
	if got := attr(sp.Attributes(), "http.response.status_code").AsInt64(); got != 503 || sp.Status().Code != codes.Error {
		t.Errorf("span status attribute %d, status %v; want 503, Error", got, sp.Status())
	}
	if got := statusesRecorded(t, s); got[503] != 1 || got[200] != 1 {
		t.Errorf("metric statuses %v, want one 200 and one 503", got)
	}
}
