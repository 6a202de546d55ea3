package main

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

const sampleWrk = `Running 5s test @ http://127.0.0.1:40000/hello?name=wrk
  2 threads and 100 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.23ms  456.00us  12.34ms   89.00%
    Req/Sec    40.12k     2.34k   45.67k    70.00%
  Latency Distribution
     50%  812.00us
     75%    1.40ms
     90%    1.80ms
     99%    2.10s
  400000 requests in 5.00s, 50.00MB read
  Socket errors: connect 1, read 2, write 3, timeout 12
  Non-2xx or 3xx responses: 5
Requests/sec:  80000.50
Transfer/sec:     10.00MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(sampleWrk)
	if err != nil {
		t.Fatal(err)
	}
	want := WrkResult{Requests: 400000, RPS: 80000.5, P50: 812 * time.Microsecond, P75: 1400 * time.Microsecond,
		P90: 1800 * time.Microsecond, P99: 2100 * time.Millisecond, Connect: 1, Read: 2, Write: 3, Timeout: 12, Non2xx: 5}
	if r != want {
		t.Errorf("parseWrk = %+v\nwant %+v", r, want)
	}
	if r.Errors() != 23 {
		t.Errorf("Errors() = %d, want 23", r.Errors())
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Error("parseWrk accepted an output without results")
	}
}

func TestSVGIsXML(t *testing.T) {
	res := sampleResults()
	svg := renderSVG(res)
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
	md := renderMarkdown(res)
	for _, s := range []string{"## Targets", "| Wharf |", "KiB"} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q", s)
		}
	}
}

func sampleResults() *Results {
	res := &Results{Env: Env{GoVersion: "go1.26", Wrk: "wrk 4.1.0"}, Config: defaultConfig()}
	for _, sc := range scenarios(100000) {
		sr := ScenarioResult{Scenario: sc}
		for i, s := range serverNames {
			if !sc.takesPart(s) {
				continue
			}
			sr.Servers = append(sr.Servers, ServerRuns{Server: s, Runs: []Run{
				{WrkResult: WrkResult{RPS: float64(1000 * (i + 1)), P50: time.Millisecond, P99: 3 * time.Millisecond}},
				{WrkResult: WrkResult{RPS: float64(1200 * (i + 1)), P50: time.Millisecond, P99: 4 * time.Millisecond, Timeout: 3},
					CPU: CPUUse{Server: 1, Wrk: 0.5, Other: 0.3}},
			}})
		}
		res.Scenarios = append(res.Scenarios, sr)
	}
	for _, s := range serverNames {
		res.Memory = append(res.Memory, MemoryResult{Server: s, Conns: 10000, Opened: 10000,
			BaselineKiB: 8000, LoadedKiB: 90000, BaselineGoroutines: 5, LoadedGoroutines: 10005})
	}
	return res
}
