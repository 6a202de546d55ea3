package main

import (
	"errors"
	"strings"
	"testing"
)

func TestCallgrindTotal(t *testing.T) {
	tests := []struct {
		name, dump string
		want       int64
		err        error
	}{
		{"totals", "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 653881057\n\nfn=(1) main\n16 12\ntotals: 653881057\n", 653881057, nil},
		{"totals win", "summary: 10\ntotals: 12\n", 12, nil},
		{"summary only", "events: Ir\nsummary: 99 3\n", 99, nil},
		{"several events", "events: Ir Dr\ntotals: 5 7\n", 5, nil},
		{"none", "events: Ir\nfn=(1) main\n", 0, errNoCount},
		{"empty totals", "totals:\n", 0, errNoCount},
		{"not a number", "totals: many\n", 0, errNoCount},
	}
	for _, tt := range tests {
		got, err := callgrindTotal(strings.NewReader(tt.dump))
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%s: %d, %v; want %d, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

func TestInstrTable(t *testing.T) {
	plain := InstrCase{"plaintext", "/hello?name=wrk", 100}
	sleep := InstrCase{"sleep", "/sleep?ms=20", 1000}
	tests := []struct {
		name   string
		counts []InstrCount
		base   string
		peers  []string
		want   string
	}{
		{"with a base", []InstrCount{
			{Case: plain, Build: "base", Requests: 40000, PerRequest: 16347},
			{Case: plain, Build: "current", Requests: 40000, PerRequest: 16190},
			{Case: sleep, Build: "base", Requests: 40000, PerRequest: 45531},
			{Case: sleep, Build: "current", Requests: 40000, Err: "no instruction count"},
		}, "8d12c3f", nil,
			"| Case | Path | Connections | Requests counted | 8d12c3f | current | change |\n|---|---|---:|---:|---:|---:|---:|\n" +
				"| plaintext | `/hello?name=wrk` | 100 | 40,000 | 16,347 | 16,190 | −1.0% |\n" +
				"| sleep | `/sleep?ms=20` | 1,000 | 40,000 | 45,531 | failed | — |\n"},
		{"alone", []InstrCount{{Case: plain, Build: "current", Requests: 20000, PerRequest: 15986}}, "", nil,
			"| Case | Path | Connections | Requests counted | Instructions a request |\n|---|---|---:|---:|---:|\n" +
				"| plaintext | `/hello?name=wrk` | 100 | 20,000 | 15,986 |\n"},
		{"with a peer", []InstrCount{
			{Case: plain, Build: "current", Requests: 40000, PerRequest: 16353},
			{Case: plain, Build: "fasthttp", Requests: 40000, PerRequest: 7947},
			{Case: sleep, Build: "current", Requests: 40000, PerRequest: 31000},
			{Case: sleep, Build: "fasthttp", Requests: 40000, Err: "no instruction count"},
		}, "", []string{"fasthttp"},
			"| Case | Path | Connections | Requests counted | Instructions a request | fasthttp | current ÷ fasthttp |\n|---|---|---:|---:|---:|---:|---:|\n" +
				"| plaintext | `/hello?name=wrk` | 100 | 40,000 | 16,353 | 7,947 | 2.06× |\n" +
				"| sleep | `/sleep?ms=20` | 1,000 | 40,000 | 31,000 | failed | — |\n"},
		{"with a base and two peers", []InstrCount{
			{Case: plain, Build: "base", Requests: 40000, PerRequest: 20000},
			{Case: plain, Build: "current", Requests: 40000, PerRequest: 16000},
			{Case: plain, Build: "fasthttp", Requests: 40000, PerRequest: 8000},
			{Case: plain, Build: "nethttp", Requests: 40000, PerRequest: 32000},
		}, "HEAD~1", []string{"fasthttp", "nethttp"},
			"| Case | Path | Connections | Requests counted | HEAD~1 | current | change | fasthttp | current ÷ fasthttp | nethttp | current ÷ nethttp |\n" +
				"|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" +
				"| plaintext | `/hello?name=wrk` | 100 | 40,000 | 20,000 | 16,000 | −20.0% | 8,000 | 2.00× | 32,000 | 0.50× |\n"},
	}
	for _, tt := range tests {
		if got := instrTable(tt.counts, tt.base, tt.peers); got != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

func TestGCTable(t *testing.T) {
	delay := InstrCase{"delay", "/delay?ms=20", 1000}
	wharf := func(build, gogc string, per, colls, alloc int64) InstrCount {
		return InstrCount{Case: delay, Build: build, GOGC: gogc, Requests: 40000, PerRequest: per, Wharf: true, Collections: colls, Allocated: alloc}
	}
	header := "| Case | Build | GOGC | Instructions a request | change from current | Collections in the count | Bytes allocated a request |\n|---|---|---:|---:|---:|---:|---:|\n"
	tests := []struct {
		name   string
		counts []InstrCount
		env    string
		want   string
	}{
		{"the default and two settings, a peer left out", []InstrCount{
			wharf("current", "", 24412, 22, 1116),
			{Case: delay, Build: "fasthttp", Requests: 40000, PerRequest: 10855, Collections: -1, Allocated: -1},
			wharf("GOGC=200", "200", 19377, 11, 1116),
			wharf("GOGC=400", "400", 17532, 5, 1117),
			wharf("GOGC=off", "off", 14950, 0, 1116),
		}, "", header +
			"| delay | current | 100 (default) | 24,412 | — | 22 | 1,116 |\n" +
			"| delay | current | 200 | 19,377 | −20.6% | 11 | 1,116 |\n" +
			"| delay | current | 400 | 17,532 | −28.2% | 5 | 1,117 |\n" +
			"| delay | current | off | 14,950 | −38.8% | 0 | 1,116 |\n"},
		{"the environment's setting, a base, a failure", []InstrCount{
			wharf("base", "", 24000, 20, 1100),
			wharf("current", "", 23000, 20, 1100),
			{Case: delay, Build: "GOGC=50", GOGC: "50", Requests: 40000, Wharf: true, Err: "no instruction count", Collections: -1, Allocated: -1},
		}, "150", header +
			"| delay | base | 150 | 24,000 | — | 20 | 1,100 |\n" +
			"| delay | current | 150 | 23,000 | — | 20 | 1,100 |\n" +
			"| delay | current | 50 | failed | — | — | — |\n"},
		{"peers only", []InstrCount{{Case: delay, Build: "fasthttp", PerRequest: 1, Collections: -1, Allocated: -1}}, "", ""},
	}
	for _, tt := range tests {
		if got := gcTable(tt.counts, tt.env); got != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}
