package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// H2Scenario is one HTTP/2 load by h2load over h2c with prior knowledge.
type H2Scenario struct {
	Name, Title, Path string
	Conns, Streams    int // connections, concurrent streams on each
}

func h2Scenarios() []H2Scenario {
	return []H2Scenario{
		{"h2-hello-100x10", "HTTP/2 `/hello`, 100 connections × 10 streams", "/hello?name=h2load", 100, 10},
		{"h2-delay-100x100", "HTTP/2 suspended wait `/delay?ms=50`, 100 connections × 100 streams", "/delay?ms=50", 100, 100},
	}
}

// h2Servers are the servers that speak h2c; fasthttp and nbio do not.
var h2Servers = []string{"wharf", "nethttp"}

// H2Run is one measured h2load run.
type H2Run struct {
	Round             int
	RPS               float64
	Succeeded, Failed int64
	Min, Mean, Max    time.Duration // time for request
	CPU               CPUUse
}

// H2ServerRuns holds one server's runs of an HTTP/2 scenario.
type H2ServerRuns struct {
	Server string
	Runs   []H2Run
	Failed []string
}

// H2Result holds every run of one HTTP/2 scenario.
type H2Result struct {
	Scenario H2Scenario
	Servers  []H2ServerRuns
}

// RPS is the median req/s of the runs.
func (s H2ServerRuns) RPS() float64 {
	var xs []float64
	for _, r := range s.Runs {
		xs = append(xs, r.RPS)
	}
	return median(xs)
}

// MeanLatency is the median of the runs' mean request times.
func (s H2ServerRuns) MeanLatency() time.Duration {
	var xs []float64
	for _, r := range s.Runs {
		xs = append(xs, float64(r.Mean))
	}
	return time.Duration(median(xs))
}

