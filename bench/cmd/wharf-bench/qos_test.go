package main

import (
	"strings"
	"testing"
	"time"
)

// TestQoSTargetsWithFailures checks that the QoS targets are not judged
// met on runs where requests failed: wharf-load leaves errors and timeouts
// out of the response times, so a probe that timed out would vanish from
// the p99 the first target judges, and an excess request never answered
// from the 503s' p99 the second one judges.
func TestQoSTargetsWithFailures(t *testing.T) {
	run := func(level int, p99 time.Duration, failures int64) QoSRun {
		r := QoSRun{Server: "wharf-qos", Level: level, PeakRSSKiB: 20000}
		r.Report.Probe.P99 = p99
		r.Report.Failures = failures
		if level == 150 {
			r.Report.Codes = map[string]int64{"2xx": 3000, "5xx": 2700}
			r.Report.P99By = map[string]time.Duration{"5xx": 1040 * time.Millisecond}
			r.Report.SlowestBy = map[string]time.Duration{"5xx": 1050 * time.Millisecond}
		}
		return r
	}
	tests := []struct {
		name          string
		lo, hi        QoSRun
		probe, excess bool // the first two targets met
	}{
		{"clean", run(50, 80*time.Millisecond, 0), run(150, 100*time.Millisecond, 0), true, true},
		{"requests failed at 150%", run(50, 80*time.Millisecond, 0), run(150, 100*time.Millisecond, 12), false, false},
		{"requests failed at 50%", run(50, 80*time.Millisecond, 3), run(150, 100*time.Millisecond, 0), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &Results{Config: defaultConfig(), QoS: &QoSResult{Wait: time.Second, Runs: []QoSRun{tt.lo, tt.hi}}}
			ts := qosTargets(res)
			for i, want := range []bool{tt.probe, tt.excess} {
				if ts[i].status != verdict(want) {
					t.Errorf("%s: %s, want %s (measured: %s)", ts[i].target, ts[i].status, verdict(want), ts[i].measured)
				}
				if !want && !strings.Contains(ts[i].measured, "failed") {
					t.Errorf("%s: measured %q does not say requests failed", ts[i].target, ts[i].measured)
				}
			}
		})
	}
}
