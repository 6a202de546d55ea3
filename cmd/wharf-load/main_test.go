package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"go.uber.org/goleak"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve runs a container with /ok, /fail (500) and /wait (a suspended
// request answered after 5 ms) until the test ends.
func serve(t *testing.T) string {
	t.Helper()
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/ok", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("ok")
		return err
	})
	c.HandleFunc("/fail", func(w api.Response, r *api.Request) error { return api.Error(500, "failing on purpose") })
	return modes.Start(t, modes.H2C, c).URL
}

// The open loop sends exactly what the schedule says, over HTTP/1.1 and
// HTTP/2, and the report counts it by status class.
func TestLoad(t *testing.T) {
	base := serve(t)
	for _, tc := range []struct {
		name, path string
		args       []string
		class      string
	}{
		{"h1", "/ok", nil, "2xx"},
		{"h2", "/ok", []string{"-h2"}, "2xx"},
		{"errors", "/fail", nil, "5xx"},
		{"iterations", "/ok", []string{"-iterations", "150", "-duration", "0"}, "2xx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-q", "-json", "-rate", "200", "-connections", "2", "-duration", "1s", "-warmup", "200ms", "-probe-rate", "20"}, tc.args...)
			var out, errOut bytes.Buffer
			if err := run(context.Background(), append(args, base+tc.path), &out, &errOut); err != nil {
				t.Fatalf("%v (%s)", err, errOut.String())
			}
			var r Report
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatalf("-json output: %v\n%s", err, out.String())
			}
			wantLoader := int64(200)
			if tc.name == "iterations" {
				wantLoader = 150
			}
			if r.Loader.Samples != wantLoader || r.Failures != 0 {
				t.Errorf("loader samples %d failures %d, want %d and 0", r.Loader.Samples, r.Failures, wantLoader)
			}
			if r.Probe.Samples < 14 || r.Probe.Samples > 20 {
				t.Errorf("probe samples %d, want about 20", r.Probe.Samples)
			}
			if got := r.Codes[tc.class]; got != r.Loader.Samples+r.Probe.Samples {
				t.Errorf("%s group %d of %d answers (%v)", tc.class, got, r.Loader.Samples+r.Probe.Samples, r.Codes)
			}
			if want := map[bool]string{false: "HTTP/1.1", true: "HTTP/2"}[len(tc.args) > 0 && tc.args[0] == "-h2"]; r.Protocol != want {
				t.Errorf("protocol %q, want %q", r.Protocol, want)
			}
			if r.Probe.Min <= 0 || r.Probe.P50 < r.Probe.Min || r.Probe.Max < r.Probe.P99 {
				t.Errorf("probe times %+v", r.Probe)
			}
			// The histogram's maxima are rounded to its precision (0.1%).
			if d := r.SlowestBy[tc.class]; d < r.Probe.Max*99/100 || d < r.Loader.Max*99/100 {
				t.Errorf("slowest %s %v, below the maxima %v and %v", tc.class, d, r.Probe.Max, r.Loader.Max)
			}
		})
	}
}

// Bad arguments are refused before anything is sent.
func TestArguments(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"ftp://x/"},
		{"-rate", "0", "http://127.0.0.1:1/"},
		{"-connections", "0", "http://127.0.0.1:1/"},
		{"-duration", "0", "http://127.0.0.1:1/"},
		{"-probe-rate", "-1", "http://127.0.0.1:1/"},
		{"http://127.0.0.1:1/"}, // nothing listens: the first request fails
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), append([]string{"-q"}, args...), &out, &errOut); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// The drawn histogram: equal buckets from 0 to the maximum, the percentile
// marks where the cumulative count reaches them, '@' further right for
// fuller buckets.
func TestHistogramText(t *testing.T) {
	h := hdrhistogram.New(1, 60_000_000, 3)
	for range 90 {
		h.RecordValue(1_000) // 1 ms
	}
	for range 9 {
		h.RecordValue(10_000)
	}
	h.RecordValue(20_000)
	bs := buckets(h, 20)
	if len(bs) != 20 || bs[0].Count != 90 || bs[9].Count != 9 || bs[19].Count != 1 {
		t.Fatalf("buckets %+v", bs)
	}
	if got := strings.Join(bs[0].Percentiles, ","); got != "50,85" {
		t.Errorf("first bucket marks %q", got)
	}
	if got := strings.Join(bs[9].Percentiles, ","); got != "95,99" {
		t.Errorf("tenth bucket marks %q", got)
	}
	if got := strings.Join(bs[19].Percentiles, ","); got != "99.9" {
		t.Errorf("last bucket marks %q", got)
	}
	r := &Report{URL: "http://x/", Protocol: "HTTP/1.1", Rate: 10, Connections: 1, ProbeRate: 1, Recording: time.Second,
		Probe: times(h), Codes: map[string]int64{"2xx": 100}, ProbeHistogram: bs}
	var b bytes.Buffer
	r.WriteText(&b)
	text := b.String()
	for _, want := range []string{
		"                  @   _ 1.001 ms (90, 90.00%) ^50% ^85%\n",
		" @                    _ 10.010 ms (9, 9.00%) ^95% ^99%\n",
		"probe  response times: 100 samples | min/avg/50th%/99th%/99.9th%/max = 1.000 ms/",
		"response 2xx group: 100\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}
