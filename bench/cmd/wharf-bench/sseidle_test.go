package main

import (
	"strings"
	"testing"
)

// TestSSEIdleEndedStreams checks that streams the server ended during the
// idle test count as the long-poll memory test counts its early ones: the
// RSS is not spread over streams no longer there, and a goroutine count
// taken without them is not judged to show what they would have held.
func TestSSEIdleEndedStreams(t *testing.T) {
	tests := []struct {
		name            string
		m               SSEIdle
		perStream       float64
		memMet, goroMet bool
	}{
		{"all open", SSEIdle{Opened: 10000, BaselineKiB: 12000, LoadedKiB: 31000, BaselineGoroutines: 21, SettledGoroutines: 6}, 1.9, true, true},
		{"half ended", SSEIdle{Opened: 10000, Ended: 5000, BaselineKiB: 12000, LoadedKiB: 31000, BaselineGoroutines: 21, SettledGoroutines: 6}, 3.8, false, false},
		{"all ended", SSEIdle{Opened: 10000, Ended: 10000, BaselineKiB: 12000, LoadedKiB: 31000, BaselineGoroutines: 21, SettledGoroutines: 6}, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.m.Server = "wharf"
			if got := tt.m.PerStreamKiB(); got != tt.perStream {
				t.Errorf("PerStreamKiB = %v, want %v", got, tt.perStream)
			}
			res := &SSEResults{Config: SSEConfig{Streams: 10000}, Idle: []SSEIdle{tt.m}}
			ts := sseTargets(res)
			for i, want := range []bool{tt.memMet, tt.goroMet} {
				if ts[i].status != verdict(want) {
					t.Errorf("%s: %s, want %s (measured: %s)", ts[i].target, ts[i].status, verdict(want), ts[i].measured)
				}
				if tt.m.Ended > 0 && !strings.Contains(ts[i].measured, "ended") {
					t.Errorf("%s: measured %q does not say streams ended", ts[i].target, ts[i].measured)
				}
			}
		})
	}
}
