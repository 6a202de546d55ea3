package main

import (
	"strings"
	"testing"
)

// TestMemoryPerConn checks that what the long polls cost is divided among
// the connections still waiting when the server was measured, not among
// all those opened: one answered or closed early holds nothing.
func TestMemoryPerConn(t *testing.T) {
	tests := []struct {
		name string
		m    MemoryResult
		want float64
	}{
		{"none opened", MemoryResult{BaselineKiB: 10, LoadedKiB: 20}, 0},
		{"all held", MemoryResult{Opened: 10000, BaselineKiB: 10000, LoadedKiB: 30000}, 2},
		{"half closed early", MemoryResult{Opened: 10000, Early: 5000, BaselineKiB: 10000, LoadedKiB: 20000}, 2},
		{"all closed early", MemoryResult{Opened: 100, Early: 100, BaselineKiB: 10000, LoadedKiB: 10100}, 0},
	}
	for _, tt := range tests {
		if got := tt.m.PerConnKiB(); got != tt.want {
			t.Errorf("%s: PerConnKiB = %v, want %v", tt.name, got, tt.want)
		}
	}

	// The target reads the same figure: 10,000 KiB held by 5,000 long polls
	// is 2 KiB each, not met, though 10,000 connections were opened.
	res := &Results{Config: defaultConfig(), Memory: []MemoryResult{
		{Server: "wharf", Conns: 10000, Opened: 10000, Early: 5000, BaselineKiB: 10000, LoadedKiB: 20000},
	}}
	for _, tg := range targets(res) {
		if strings.HasPrefix(tg.target, "≤ 1 KiB RSS") {
			if tg.status != verdict(false) || !strings.Contains(tg.measured, "2.00 KiB (10,000 KiB for 5,000 connections)") {
				t.Errorf("target: %s, %s", tg.measured, tg.status)
			}
		}
	}
}

func TestProtoMemoryPerRequest(t *testing.T) {
	tests := []struct {
		name string
		m    ProtoMemoryResult
		want float64
	}{
		{"all suspended", ProtoMemoryResult{Opened: 2000, IdleLive: 1 << 20, SuspendLive: 1<<20 + 2000*1024}, 1},
		{"half ended early", ProtoMemoryResult{Opened: 2000, Early: 1000, IdleLive: 1 << 20, SuspendLive: 1<<20 + 2000*1024}, 2},
		{"all ended early", ProtoMemoryResult{Opened: 2000, Early: 2000, IdleLive: 1 << 20, SuspendLive: 1<<20 + 2000*1024}, 0},
	}
	for _, tt := range tests {
		if got := tt.m.SuspendLivePerReqKiB(); got != tt.want {
			t.Errorf("%s: SuspendLivePerReqKiB = %v, want %v", tt.name, got, tt.want)
		}
	}
}
