package main

import (
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Requests through the filter show in /metrics, in the Prometheus format.
func TestMetrics(t *testing.T) {
	base, stop := exampletest.RunCommand(t, command.Run, "-trace-log")
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	client := exampletest.NewClient(t)
	for _, p := range []string{"/hello?name=otel", "/delay?ms=10", "/fail"} {
		exampletest.Get(t, client, base+p)
	}
	// ms=0 answers at once: as a timeout, 0 would mean "forever".
	if a := exampletest.Get(t, client, base+"/delay?ms=0"); a.Status != 200 || a.Body != "delayed" {
		t.Errorf("/delay?ms=0: %v", a)
	}
	m := exampletest.Get(t, client, base+"/metrics")
	if m.Status != 200 {
		t.Fatalf("/metrics: %v", m)
	}
	for _, want := range []string{
		`http_server_request_duration_seconds_count{`,
		`http_response_status_code="200"`,
		`http_response_status_code="503"`,
		`http_route="/delay"`,
		`error_type="503"`,
		`http_server_active_requests{`,
		`wharf_server_suspended_requests{`,
		`wharf_executor_workers{`,
	} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, m.Body)
		}
	}
}
