package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"go.uber.org/goleak"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve runs a container with /ok, /fail (500), /moved (302 to /ok) and
// /slow?ms=N (a suspended request answered after N ms) until the test
// ends.
func serve(t *testing.T) string {
	t.Helper()
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/ok", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("ok")
		return err
	})
	c.HandleFunc("/fail", func(w api.Response, r *api.Request) error { return api.Error(500, "failing on purpose") })
	c.HandleFunc("/moved", func(w api.Response, r *api.Request) error {
		w.Header().Set("Location", "/ok")
		w.SetStatus(http.StatusFound)
		return nil
	})
	c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsResumed() {
			_, err := w.WriteString("slow")
			return err
		}
		ms, _ := strconv.Atoi(r.QueryValue("ms"))
		cont.SetTimeout(time.Minute)
		if err := cont.Suspend(); err != nil {
			return err
		}
		time.AfterFunc(time.Duration(ms)*time.Millisecond, func() { cont.Resume() })
		return nil
	})
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
		// A redirect is the answer measured, not followed: following it
		// would send the server a second request per request counted,
		// and the 3xx group could never count anything.
		{"redirect", "/moved", nil, "3xx"},
		{"iterations", "/ok", []string{"-iterations", "150", "-duration", "0"}, "2xx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-q", "-json", "-rate", "200", "-connections", "2", "-duration", "1s", "-warmup", "200ms", "-probe-rate", "20"}, tc.args...)
			var out, errOut bytes.Buffer
			if err := run(context.Background(), context.Background(), append(args, base+tc.path), &out, &errOut); err != nil {
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
		{"-connections", "-1", "http://127.0.0.1:1/"},
		{"-latency", "0", "http://127.0.0.1:1/"},
		{"-duration", "0", "http://127.0.0.1:1/"},
		{"-probe-rate", "-1", "http://127.0.0.1:1/"},
		{"http://127.0.0.1:1/"}, // nothing listens: the first request fails
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), context.Background(), append([]string{"-q"}, args...), &out, &errOut); err == nil {
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

// load runs wharf-load with args against url and returns its report, both
// decoded and as a map (for the fields a test checks by name), and what it
// wrote to stderr.
func load(t *testing.T, url string, args ...string) (Report, map[string]any, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"-q", "-json", "-warmup", "0"}, args...)
	if err := run(context.Background(), context.Background(), append(args, url), &out, &errOut); err != nil {
		t.Fatalf("%v (%s)", err, errOut.String())
	}
	var r Report
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("-json output: %v\n%s", err, out.String())
	}
	json.Unmarshal(out.Bytes(), &m)
	return r, m, errOut.String()
}

// By default the loaders open enough HTTP/1.1 connections for the rate at
// the expected response time, so the server gets the rate asked for (with
// 4 connections and 50 ms answers it got 80 requests/s of 200 and the
// times were the client's queue); with too few the report and stderr say
// that the client queued.
func TestConnectionsCarryTheRate(t *testing.T) {
	base := serve(t)
	// 200/s × 100 ms (-latency) × 1.25: 25 connections, room for answers
	// up to 125 ms (a loaded test machine may queue a few then).
	r, m, _ := load(t, base+"/slow?ms=50", "-rate", "200", "-duration", "1s", "-probe-rate", "0")
	if _, ok := m["ClientQueued"].(float64); r.Connections != 25 || r.Loader.Samples != 200 || r.Loader.P99 > time.Second || !ok {
		t.Errorf("%d samples, loader p99 %v, client queued %v on %d connections: want 25 connections, 200 samples answered in about 50 ms",
			r.Loader.Samples, r.Loader.P99, m["ClientQueued"], r.Connections)
	}
	_, m, stderr := load(t, base+"/slow?ms=50", "-rate", "100", "-duration", "500ms", "-probe-rate", "0", "-connections", "1")
	if q, _ := m["ClientQueued"].(float64); q < 10 || !strings.Contains(stderr, "WARNING") {
		t.Errorf("one connection for 100 requests/s of 50 ms: client queued %v, stderr %q; want a warning", m["ClientQueued"], stderr)
	}
}

