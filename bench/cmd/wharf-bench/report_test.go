package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestTargetsWithErrors checks that a req/s target is not judged met on
// runs that had errors: wrk counts a non-2xx answer in its req/s, and a
// run with timeouts or socket errors did not carry the load asked of it.
func TestTargetsWithErrors(t *testing.T) {
	run := func(rps float64, e WrkResult) Run {
		e.RPS = rps
		return Run{WrkResult: e}
	}
	tests := []struct {
		name     string
		scenario string
		target   string // the target's row, by its beginning
		// The two servers' runs: Wharf's, then the one it is compared to.
		wharf, other ServerRuns
		met          bool
		note         string // in the measured text
	}{
		{"clean", "plaintext-100", "Plaintext req/s ≥ fasthttp's, 100 ",
			ServerRuns{Server: "wharf", Runs: []Run{run(2000, WrkResult{})}},
			ServerRuns{Server: "fasthttp", Runs: []Run{run(1000, WrkResult{})}}, true, ""},
		{"Wharf answered non-2xx", "plaintext-100", "Plaintext req/s ≥ fasthttp's, 100 ",
			ServerRuns{Server: "wharf", Runs: []Run{run(2000, WrkResult{Non2xx: 5})}},
			ServerRuns{Server: "fasthttp", Runs: []Run{run(1000, WrkResult{})}}, false, "Wharf: non-2xx 5"},
		{"the peer timed out", "plaintext-10000", "Plaintext req/s ≥ fasthttp's, 10,000 ",
			ServerRuns{Server: "wharf", Runs: []Run{run(2000, WrkResult{})}},
			ServerRuns{Server: "fasthttp", Runs: []Run{run(1000, WrkResult{Timeout: 40, Connect: 2})}}, false, "fasthttp: connect 2, timeout 40"},
		{"a failed round", "plaintext-100", "Plaintext req/s ≥ fasthttp's, 100 ",
			ServerRuns{Server: "wharf", Runs: []Run{run(2000, WrkResult{})}, Failed: []string{"round 2: wrk: exit status 1"}},
			ServerRuns{Server: "fasthttp", Runs: []Run{run(1000, WrkResult{})}}, false, "Wharf: 1 failed run(s)"},
		{"static, clean", "static-100", "Static 1 KiB file",
			ServerRuns{Server: "wharf", Runs: []Run{run(2000, WrkResult{})}},
			ServerRuns{Server: "nethttp", Runs: []Run{run(1000, WrkResult{})}}, true, ""},
		{"static, Wharf read errors", "static-100", "Static 1 KiB file",
			ServerRuns{Server: "wharf", Runs: []Run{run(2000, WrkResult{Read: 7})}},
			ServerRuns{Server: "nethttp", Runs: []Run{run(1000, WrkResult{})}}, false, "Wharf: read 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &Results{Config: defaultConfig(), Scenarios: []ScenarioResult{
				{Scenario: Scenario{Name: tt.scenario}, Servers: []ServerRuns{tt.wharf, tt.other}},
			}}
			got := findTarget(t, targets(res), tt.target)
			if want := verdict(tt.met); got.status != want {
				t.Errorf("status %s, want %s (measured: %s)", got.status, want, got.measured)
			}
			if tt.note == "" && strings.Contains(got.measured, "not judged met") {
				t.Errorf("measured %q: a clean comparison is judged", got.measured)
			}
			if tt.note != "" && !strings.Contains(got.measured, tt.note+")") {
				t.Errorf("measured %q lacks %q", got.measured, tt.note)
			}
		})
	}

	// A wait's target compares Wharf's wait with its own plaintext: errors
	// in either keep it from being met.
	res := &Results{Config: defaultConfig(), Scenarios: []ScenarioResult{
		{Scenario: Scenario{Name: "plaintext-10000"}, Servers: []ServerRuns{{Server: "wharf", Runs: []Run{run(1000, WrkResult{})}}}},
		{Scenario: Scenario{Name: "delay-10000"}, Servers: []ServerRuns{{Server: "wharf", Runs: []Run{run(950, WrkResult{Non2xx: 100})}}}},
	}}
	for _, tg := range targets(res) {
		if strings.Contains(tg.target, "`/delay?ms=50`") && tg.status != verdict(false) {
			t.Errorf("delay target %s with 100 non-2xx answers: %s", tg.status, tg.measured)
		}
	}
}

// Each round starts one server later, and still runs every server once.
func TestRoundOrder(t *testing.T) {
	tests := []struct {
		n, round int
		want     string
	}{
		{4, 1, "[0 1 2 3]"},
		{4, 2, "[1 2 3 0]"},
		{4, 4, "[3 0 1 2]"},
		{4, 5, "[0 1 2 3]"},
		{1, 3, "[0]"},
		{0, 1, "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(roundOrder(tt.n, tt.round)); got != tt.want {
			t.Errorf("roundOrder(%d, %d) = %s, want %s", tt.n, tt.round, got, tt.want)
		}
	}
}

// findTarget returns the target line whose title begins with prefix, and
// fails the test if there is none.
func findTarget(t *testing.T, ts []target, prefix string) target {
	t.Helper()
	for _, tg := range ts {
		if strings.HasPrefix(tg.target, prefix) {
			return tg
		}
	}
	t.Fatalf("no target %q", prefix)
	return target{}
}
