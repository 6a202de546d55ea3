package telemetry_test

import (
	"io"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestRouteIsPattern: http.route is the matched pattern (low
// cardinality), not the concrete path.
func TestRouteIsPattern(t *testing.T) {
	s := newSDK(t, nil)
	c := container.New(modes.Options(modes.H1)...)
	c.Filter("/*", s.f)
	ok := func(w api.Response, r *api.Request) error { _, err := w.WriteString("ok"); return err }
	c.HandleFunc("GET /users/{id}", ok)
	c.HandleFunc("/files/*", ok)
	c.HandleFunc("*.txt", ok)
	srv := modes.Start(t, modes.H1, c)
	for _, p := range []string{"/users/42", "/files/a/b", "/x/y.txt"} {
		resp, err := srv.Client.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	wharftest.WaitFor(t, "spans", func() bool { return len(s.spans.Ended()) == 3 })
	want := map[string]string{"/users/42": "/users/{id}", "/files/a/b": "/files/*", "/x/y.txt": "/*.txt"}
	for _, sp := range s.spans.Ended() {
		path := attr(sp.Attributes(), "url.path").AsString()
		route := attr(sp.Attributes(), "http.route").AsString()
		if route != want[path] || sp.Name() != "GET "+want[path] {
			t.Errorf("%s: http.route %q, span name %q; want the pattern %q", path, route, sp.Name(), want[path])
		}
	}
	hist := s.metrics(t)["http.server.request.duration"].(metricdata.Histogram[float64])
	for _, dp := range hist.DataPoints {
		r, _ := dp.Attributes.Value("http.route")
		if r.AsString() != want["/users/42"] && r.AsString() != want["/files/a/b"] && r.AsString() != want["/x/y.txt"] {
			t.Errorf("metric series with http.route %q", r.AsString())
		}
	}
}

// TestUnknownMethod: a method outside the known set is recorded as
// _OTHER (semconv), so that clients cannot mint metric series.
func TestUnknownMethod(t *testing.T) {
	s := newSDK(t, nil)
	c := container.New(modes.Options(modes.H1)...)
	c.Filter("/*", s.f)
	c.HandleFunc("/*", func(w api.Response, r *api.Request) error { return nil })
	srv := modes.Start(t, modes.H1, c)
	req, _ := http.NewRequest("FOOBAR123", srv.URL+"/a", nil)
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	wharftest.WaitFor(t, "span", func() bool { return len(s.spans.Ended()) == 1 })
	sp := s.spans.Ended()[0]
	if m := attr(sp.Attributes(), "http.request.method").AsString(); m != "_OTHER" || sp.Name() != "HTTP /*" ||
		attr(sp.Attributes(), "http.request.method_original").AsString() != "FOOBAR123" {
		t.Errorf("http.request.method %q, span name %q, method_original %q; want _OTHER, \"HTTP /*\", FOOBAR123",
			m, sp.Name(), attr(sp.Attributes(), "http.request.method_original").AsString())
	}
	hist := s.metrics(t)["http.server.request.duration"].(metricdata.Histogram[float64])
	for _, dp := range hist.DataPoints {
		if m, _ := dp.Attributes.Value("http.request.method"); m.AsString() != "_OTHER" {
			t.Errorf("metric series with http.request.method %q", m.AsString())
		}
	}
}
