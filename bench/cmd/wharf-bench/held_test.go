package main

import (
	"strings"
	"testing"
)

// TestGoroutineTargetsNeedTheLoadHeld checks that a "holds no goroutine"
// target is not judged met when the connections it is about were not all
// held when the goroutines were counted: a long poll answered early, an
// idle connection the server closed or one that never connected holds no
// goroutine whatever the server does, and the count would pass for one
// taken with all of them open.
func TestGoroutineTargetsNeedTheLoadHeld(t *testing.T) {
	mem := func(server string, conns, opened, dialErrors, early int) MemoryResult {
		return MemoryResult{Server: server, Conns: conns, Opened: opened, DialErrors: dialErrors, Early: early,
			BaselineKiB: 10000, LoadedKiB: 30000, BaselineGoroutines: 13, LoadedGoroutines: 13}
	}
	proto := func(proto string, early int) ProtoMemoryResult {
		return ProtoMemoryResult{Proto: proto, Conns: 2000, Opened: 2000, Early: early, BaselineG: 7, IdleG: 7, SuspendG: 7}
	}
	tests := []struct {
		name   string
		res    Results
		target string // the target's row, by its beginning
		met    bool
	}{
		{"long polls all held", Results{Memory: []MemoryResult{mem("wharf", 10000, 10000, 0, 0)}}, "Goroutines while", true},
		{"long polls answered early", Results{Memory: []MemoryResult{mem("wharf", 10000, 10000, 0, 9990)}}, "Goroutines while", false},
		{"long polls that never connected", Results{Memory: []MemoryResult{mem("wharf", 10000, 500, 9500, 0)}}, "Goroutines while", false},
		{"idle TLS all held", Results{Memory: []MemoryResult{mem("wharf-tls-idle", 3000, 3000, 0, 0)}}, "Idle keep-alive TLS", true},
		{"idle TLS closed by the server", Results{Memory: []MemoryResult{mem("wharf-tls-idle", 3000, 3000, 0, 2990)}}, "Idle keep-alive TLS", false},
		{"h2c long polls all held", Results{ProtoMemory: []ProtoMemoryResult{proto("h2c", 0)}}, "Idle h2c", true},
		{"h2c long polls ended early", Results{ProtoMemory: []ProtoMemoryResult{proto("h2c", 2000)}}, "Idle h2c", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.res
			res.Config = defaultConfig()
			got := findTarget(t, targets(&res), tt.target)
			if want := verdict(tt.met); got.status != want {
				t.Errorf("%s: %s, want %s (measured: %s)", got.target, got.status, want, got.measured)
			}
			if !tt.met && !strings.Contains(got.measured, "not judged met") {
				t.Errorf("measured %q does not say why it is not judged", got.measured)
			}
		})
	}
}
