package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Report is what a run measured; it is also the -json output.
type Report struct {
	URL         string
	Protocol    string
	Rate        float64
	Connections int  // loader connections
	AutoSized   bool // Connections was sized from Rate × Latency (-connections 0)
	// Opened counts the connections the loaders opened, the first request's
	// included: above Connections when the server closed some (they were
	// opened again) or, over HTTP/2, when a connection's stream limit was
	// reached (Go's transport then opens another).
	Opened     int64
	Latency    time.Duration
	ProbeRate  float64
	Begin, End time.Time // the measured time
	Recording  time.Duration
	Probe      Times
	Loader     Times
	// RequestRate and ResponseRate count loader and probe together, per
	// second of measured time: ResponseRate the answers that came within
	// it, LateResponses the answers to measured requests that came after
	// it (their times are in the histograms, like the others').
	RequestRate, ResponseRate float64
	LateResponses             int64
	// ClientQueued counts the measured loader requests sent while every
	// HTTP/1.1 connection carried one already: they waited in the client
	// for a connection, so the server was offered less than Rate and their
	// times include that wait. Raise -connections (or -latency) until it
	// is 0.
	ClientQueued int64
	ReceiveRate  float64 // body bytes per second
	// Failures counts errors and timeouts (left out of the response times:
	// look here when a server stalls) and requests that were due but not
	// sent because the generator had too many waiting, the loaders' and
	// the probe's together.
	Failures int64
	// ProbeFailures is the probe's part of Failures: its response times
	// leave these out, so a probe that failed makes them look better.
	ProbeFailures int64
	Codes         map[string]int64
	// SlowestBy is the longest response time of each status class seen
	// ("2xx", "5xx"...): how long a refusal took, say.
	SlowestBy map[string]time.Duration
	// P99By is the 99th percentile response time of each status class.
	P99By          map[string]time.Duration
	ProbeHistogram []Bucket `json:",omitempty"`
}

// Times summarises one role's response times.
type Times struct {
	Samples                       int64
	Min, Avg, P50, P99, P999, Max time.Duration
}

// Bucket is one line of the drawn histogram.
type Bucket struct {
	UpTo        time.Duration
	Count       int64
	Percent     float64
	Percentiles []string `json:",omitempty"` // the percentiles this bucket reaches: "50", "99.9"...
}

func times(h *hdrhistogram.Histogram) Times {
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	if h.TotalCount() == 0 {
		return Times{}
	}
	return Times{Samples: h.TotalCount(), Min: us(h.Min()), Avg: time.Duration(h.Mean() * float64(time.Microsecond)),
		P50: us(h.ValueAtQuantile(50)), P99: us(h.ValueAtQuantile(99)), P999: us(h.ValueAtQuantile(99.9)), Max: us(h.Max())}
}

func newReport(cfg Config, proto string, begin, end time.Time, loader, probe *recorder) *Report {
	loader.mu.Lock()
	defer loader.mu.Unlock()
	probe.mu.Lock()
	defer probe.mu.Unlock()
	r := &Report{URL: cfg.URL, Protocol: proto, Rate: cfg.Rate, Connections: cfg.connections(), AutoSized: cfg.Connections == 0,
		Latency: cfg.Latency, ProbeRate: cfg.ProbeRate, LateResponses: loader.late + probe.late, ClientQueued: loader.queued,
		Begin: begin, End: end, Recording: end.Sub(begin), Probe: times(probe.hist), Loader: times(loader.hist),
		Failures: loader.failures + probe.failures, ProbeFailures: probe.failures, Codes: map[string]int64{}, SlowestBy: map[string]time.Duration{}, P99By: map[string]time.Duration{}}
	if secs := r.Recording.Seconds(); secs > 0 {
		r.RequestRate = float64(loader.sent+probe.sent) / secs
		r.ResponseRate = float64(loader.received+probe.received-r.LateResponses) / secs
		r.ReceiveRate = float64(loader.bytes+probe.bytes) / secs
	}
	for c := 1; c <= 5; c++ {
		k := fmt.Sprintf("%dxx", c)
		r.Codes[k] = loader.codes[c] + probe.codes[c]
		if d := max(loader.maxBy[c], probe.maxBy[c]); d > 0 {
			r.SlowestBy[k] = d
		}
		h := loader.newHistogram()
		for _, src := range []*hdrhistogram.Histogram{loader.byClass[c], probe.byClass[c]} {
			if src != nil {
				h.Merge(src)
			}
		}
		if h.TotalCount() > 0 {
			r.P99By[k] = time.Duration(h.ValueAtQuantile(99)) * time.Microsecond
		}
	}
	if n := loader.codes[0] + probe.codes[0]; n > 0 {
		r.Codes["other"] = n
	}
	h := probe.hist
	if h.TotalCount() == 0 {
		h = loader.hist // no probe: draw the loaders'
	}
	r.ProbeHistogram = buckets(h, 20)
	return r
}

// marks are the percentiles the drawn histogram points at.
var marks = []struct {
	q    float64
	name string
}{{50, "50"}, {85, "85"}, {95, "95"}, {99, "99"}, {99.9, "99.9"}}

