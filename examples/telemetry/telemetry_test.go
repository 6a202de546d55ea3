package main

import (
	"bytes"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"github.com/wharf-go/wharf/internal/wharftest"
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

// The spans of the requests still in flight when the server shuts down
// are exported: here /delays suspended for a minute, which the shutdown
// expires. The providers must shut down after the container has drained
// its requests, not as its Shutdown begins, or those spans are dropped.
// Several requests make the loss certain rather than likely: each races
// the providers' shutdown.
func TestShutdownExportsSpansInFlight(t *testing.T) {
	const n = 20
	var logged syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	base, stop := exampletest.RunCommand(t, command.Run, "-trace-log")
	client := exampletest.NewClient(t)
	answered := make(chan exampletest.Answer, n)
	for range n {
		go func() {
			a, err := exampletest.Fetch(client, base+"/delay?ms=60000")
			if err != nil {
				t.Errorf("GET /delay: %v", err)
			}
			answered <- a
		}()
	}
	suspended := regexp.MustCompile(`(?m)^wharf_server_suspended_requests\{[^}]*\} ` + strconv.Itoa(n) + `$`)
	wharftest.WaitFor(t, "every /delay to suspend", func() bool {
		a, err := exampletest.Fetch(client, base+"/metrics")
		return err == nil && suspended.MatchString(a.Body)
	})
	if err := stop(); err != nil {
		t.Fatalf("run returned %v", err)
	}
	for range n {
		if a := <-answered; a.Status != 200 || a.Body != "delayed" {
			t.Errorf("/delay at shutdown: %v, want 200 \"delayed\"", a)
		}
	}
	out := logged.String()
	if got := strings.Count(out, `name="GET /delay"`); got != n {
		t.Errorf("%d spans logged for the %d /delays in flight at shutdown, want %d; log:\n%s", got, n, n, out)
	}
}

// syncBuffer is a bytes.Buffer the server's goroutines may write to while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
