package main

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseSendQueue(t *testing.T) {
	tests := []struct {
		name  string
		out   string
		kib   int64
		conns int
	}{
		{"none", "", 0, 0},
		{"listener left out", "LISTEN 0 4096 127.0.0.1:40000 0.0.0.0:*\n", 0, 0},
		{"one idle", "ESTAB 0      0      127.0.0.1:40000   127.0.0.1:51000\n", 0, 1},
		{"full, and closed with bytes queued", "ESTAB 0 2626560 127.0.0.1:40000 127.0.0.1:51000\nFIN-WAIT-1 0 1024 127.0.0.1:40000 127.0.0.1:51002\n", 2566, 2},
		{"short and garbled lines skipped", "ESTAB 0 4096\nESTAB 0 x 127.0.0.1:40000 127.0.0.1:1\n\nESTAB 0 4096 [::1]:40000 [::1]:5\n", 4, 1},
	}
	for _, tt := range tests {
		kib, conns := parseSendQueue(tt.out)
		if kib != tt.kib || conns != tt.conns {
			t.Errorf("%s: parseSendQueue = %d KiB, %d conns; want %d, %d", tt.name, kib, conns, tt.kib, tt.conns)
		}
	}
}

func TestScenarioSelection(t *testing.T) {
	tests := []struct {
		name      string
		scenarios []string
		skip      bool
		count     int
		wrk       []string
		slow      bool
	}{
		{"default runs everything", nil, false, 1000, nil, true},
		{"only the slow downloads", []string{"slowdl-1000"}, false, 1000, []string{}, true},
		{"named after the count", []string{"slowdl-50", "static-100"}, false, 50, []string{"static-100"}, true},
		{"skipped", nil, true, 1000, nil, false},
		{"not selected", []string{"static-100"}, false, 1000, []string{"static-100"}, false},
	}
	for _, tt := range tests {
		cfg := defaultConfig()
		cfg.Scenarios, cfg.SkipSlowDL, cfg.SlowDL.Count = tt.scenarios, tt.skip, tt.count
		if err := validate(&cfg); err != nil {
			t.Errorf("%s: validate: %v", tt.name, err)
			continue
		}
		var wrk []string
		for _, sc := range cfg.selected() {
			wrk = append(wrk, sc.Name)
		}
		if tt.wrk != nil && !slices.Equal(wrk, tt.wrk) {
			t.Errorf("%s: wrk scenarios %v, want %v", tt.name, wrk, tt.wrk)
		}
		if got := cfg.runSlowDL(); got != tt.slow {
			t.Errorf("%s: runSlowDL = %v, want %v", tt.name, got, tt.slow)
		}
	}
	cfg := defaultConfig()
	cfg.Scenarios = []string{"slowdl-1000"}
	cfg.SlowDL.Count = 10
	if err := validate(&cfg); err == nil {
		t.Error("slowdl-1000 accepted with -slowdl-count 10")
	}
	// static-100 leaves nbio out: 3 servers × 2 rounds.
	cfg = defaultConfig()
	cfg.Scenarios = []string{"static-100"}
	if got := cfg.wrkRuns(); got != 6 {
		t.Errorf("wrkRuns for static-100 = %d, want 6", got)
	}
}

func TestStaticReport(t *testing.T) {
	res := sampleResults()
	res.SlowDL = []SlowDLResult{
		{Server: "wharf", IdleKiB: 12000, PeakKiB: 15000, AfterKiB: 13000, IdleGoroutines: 13, PeakGoroutines: 13, AfterGoroutines: 13,
			PeakSendQKiB: 2500, PeakConns: 1000, Client: SlowDLClient{N: 1000, Completed: 1000, P50: 16 * time.Second}},
		{Server: "nethttp", IdleKiB: 9000, PeakKiB: 30000, IdleGoroutines: 3, PeakGoroutines: 1003,
			Client: SlowDLClient{N: 1000, Completed: 998, Failed: 2, Errors: map[string]int{"body: timeout": 2}}},
	}
	md := renderMarkdown(res)
	for _, s := range []string{"## Static files", "| Wharf | 1,000 / 0 |", "+3,000 KiB", "| 13 / 13 / 13 |", "2 × body: timeout",
		"Wharf's goroutines stay at their idle count | peak 13 vs idle 13 | **met**",
		"Wharf's RSS grows by under 5 MiB | +3,000 KiB (12,000 → 15,000 KiB) | **met**",
		"Static 1 KiB file, 100 connections: req/s ≥ net/http's | Wharf 1,100 vs net/http 2,200 (0.50×); but the runs had errors (Wharf: timeout 3; net/http: timeout 3), so not judged met | **not met**"} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q", s)
		}
	}
	// A failed download keeps the targets from being met.
	res.SlowDL[0].Client.Failed, res.SlowDL[0].Client.Completed = 1, 999
	if md := renderMarkdown(res); !strings.Contains(md, "so not judged met | **not met**") {
		t.Error("targets judged met although a download failed")
	}
}

// TestStaticWarmUp checks the warm-up the report describes: 200 requests
// for the small file and 2 for the big one.
func TestStaticWarmUp(t *testing.T) {
	const big = 8 << 10
	var mu sync.Mutex
	got := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/static/" + smallFile:
			w.Write(make([]byte, 1<<10))
		case "/static/" + slowFile:
			w.Write(make([]byte, big))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	if err := staticWarmUp(srv.URL, big); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got["/static/"+smallFile] != 200 || got["/static/"+slowFile] != 2 || len(got) != 2 {
		t.Errorf("warm-up requests %v, want 200 of %s and 2 of %s", got, smallFile, slowFile)
	}
}
