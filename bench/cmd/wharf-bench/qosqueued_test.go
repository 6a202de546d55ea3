package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestQoSClientQueued checks that a QoS run whose load generator kept
// requests waiting for one of its own connections (wharf-load's
// ClientQueued, which it warns of on stderr) says so, and that the probe
// target is not judged on it: the server was offered less than the load
// the row names.
func TestQoSClientQueued(t *testing.T) {
	run := func(server string, level int, queued int64) QoSRun {
		r := QoSRun{Server: server, Level: level, Rate: 1148}
		r.Report.Connections = 2296
		r.Report.ClientQueued = queued
		r.Report.Probe.P99 = 100 * time.Millisecond
		return r
	}
	tests := []struct {
		name   string
		runs   []QoSRun
		met    bool
		report string // in the rendered section; "" for no warning
	}{
		{"none queued", []QoSRun{run("wharf-qos", 50, 0), run("wharf-qos", 150, 0), run("wharf", 150, 0)}, true, ""},
		{"queued with QoS at 150%", []QoSRun{run("wharf-qos", 50, 0), run("wharf-qos", 150, 40), run("wharf", 150, 0)}, false,
			"Wharf with QoS at 150%: 40 loader requests waited"},
		{"queued without QoS", []QoSRun{run("wharf-qos", 50, 0), run("wharf-qos", 150, 0), run("wharf", 150, 42)}, true,
			"Wharf, no QoS at 150%: 42 loader requests waited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &QoSResult{Wait: time.Second, Runs: tt.runs}
			res := &Results{Config: defaultConfig(), QoS: q}
			if t1 := qosTargets(res)[0]; t1.status != verdict(tt.met) {
				t.Errorf("%s: %s, want %s (measured: %s)", t1.target, t1.status, verdict(tt.met), t1.measured)
			}
			var b strings.Builder
			renderQoS(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, q, res.Config)
			switch got := b.String(); {
			case tt.report == "" && strings.Contains(got, "loader requests waited"):
				t.Errorf("a warning without queued requests:\n%s", got)
			case tt.report != "" && !strings.Contains(got, tt.report):
				t.Errorf("the section lacks %q:\n%s", tt.report, got)
			}
		})
	}
}
