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
	got := instrTable([]InstrCount{
		{Case: plain, Build: "base", Requests: 40000, PerRequest: 16347},
		{Case: plain, Build: "current", Requests: 40000, PerRequest: 16190},
		{Case: sleep, Build: "base", Requests: 40000, PerRequest: 45531},
		{Case: sleep, Build: "current", Requests: 40000, Err: "no instruction count"},
	}, "8d12c3f")
	want := "| Case | Path | Connections | Requests counted | 8d12c3f | current | change |\n|---|---|---:|---:|---:|---:|---:|\n" +
		"| plaintext | `/hello?name=wrk` | 100 | 40,000 | 16,347 | 16,190 | −1.0% |\n" +
		"| sleep | `/sleep?ms=20` | 1,000 | 40,000 | 45,531 | failed | — |\n"
	if got != want {
		t.Errorf("with a base:\n%s\nwant\n%s", got, want)
	}
	got = instrTable([]InstrCount{{Case: plain, Build: "current", Requests: 20000, PerRequest: 15986}}, "")
	want = "| Case | Path | Connections | Requests counted | Instructions a request |\n|---|---|---:|---:|---:|\n" +
		"| plaintext | `/hello?name=wrk` | 100 | 20,000 | 15,986 |\n"
	if got != want {
		t.Errorf("alone:\n%s\nwant\n%s", got, want)
	}
}