// Answers that come after the measured window are counted apart, not in
// the response rate.
func TestLateAnswers(t *testing.T) {
	r, m, _ := load(t, serve(t)+"/slow?ms=300", "-rate", "20", "-duration", "500ms", "-probe-rate", "0", "-connections", "10")
	late, _ := m["LateResponses"].(float64)
	inWindow := r.ResponseRate * r.Recording.Seconds()
	// Requests due in the last 300 ms of the window (about 6 of 10) are
	// answered after it.
	if late < 3 || int64(inWindow+late+0.5) != r.Loader.Samples {
		t.Errorf("late %v, in the window %.1f, samples %d: want about 6 late, the rest in the window", m["LateResponses"], inWindow, r.Loader.Samples)
	}
}

// The probe opens the connections its requests need: at 10 requests/s of
// 200 ms it needs two or three, and on one its requests queued behind
// each other (the tenth waited a second).
func TestProbeOpensWhatItNeeds(t *testing.T) {
	r, _, _ := load(t, serve(t)+"/slow?ms=200", "-rate", "1", "-duration", "1s", "-probe-rate", "10")
	if r.Probe.Samples < 9 || r.Probe.Max > 800*time.Millisecond {
		t.Errorf("probe: %d samples, max %v; want 10 answered in about 200 ms", r.Probe.Samples, r.Probe.Max)
	}
}

