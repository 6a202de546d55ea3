package main

import (
	"testing"
	"time"
)

func TestParseH2Load(t *testing.T) {
	const times = `                     min         max         mean         sd        +/- sd
time for request:       17us     12.03ms      1.30ms      1.16ms    85.49%
`
	tests := []struct {
		name              string
		requests          string
		succeeded, failed int64
	}{
		{"all succeeded", "requests: 144370 total, 144370 started, 144370 done, 144370 succeeded, 0 failed, 0 errored, 0 timeout", 144370, 0},
		// HTTP-level failures (non-2xx/3xx) are failed but not errored.
		{"non-2xx answers", "requests: 144370 total, 144370 started, 144370 done, 144360 succeeded, 10 failed, 0 errored, 0 timeout", 144360, 10},
		// errored is a subset of failed: 10 requests failed, not 20.
		{"connection errors", "requests: 10 total, 0 started, 0 done, 0 succeeded, 10 failed, 10 errored, 0 timeout", 0, 10},
		// timeout is a subset of errored: 4 requests failed, not 12.
		{"timeouts", "requests: 100 total, 100 started, 96 done, 96 succeeded, 4 failed, 4 errored, 4 timeout", 96, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := "finished in 3.00s, 72185.00 req/s, 2.13MB/s\n" + tt.requests + "\n" + times
			r, err := parseH2Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if r.RPS != 72185 || r.Succeeded != tt.succeeded || r.Failed != tt.failed {
				t.Errorf("got RPS %v, %d succeeded, %d failed; want 72185, %d, %d", r.RPS, r.Succeeded, r.Failed, tt.succeeded, tt.failed)
			}
			if r.Min != 17*time.Microsecond || r.Max != 12030*time.Microsecond || r.Mean != 1300*time.Microsecond {
				t.Errorf("times: %v %v %v", r.Min, r.Max, r.Mean)
			}
		})
	}
	if _, err := parseH2Load("h2load: connection refused"); err == nil {
		t.Error("no error without a summary")
	}
}