// h2Bench runs the HTTP/2 scenarios, servers interleaved in each round.
func h2Bench(ctx context.Context, cfg Config, bins map[string]string, dir string, quiet *quietWaiter) ([]H2Result, error) {
	var out []H2Result
	for _, sc := range h2Scenarios() {
		r := H2Result{Scenario: sc}
		for _, s := range h2Servers {
			if bins[s] != "" {
				r.Servers = append(r.Servers, H2ServerRuns{Server: s})
			}
		}
		for round := 1; round <= cfg.Rounds; round++ {
			for i := range r.Servers {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				sr := &r.Servers[i]
				busy := quiet.wait(3 * time.Second)
				run, err := measureH2(ctx, cfg, bins[sr.Server], sc, filepath.Join(dir, fmt.Sprintf("%s-r%d-%s.txt", sc.Name, round, sr.Server)))
				run.Round = round
				if err != nil {
					logf("%s round %d %s: FAILED: %v", sc.Name, round, label(sr.Server), err)
					sr.Failed = append(sr.Failed, fmt.Sprintf("round %d: %v", round, err))
					continue
				}
				sr.Runs = append(sr.Runs, run)
				logf("%s round %d %-8s %9s req/s  mean %-9s max %-9s failed %d  cores: server %.2f h2load %.2f (before: %s)",
					sc.Name, round, label(sr.Server), fmtInt(run.RPS), fmtDur(run.Mean), fmtDur(run.Max), run.Failed,
					run.CPU.Server, run.CPU.Wrk, busyText(busy))
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// measureH2 runs one server with -h2c for one scenario.
func measureH2(ctx context.Context, cfg Config, bin string, sc H2Scenario, rawPath string) (H2Run, error) {
	p, err := startServer(ctx, bin, cfg.ServerCPU, bin+".log", "-h2c")
	if err != nil {
		return H2Run{}, err
	}
	defer p.stop()
	meter := startCPUMeter(p.pid())
	out, used, err := runPinned(ctx, cfg.ClientCPU, "h2load",
		"-c", strconv.Itoa(sc.Conns), "-m", strconv.Itoa(sc.Streams), "-t", "1",
		"-D", strconv.Itoa(int(cfg.Duration/time.Second)), "--warm-up-time="+strconv.Itoa(max(1, int(cfg.Warmup/time.Second))),
		p.url+sc.Path)
	use := meter.stop(used)
	_ = os.WriteFile(rawPath, []byte(out), 0o644)
	if err != nil {
		return H2Run{}, fmt.Errorf("h2load: %v: %s", err, lastLines(out, 3))
	}
	if !p.alive() {
		return H2Run{}, errors.New("the server exited during the run")
	}
	r, err := parseH2Load(out)
	r.CPU = use
	return r, err
}

var (
	h2Finished = regexp.MustCompile(`finished in [0-9.]+\w+, ([0-9.]+) req/s`)
	h2Requests = regexp.MustCompile(`requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout`)
	h2Time     = regexp.MustCompile(`time for request:\s+(\S+)\s+(\S+)\s+(\S+)`)
)

// parseH2Load reads h2load's summary.
func parseH2Load(out string) (H2Run, error) {
	var r H2Run
	m := h2Finished.FindStringSubmatch(out)
	q := h2Requests.FindStringSubmatch(out)
	tm := h2Time.FindStringSubmatch(out)
	if m == nil || q == nil || tm == nil {
		return r, fmt.Errorf("h2load printed no summary: %s", lastLines(out, 3))
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	r.Succeeded, _ = strconv.ParseInt(q[1], 10, 64)
	// Failed alone: h2load's "errored" is a subset of "failed" and its
	// "timeout" a subset of "errored" (h2load(1), OUTPUT), so adding them
	// would count one failed request up to three times.
	r.Failed, _ = strconv.ParseInt(q[2], 10, 64)
	var err error
	for i, d := range []*time.Duration{&r.Min, &r.Max, &r.Mean} {
		if *d, err = time.ParseDuration(tm[i+1]); err != nil {
			return r, fmt.Errorf("h2load time %q: %v", tm[i+1], err)
		}
	}
	return r, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " / ")
}

// renderH2 writes the HTTP/2 section.
func renderH2(p func(string, ...any), rs []H2Result, cfg Config) {
	p("\n## HTTP/2 (h2load)\n\n")
	p("`h2load` (nghttp2-client) over h2c with prior knowledge, pinned to the client CPU,\n")
	p("against each server started with `-h2c` on the server CPU: %s warm-up, %s measured,\n", secs(max(time.Second, cfg.Warmup)), secs(cfg.Duration))
	p("%d rounds with the servers interleaved; medians. fasthttp and nbio serve no HTTP/2.\n", cfg.Rounds)
	p("Latency is h2load's mean time per request (it reports no percentiles).\n\n")
	p("| Scenario | Server | req/s (median) | runs | mean latency | failed | server cores | vs net/http |\n")
	p("|---|---|---:|---|---:|---:|---:|---:|\n")
	for _, r := range rs {
		var ref float64
		for _, s := range r.Servers {
			if s.Server == "nethttp" {
				ref = s.RPS()
			}
		}
		for _, s := range r.Servers {
			if len(s.Runs) == 0 {
				p("| %s | %s | failed: %s | | | | | |\n", r.Scenario.Title, label(s.Server), strings.Join(s.Failed, "; "))
				continue
			}
			var runs []string
			var failed int64
			var cores []float64
			for _, run := range s.Runs {
				runs = append(runs, fmtInt(run.RPS))
				failed += run.Failed
				cores = append(cores, run.CPU.Server)
			}
			ratio := "—"
			if ref > 0 {
				ratio = fmt.Sprintf("%.2f×", s.RPS()/ref)
			}
			p("| %s | %s | %s | %s | %s | %d | %.2f | %s |\n", r.Scenario.Title, label(s.Server), fmtInt(s.RPS()), strings.Join(runs, ", "),
				fmtDur(s.MeanLatency()), failed, median(cores), ratio)
		}
	}
	p("\n%s", h2Notes)
}

// h2Notes is the prose after the HTTP/2 table.
const h2Notes = `Allocations of one HTTP/2 request and its small answer, the whole way
through (` + "`TestAllocsPerRequestH2`" + `: h2c, a raw client that keeps no HPACK
dynamic table): 17 until 2026-12-04, 10 since. Gone: the StreamError
that ` + "`errors.As`" + ` made on the heap for every frame read (two a request),
and the StreamError and ConnectionError it made at the end of every
read of the socket (two), the request's fields grown again for the Host
field they gain, the method value made each time the writer goroutine
starts on a quiet connection, and a trailer callback for a request
without a body. Left: the framer's HEADERS frame and the client's
WINDOW_UPDATE frame (x/net/http2's Framer makes each), the decoder's
strings for literal values, the stream, its task's method value, its
request's fields, the container's exchange and the answer's head fields
(HTTP/1.1 makes 4 for the same answer). With h2load by hand (` + "`-c100 -m10`" + `, three interleaved
rounds of 5 s): 133.7k/132.4k/129.6k → 132.1k/139.1k/131.3k req/s,
inside the drift: at ten streams a connection, ten requests share the
writer's start and the end of a read.
`