// Fractional rates print as such.
func TestFractionalRates(t *testing.T) {
	r := &Report{URL: "http://x/", Protocol: "HTTP/1.1", Rate: 2.5, Connections: 1, ProbeRate: 0.5, Recording: time.Second, Codes: map[string]int64{}}
	var b bytes.Buffer
	r.WriteText(&b)
	for _, want := range []string{"loaders           : 2.5 requests/s on 1 connection(s)\n", "probe             : 0.5 requests/s\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

// -iterations N measures N loader requests, whatever the warm-up holds:
// a fractional number of requests (125 ms at 100/s), or one that floating
// point rounds down (0.29 × 100 is 28.999…).
func TestIterationsCount(t *testing.T) {
	base := serve(t)
	for _, warmup := range []string{"0", "125ms", "150ms", "290ms"} {
		t.Run(warmup, func(t *testing.T) {
			r, _, _ := load(t, base+"/ok", "-rate", "100", "-iterations", "20", "-duration", "0", "-probe-rate", "0", "-warmup", warmup)
			if r.Loader.Samples != 20 || r.Failures != 0 {
				t.Errorf("-warmup %s: %d samples, %d failures; want 20 and 0", warmup, r.Loader.Samples, r.Failures)
			}
		})
	}
}

// With -iterations the measured window is the N intervals the requests
// were due in, as with -duration, not the N-1 between the first and the
// last (which overstated the rates by N/(N-1) and cut the probe short).
func TestIterationsWindow(t *testing.T) {
	r, _, _ := load(t, serve(t)+"/ok", "-rate", "20", "-iterations", "20", "-duration", "0", "-probe-rate", "30")
	if r.Recording < time.Second || r.Loader.Samples != 20 || r.Probe.Samples != 30 {
		t.Errorf("recording %v, %d loader and %d probe samples; want at least 1s, 20 and 30 (request rate %.2f/s)",
			r.Recording, r.Loader.Samples, r.Probe.Samples, r.RequestRate)
	}
}

// The first signal ends the sending's context, the second the wait's;
// cancel lets the goroutine go (goleak checks) when neither came.
func TestInterrupts(t *testing.T) {
	sigs := make(chan os.Signal)
	stop, abort, cancel := interrupts(context.Background(), sigs)
	defer cancel()
	sigs <- os.Interrupt
	<-stop.Done()
	if abort.Err() != nil {
		t.Fatal("the first signal ended the wait for answers too")
	}
	sigs <- os.Interrupt
	<-abort.Done()

	_, abort, cancel = interrupts(context.Background(), make(chan os.Signal))
	cancel()
	<-abort.Done()
}

// After the second interrupt the load stops waiting for the answers to
// what it sent and reports them failed (it waited out -timeout before,
// an hour here).
func TestSecondInterruptStopsWaiting(t *testing.T) {
	arrived := make(chan struct{}, 1000)
	var n atomic.Int64
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/hang", func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsResumed() || cont.IsExpired() {
			return nil
		}
		if n.Add(1) == 1 {
			return nil // the first request, which checks the URL
		}
		arrived <- struct{}{}
		cont.SetTimeout(time.Hour)
		return cont.Suspend()
	})
	base := modes.Start(t, modes.H1, c).URL
	stop, endStop := context.WithCancel(context.Background())
	abort, endAbort := context.WithCancel(context.Background())
	defer endAbort()
	cfg := Config{URL: base + "/hang", Rate: 100, Connections: 10, Duration: time.Hour, Timeout: time.Hour}
	done := make(chan *Report, 1)
	go func() {
		r, err := Run(stop, abort, cfg, nil)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	for range 3 {
		<-arrived
	}
	endStop()
	endAbort()
	select {
	case r := <-done:
		if r == nil {
			return
		}
		if sent := r.RequestRate * r.Recording.Seconds(); r.Loader.Samples != 0 || r.Failures < 3 || float64(r.Failures) < sent-0.5 {
			t.Errorf("%d answered, %d failed of %.0f sent: want none answered, all failed", r.Loader.Samples, r.Failures, sent)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run still waits for its answers after the second interrupt")
	}
}

// A response time beyond what the histograms were made for still counts,
// as their largest value, and -timeout widens them.
func TestLongAnswersCount(t *testing.T) {
	for _, tc := range []struct {
		timeout, took, want time.Duration
	}{
		{time.Minute, 40 * time.Minute, histogramCap},
		{time.Hour, 20 * time.Minute, 20 * time.Minute},
	} {
		r := newRecorder(2 * tc.timeout)
		r.record(tc.took, 200, 0, nil)
		got := times(r.hist)
		if got.Samples != 1 || got.Max < tc.want*999/1000 || got.Max > tc.want*1001/1000 {
			t.Errorf("timeout %v, an answer in %v: %d samples, max %v; want 1 at %v", tc.timeout, tc.took, got.Samples, got.Max, tc.want)
		}
	}
}

// The probe's failures are reported apart: its response times leave them
// out.
func TestProbeFailures(t *testing.T) {
	loader, probe := newRecorder(time.Minute), newRecorder(time.Minute)
	for range 2 {
		loader.record(0, 0, 0, errors.New("refused"))
	}
	for range 3 {
		probe.record(0, 0, 0, errors.New("timeout"))
	}
	r := newReport(Config{URL: "http://x/", Rate: 1, Connections: 1}, "HTTP/1.1", time.Now(), time.Now().Add(time.Second), loader, probe)
	if r.Failures != 5 || r.ProbeFailures != 3 {
		t.Errorf("failures %d, of them the probe's %d: want 5 and 3", r.Failures, r.ProbeFailures)
	}
	var b bytes.Buffer
	r.WriteText(&b)
	if want := "failures          : 5 (probe 3)\n"; !strings.Contains(b.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, b.String())
	}
}

// Over HTTP/2 the report counts the connections Go's transport opened
// when a server's stream limit was reached, beyond -connections.
func TestOpenedConnections(t *testing.T) {
	var n atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 7 { // the first request and six at once
			close(release)
		}
		if n.Load() > 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Config.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: 2}
	srv.Start()
	defer srv.Close()
	r, _, _ := load(t, srv.URL, "-h2", "-connections", "1", "-rate", "60", "-iterations", "6", "-duration", "0", "-probe-rate", "0", "-timeout", "10s")
	if r.Loader.Samples != 6 || r.Opened < 3 {
		t.Errorf("%d answered on %d connections opened: want 6 on at least 3 (2 streams each)", r.Loader.Samples, r.Opened)
	}
	var b bytes.Buffer
	r.WriteText(&b)
	if want := fmt.Sprintf("on 1 connection(s), %d opened\n", r.Opened); !strings.Contains(b.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, b.String())
	}
}