// buckets cuts h's range, from 0 to its maximum, into n equal buckets.
func buckets(h *hdrhistogram.Histogram, n int) []Bucket {
	total := h.TotalCount()
	if total == 0 {
		return nil
	}
	width := max(1, (h.Max()+int64(n)-1)/int64(n)) // µs
	bs := make([]Bucket, n)
	for i := range bs {
		bs[i].UpTo = time.Duration(int64(i+1)*width) * time.Microsecond
	}
	for _, bar := range h.Distribution() {
		if bar.Count == 0 {
			continue
		}
		i := min(n-1, int(max(0, bar.From)/width))
		bs[i].Count += bar.Count
	}
	var cum int64
	m := 0
	for i := range bs {
		cum += bs[i].Count
		bs[i].Percent = 100 * float64(bs[i].Count) / float64(total)
		for m < len(marks) && 100*float64(cum) >= marks[m].q*float64(total) {
			bs[i].Percentiles = append(bs[i].Percentiles, marks[m].name)
			m++
		}
	}
	return bs
}

// WriteJSON writes the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report as text, with the histogram drawn as the
// Jetty Load Generator draws it: one line per bucket, '@' further right the
// more of the samples it holds.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	line := strings.Repeat("-", 52)
	fmt.Fprintf(&b, "%s\n%s\n%s\n", line, center(" Wharf Load Report ", 52), line)
	fmt.Fprintf(&b, "%s over %s\n", r.URL, r.Protocol)
	fmt.Fprintf(&b, "loaders           : %s requests/s on %d connection(s)", num(r.Rate), r.Connections)
	if r.AutoSized && r.Protocol == "HTTP/1.1" {
		fmt.Fprintf(&b, " (sized for %s answers)", r.Latency)
	}
	if r.Opened > int64(r.Connections) {
		fmt.Fprintf(&b, ", %d opened", r.Opened)
	}
	fmt.Fprintf(&b, "\nprobe             : %s requests/s\n", num(r.ProbeRate))
	fmt.Fprintf(&b, "begin date time   : %s\n", r.Begin.Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(&b, "complete date time: %s\n", r.End.Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(&b, "recording time    : %.3f s\n", r.Recording.Seconds())
	what := "probe"
	if r.Probe.Samples == 0 {
		what = "loader"
	}
	fmt.Fprintf(&b, "%s histogram:\n", what)
	for _, bk := range r.ProbeHistogram {
		pos := int(bk.Percent / 5) // 0..20
		fmt.Fprintf(&b, "%s@%s _ %8s (%d, %.2f%%)", strings.Repeat(" ", pos), strings.Repeat(" ", 20-pos), ms(bk.UpTo), bk.Count, bk.Percent)
		for _, p := range bk.Percentiles {
			fmt.Fprintf(&b, " ^%s%%", p)
		}
		b.WriteByte('\n')
	}
	for _, t := range []struct {
		name string
		t    Times
	}{{"probe", r.Probe}, {"loader", r.Loader}} {
		fmt.Fprintf(&b, "%-6s response times: %d samples | min/avg/50th%%/99th%%/99.9th%%/max = %s/%s/%s/%s/%s/%s\n", t.name, t.t.Samples,
			ms(t.t.Min), ms(t.t.Avg), ms(t.t.P50), ms(t.t.P99), ms(t.t.P999), ms(t.t.Max))
	}
	fmt.Fprintf(&b, "request rate (requests/s)  : %.3f\n", r.RequestRate)
	fmt.Fprintf(&b, "response rate (responses/s): %.3f\n", r.ResponseRate)
	fmt.Fprintf(&b, "late responses (after the window): %d\n", r.LateResponses)
	fmt.Fprintf(&b, "receive rate (bytes/s)     : %.3f\n", r.ReceiveRate)
	fmt.Fprintf(&b, "failures          : %d (probe %d)\n", r.Failures, r.ProbeFailures)
	for c := 1; c <= 5; c++ {
		k := fmt.Sprintf("%dxx", c)
		fmt.Fprintf(&b, "response %s group: %d", k, r.Codes[k])
		if d, ok := r.SlowestBy[k]; ok {
			fmt.Fprintf(&b, " (p99 %s, slowest %s)", ms(r.P99By[k]), ms(d))
		}
		b.WriteByte('\n')
	}
	if n := r.Codes["other"]; n > 0 {
		fmt.Fprintf(&b, "response other    : %d\n", n)
	}
	fmt.Fprintf(&b, "%s\n", line)
	if w := r.Warning(); w != "" {
		fmt.Fprintf(&b, "%s\n", w)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Warning is the warning for a run whose client queued its requests, or "".
func (r *Report) Warning() string {
	if r.ClientQueued == 0 {
		return ""
	}
	return fmt.Sprintf("WARNING: %d loader requests waited in the client for one of its %d connections: "+
		"the server was offered less than %s requests/s and the times include the wait; "+
		"raise -connections to about rate × response time", r.ClientQueued, r.Connections, num(r.Rate))
}

// num formats a rate as short as it goes: 2000, 0.5.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// ms formats d in milliseconds with three decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }

func center(s string, n int) string {
	pad := max(0, n-len(s))
	return strings.Repeat("-", pad/2) + s + strings.Repeat("-", pad-pad/2)
}
