package telemetry_test

import (
	"io"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestClientErrorIsNoError: a 4xx answer is the client's mistake, not the
// server's: its span status stays Unset and neither the span nor the
// duration metric has an error.type (OpenTelemetry's HTTP conventions),
// whether the handler set the status or returned an error that chose it,
// or the container answered it (no handler, a method not allowed). A 5xx
// keeps its error.type.
func TestClientErrorIsNoError(t *testing.T) {
	tests := []struct {
		method, path string
		status       int64
		errorType    string // "" for none
	}{
		{"GET", "/set404", 404, ""},
		{"GET", "/return400", 400, ""},
		{"GET", "/nowhere", 404, ""},
		{"POST", "/getonly", 405, ""},
		{"GET", "/return503", 503, "503"},
	}
	s := newSDK(t, nil)
	c := container.New(modes.Options(modes.H1)...)
	c.Filter("/*", s.f)
	c.HandleFunc("/set404", func(w api.Response, r *api.Request) error { return w.SetStatus(404) })
	c.HandleFunc("/return400", func(w api.Response, r *api.Request) error { return api.Error(400, "bad id") })
	c.HandleFunc("GET /getonly", func(w api.Response, r *api.Request) error { return nil })
	c.HandleFunc("/return503", func(w api.Response, r *api.Request) error { return api.Error(503, "backend down") })
	srv := modes.Start(t, modes.H1, c)
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if int64(resp.StatusCode) != tt.status {
			t.Fatalf("%s %s: the client got %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
		}
	}
	wharftest.WaitFor(t, "the spans", func() bool { return len(s.spans.Ended()) == len(tests) })
	for _, tt := range tests {
		sp := spanOf(t, s.spans.Ended(), tt.path)
		if got := attr(sp.Attributes(), "error.type").String(); got != tt.errorType {
			t.Errorf("%s %s: span error.type %q, want %q", tt.method, tt.path, got, tt.errorType)
		}
		if wantErr := tt.status >= 500; (sp.Status().Code == codes.Error) != wantErr {
			t.Errorf("%s %s: span status %v", tt.method, tt.path, sp.Status())
		}
	}
	hist := s.metrics(t)["http.server.request.duration"].(metricdata.Histogram[float64])
	for _, dp := range hist.DataPoints {
		status, _ := dp.Attributes.Value("http.response.status_code")
		et, has := dp.Attributes.Value(attribute.Key("error.type"))
		if want := status.AsInt64() >= 500; has != want {
			t.Errorf("duration series of status %d: error.type %q", status.AsInt64(), et.String())
		}
	}
}
