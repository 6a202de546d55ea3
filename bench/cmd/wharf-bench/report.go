package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// write writes the markdown and the SVG ("-" skips one) and prints the
// markdown on stdout.
func write(res *Results, mdPath, svgPath string) error {
	md := renderMarkdown(res)
	if mdPath != "-" {
		if old, err := os.ReadFile(mdPath); err == nil {
			md = carrySSE(string(old), md) // the SSE section is -sse's to rewrite
		}
	}
	for _, f := range []struct{ path, text string }{{mdPath, md}, {svgPath, renderSVG(res)}} {
		if f.path == "-" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f.path, []byte(f.text), 0o644); err != nil {
			return err
		}
		logf("wrote %s", f.path)
	}
	if err := writeQoSSVG(res, mdPath); err != nil {
		return err
	}
	fmt.Print(md)
	return nil
}

// Thresholds above which a run counts as disturbed, in cores.
const (
	maxOther = 0.15
	maxSteal = 0.05
)

func (r Run) disturbed() bool { return r.CPU.Other > maxOther || r.CPU.Steal > maxSteal }

// disturbed counts the disturbed runs and all runs.
func (res *Results) disturbed() (d, n int) {
	for _, sc := range res.Scenarios {
		for _, s := range sc.Servers {
			for _, r := range s.Runs {
				n++
				if r.disturbed() {
					d++
				}
			}
		}
	}
	return d, n
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (sr ServerRuns) stat(f func(Run) float64) float64 {
	var xs []float64
	for _, r := range sr.Runs {
		xs = append(xs, f(r))
	}
	return median(xs)
}

// RPS, P50 and P99 are medians over the rounds.
func (sr ServerRuns) RPS() float64 { return sr.stat(func(r Run) float64 { return r.RPS }) }
func (sr ServerRuns) P50() time.Duration {
	return time.Duration(sr.stat(func(r Run) float64 { return float64(r.P50) }))
}
func (sr ServerRuns) P99() time.Duration {
	return time.Duration(sr.stat(func(r Run) float64 { return float64(r.P99) }))
}

// errorText sums the errors of every round.
func (sr ServerRuns) errorText() string {
	var t WrkResult
	for _, r := range sr.Runs {
		t.Connect += r.Connect
		t.Read += r.Read
		t.Write += r.Write
		t.Timeout += r.Timeout
		t.Non2xx += r.Non2xx
	}
	var parts []string
	for _, e := range []struct {
		name string
		n    int64
	}{{"connect", t.Connect}, {"read", t.Read}, {"write", t.Write}, {"timeout", t.Timeout}, {"non-2xx", t.Non2xx}} {
		if e.n > 0 {
			parts = append(parts, e.name+" "+fmtInt(float64(e.n)))
		}
	}
	if len(sr.Failed) > 0 {
		parts = append(parts, fmt.Sprintf("%d failed run(s)", len(sr.Failed)))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

// unclean says, for a target's measured text, which of the compared runs
// had errors or failed rounds; "" if none had. wrk counts an answer other
// than 2xx or 3xx in its req/s like any other, and a run with timeouts or
// socket errors carried less load than was asked of it, so a comparison
// of such runs is not judged met, as the slow downloads' targets are not
// when a download failed.
func unclean(runs ...ServerRuns) string {
	var bad []string
	for _, sr := range runs {
		if t := sr.errorText(); t != "0" {
			bad = append(bad, label(sr.Server)+": "+t)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return "; but the runs had errors (" + strings.Join(bad, "; ") + "), so not judged met"
}

// notHeld says, for a goroutine target's measured text, how many of the
// connections asked for were not held when the goroutines were counted;
// "" if all were. One that failed to connect, or that the server answered
// or closed early, holds no goroutine whatever the server does, so a count
// taken without it says nothing of what it would have held.
func notHeld(m MemoryResult) string {
	if m.Held() >= m.Conns {
		return ""
	}
	return fmt.Sprintf("; but only %s of the %s connections were held then (%s failed to connect, %s answered or closed early), so not judged met",
		fmtInt(float64(m.Held())), fmtInt(float64(m.Conns)), fmtInt(float64(m.DialErrors)), fmtInt(float64(m.Early)))
}

// find returns the runs of server in scenario name, if measured.
func (res *Results) find(name, server string) (ServerRuns, bool) {
	for _, sc := range res.Scenarios {
		if sc.Scenario.Name != name {
			continue
		}
		for _, s := range sc.Servers {
			if s.Server == server && len(s.Runs) > 0 {
				return s, true
			}
		}
	}
	return ServerRuns{}, false
}

func (res *Results) memory(server string) (MemoryResult, bool) {
	for _, m := range res.Memory {
		if m.Server == server && m.Err == "" {
			return m, true
		}
	}
	return MemoryResult{}, false
}

func fmtInt(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s" }

// delayNotes says how each server implements /delay.
var delayNotes = map[string]string{
	"wharf":    "suspends the request with a continuation and returns; the continuation's timeout re-dispatches it, and that pass answers. No goroutine is held while it waits",
	"nethttp":  "`time.Sleep` in the handler: net/http has no way to answer after the handler returned, so the wait holds the connection's goroutine",
	"fasthttp": "`time.Sleep` in the handler: a fasthttp handler must finish the response before it returns, so the wait holds a worker goroutine",
	"nbio":     "non-blocking: the handler hijacks the nbhttp response, arms `Engine.AfterFunc` and returns; the timer's callback writes the whole response on the connection, which stays in nbio's poller. No goroutine is held while it waits (nbhttp has no API to finish a response later, so the callback writes the bytes itself)",
}

var serverNotes = map[string]string{
	"wharf":    "`examples/hello`, built from this repository, with its epoll HTTP/1.1 connector; `/hello` and `/delay` are declared NonBlocking and run on the producing goroutine, `/sleep` and `/cpu` are Blocking and run on the default (unbounded) executor",
	"nethttp":  "`bench/servers/nethttp`: `http.Server` with an `http.ServeMux`",
	"fasthttp": "`bench/servers/fasthttp`: `fasthttp.Server` with its defaults",
	"nbio":     "`bench/servers/nbio`: `nbhttp.Engine` with its defaults (non-blocking I/O mode, epoll pollers, handlers on nbhttp's goroutine pool)",
}

func renderMarkdown(res *Results) string {
	cfg, env := res.Config, res.Env
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# Benchmarks\n\n")
	p("Whole-server benchmarks of Wharf against three Go HTTP servers. This file and\n")
	p("[benchmarks.svg](benchmarks.svg) are generated by `bash bench/run.sh`\n")
	p("(`bench/cmd/wharf-bench`); do not edit them by hand, run it again.\n\n")
	p("Last run: %s", env.Date)
	if env.Commit != "" {
		p(", Wharf at commit `%s` (with the work tree as it was)", env.Commit)
	}
	p("; the whole run took %s.\n\n", res.Elapsed.Round(time.Second))
	if d, n := res.disturbed(); d > 0 {
		p("**%d of %d runs were disturbed** by other work on the machine or CPU time\n", d, n)
		p("stolen by the hypervisor (see [Disturbances](#disturbances)): read the\n")
		p("figures, and the verdicts under Targets, with that in mind.\n\n")
	}
	p("![Requests per second per scenario and server, log scale](benchmarks.svg)\n\n")

	p("## What is measured\n\n")
	p("Four servers answer the same four endpoints with the same bodies:\n")
	p("`/hello?name=N` (200 `Hello, N!`), `/sleep?ms=M` (the handler blocks M ms),\n")
	p("`/delay?ms=M` (answers after M ms, without holding a goroutine where the\n")
	p("server can) and `/cpu?n=N` (N rounds of the xorshift loop of\n")
	p("`examples/hello`; n = %s costs about 0.2 ms on this machine).\n\n", fmtInt(float64(cfg.CPUN)))
	p("| Server | What runs | `/delay` |\n|---|---|---|\n")
	for _, s := range cfg.Servers {
		p("| %s | %s | %s |\n", label(s), serverNotes[s], delayNotes[s])
	}
	if len(env.Modules) > 0 {
		p("\nPeer versions: %s.\n", "`"+strings.Join(env.Modules, "`, `")+"`")
	}

	p("\n## How\n\n")
	p("- Load generator: %s, `-t%d`, `--latency`, `--timeout %ds` (slower answers\n", env.Wrk, cfg.Threads, int(cfg.Timeout.Seconds()))
	p("  count as timeouts and leave the latency distribution; the errors column\n")
	p("  shows them). Connections: 100 or 10,000 per scenario.\n")
	p("- Each measured run lasts %s and follows a %s warm-up run with the same\n", secs(cfg.Duration), secs(cfg.Warmup))
	p("  load, whose figures are discarded. Every run gets a fresh server process.\n")
	p("- %d round(s), interleaved: each round runs every server in turn (%s in the\n", cfg.Rounds, joinLabels(cfg.Servers))
	p("  first, starting one server later in each round after it), then\n")
	p("  the next round, so that drift of the machine hits all alike. The tables\n")
	p("  give the median over the rounds of req/s, p50 and p99 (with 2 rounds, the\n")
	p("  mean of the two) and each round's req/s.\n")
	p("- Pinning: the server runs under `taskset -c %d` (so Go sizes GOMAXPROCS to 1),\n", cfg.ServerCPU)
	p("  wrk under `taskset -c %d`; everything on 127.0.0.1. The soft limit of open\n", cfg.ClientCPU)
	p("  files is raised to the hard limit (%s).\n", fmtInt(float64(env.Nofile)))
	p("- Machine: %s, %d CPUs, %s RAM, Linux %s; %s.\n", env.CPU, env.CPUs, env.MemTotal, env.Kernel, env.GoVersion)
	p("- Limits: one core per side. wrk on one core may itself be the limit for the\n")
	p("  fastest server in the plaintext scenarios. wrk is a closed loop (a\n")
	p("  connection sends its next request when the previous answer arrives), so\n")
	p("  its percentiles are service times under that loop, not the latencies an\n")
	p("  open-loop load would see.\n")

	p("\n## Results\n")
	for _, sc := range res.Scenarios {
		p("\n### %s\n\n", sc.Scenario.Title)
		wharf, haveWharf := res.find(sc.Scenario.Name, "wharf")
		p("| Server | req/s | req/s per round | p50 | p99 | errors | cores: server / wrk / other | Wharf ÷ server (req/s) |\n")
		p("|---|---:|---|---:|---:|---|---|---:|\n")
		for _, s := range sc.Servers {
			if len(s.Runs) == 0 {
				p("| %s | not measured | | | | %s | | |\n", label(s.Server), s.errorText())
				continue
			}
			var rounds []string
			for _, r := range s.Runs {
				rounds = append(rounds, fmtInt(r.RPS))
			}
			ratio := "—"
			if s.Server != "wharf" && haveWharf && s.RPS() > 0 {
				ratio = fmt.Sprintf("%.2f", wharf.RPS()/s.RPS())
			}
			cores := fmt.Sprintf("%.2f / %.2f / %.2f", s.stat(func(r Run) float64 { return r.CPU.Server }),
				s.stat(func(r Run) float64 { return r.CPU.Wrk }), s.stat(func(r Run) float64 { return r.CPU.Other }))
			p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", label(s.Server), fmtInt(s.RPS()), strings.Join(rounds, " / "),
				fmtDur(s.P50()), fmtDur(s.P99()), s.errorText(), cores, ratio)
		}
		for _, s := range sc.Servers {
			for _, f := range s.Failed {
				p("\n%s failed: %s\n", label(s.Server), f)
			}
		}
		if strings.HasPrefix(sc.Scenario.Name, "sleep-") || strings.HasPrefix(sc.Scenario.Name, "delay-") {
			p("\nCeiling set by the wait alone: %s connections ÷ 50 ms = %s req/s.\n",
				fmtInt(float64(sc.Scenario.Conns)), fmtInt(float64(sc.Scenario.Conns)/0.05))
		}
	}

	p("\n### Disturbances\n\n")
	p("The machine is a shared VM. Before each run the harness waits (at most 3 s,\n")
	p("%s in all; it waited %s) for a half second with less than 0.15\n", secs(cfg.QuietWait), res.QuietWait.Round(100*time.Millisecond))
	p("cores busy. During each run it records the cores used by the server, by\n")
	p("wrk, by everything else (other processes and the kernel's interrupt work,\n")
	p("part of which is the benchmark's own loopback traffic), and stolen by the\n")
	p("hypervisor. Runs with more than %.2f cores of other work or %.2f stolen:\n\n", maxOther, maxSteal)
	disturbed := 0
	for _, sc := range res.Scenarios {
		var runs []string
		for _, s := range sc.Servers {
			for _, r := range s.Runs {
				if r.disturbed() {
					disturbed++
					runs = append(runs, fmt.Sprintf("%s round %d (other %.2f, steal %.2f)", label(s.Server), r.Round, r.CPU.Other, r.CPU.Steal))
				}
			}
		}
		if len(runs) > 0 {
			p("- %s: %s\n", sc.Scenario.Name, strings.Join(runs, "; "))
		}
	}
	if disturbed == 0 {
		p("- none.\n")
	}

	if len(res.Memory) > 0 {
		m0 := res.Memory[0]
		p("\n## Memory per suspended long poll\n\n")
		p("Each server is started alone (pinned as above) and warmed up with 480\n")
		p("keep-alive requests (`/hello`, `/delay?ms=1`, `/sleep?ms=1`) on 8\n")
		p("connections, which are then closed; after 0.5 s its VmRSS\n")
		p("(`/proc/PID/status`) and goroutine count are the baseline. Then a Go client\n")
		p("(`wharf-bench`, raw `net.Conn`s) opens %s keep-alive connections, each\n", fmtInt(float64(m0.Conns)))
		p("sending `GET /delay?ms=%d`, a long poll that would answer after %s. %s after the\n", cfg.MemDelay.Milliseconds(), secs(cfg.MemDelay), secs(cfg.MemSettle))
		p("last request was sent, VmRSS and the goroutine count are read again, and the\n")
		p("connections closed. Per connection = (RSS − baseline) ÷ the connections\n")
		p("still waiting then (any answered or closed early are left out). The\n")
		var servers, sources []string
		for _, m := range res.Memory {
			servers, sources = append(servers, label(m.Server)), append(sources, m.GoroutineSource)
		}
		p("goroutine counts come from %s.\n", goroutineSources(servers, sources))
		if m, ok := res.memory("wharf-tls"); ok {
			p("Wharf is measured a second time over TLS (`-tls`: TLS 1.3 with a\n")
			p("certificate made at start, HTTP/1.1 by ALPN), with %s long polls from\n", fmtInt(float64(m.Conns)))
			p("`crypto/tls` clients: the row \"Wharf over TLS\"; and a third time with as\n")
			p("many TLS connections that each ask for `/hello`, read the answer and stay\n")
			p("open, idle: the row \"Wharf over TLS, idle keep-alive\".\n")
		}
		p("\n")
		p("| Server | RSS idle | RSS with long polls | per connection | goroutines idle | goroutines with long polls | notes |\n")
		p("|---|---:|---:|---:|---:|---:|---|\n")
		for _, m := range res.Memory {
			if m.Err != "" {
				p("| %s | failed: %s | | | | | |\n", label(m.Server), m.Err)
				continue
			}
			var notes []string
			what := "suspended"
			if m.Server == "wharf-tls-idle" {
				what = "idle"
			}
			notes = append(notes, fmt.Sprintf("%s %s, sent in %s", fmtInt(float64(m.Held())), what, fmtDur(m.SendTime)))
			if m.DialErrors > 0 {
				notes = append(notes, fmt.Sprintf("%d failed to connect", m.DialErrors))
			}
			if m.Early > 0 {
				notes = append(notes, fmt.Sprintf("%d answered or closed early", m.Early))
			}
			if w := m.Wharf; w != nil {
				notes = append(notes, fmt.Sprintf("its /debug/vars: %s suspended, %s connections open of which %s detached, executor workers %d (max %d)",
					fmtInt(float64(w.Suspended)), fmtInt(float64(w.Connections.Open)), fmtInt(float64(w.Connections.Detached)), w.Executor.Workers, w.Executor.MaxWorkers))
			}
			p("| %s | %s KiB | %s KiB | %.2f KiB | %s | %s | %s |\n", label(m.Server), fmtInt(float64(m.BaselineKiB)), fmtInt(float64(m.LoadedKiB)),
				m.PerConnKiB(), fmtInt(float64(m.BaselineGoroutines)), fmtInt(float64(m.LoadedGoroutines)), strings.Join(notes, "; "))
		}
		p("\nRSS counts every page the process touched, including the kernel-side\n")
		p("cost only indirectly (socket buffers are not in RSS) and Go heap the GC\n")
		p("has not returned yet; it is what an operator sees.\n")
		p("%s", memoryAccounting)
	}

	if res.ProtoMemory != nil {
		renderProtoMemory(p, res.ProtoMemory, res.Config)
	}

	renderStatic(p, res)

	if res.H2 != nil {
		renderH2(p, res.H2, res.Config)
	}

	if res.Chat != nil {
		renderChat(p, res.Chat)
	}
	if res.WSIdle != nil {
		renderWSIdle(p, res.WSIdle)
	}

	if res.QoS != nil {
		renderQoS(p, res.QoS, res.Config)
	}

	p("\n## Targets\n\n")
	p("| Target | Measured | Met? |\n|---|---|---|\n")
	for _, t := range targets(res) {
		p("| %s | %s | %s |\n", t.target, t.measured, t.status)
	}
	p("\n%s\n", targetNotes(res))
	return b.String()
}

func joinLabels(servers []string) string {
	var ls []string
	for _, s := range servers {
		ls = append(ls, label(s))
	}
	return strings.Join(ls, ", ")
}

type target struct{ target, measured, status string }

func verdict(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**not met**"
}

const notMeasured = "not measured"

func targets(res *Results) []target {
	var ts []target
	for _, c := range []struct{ name, conns string }{{"plaintext-100", "100"}, {"plaintext-10000", "10,000"}} {
		t := target{target: "Plaintext req/s ≥ fasthttp's, " + c.conns + " connections", measured: notMeasured, status: notMeasured}
		w, ok1 := res.find(c.name, "wharf")
		f, ok2 := res.find(c.name, "fasthttp")
		if ok1 && ok2 {
			note := unclean(w, f)
			t.measured = fmt.Sprintf("Wharf %s vs fasthttp %s (%.2f×)%s", fmtInt(w.RPS()), fmtInt(f.RPS()), w.RPS()/f.RPS(), note)
			t.status = verdict(note == "" && w.RPS() >= f.RPS())
		}
		ts = append(ts, t)
	}
	plain, okPlain := res.find("plaintext-10000", "wharf")
	for _, c := range []struct{ name, what string }{{"sleep-10000", "`/sleep?ms=50`"}, {"delay-10000", "`/delay?ms=50`"}} {
		t := target{target: "At 10,000 connections " + c.what + " ≥ 90% of Wharf's plaintext req/s", measured: notMeasured, status: notMeasured}
		if w, ok := res.find(c.name, "wharf"); ok && okPlain {
			note := unclean(w, plain)
			t.measured = fmt.Sprintf("%s vs 90%% of %s = %s (%.0f%%)%s", fmtInt(w.RPS()), fmtInt(plain.RPS()), fmtInt(0.9*plain.RPS()), 100*w.RPS()/plain.RPS(), note)
			t.status = verdict(note == "" && w.RPS() >= 0.9*plain.RPS())
		}
		ts = append(ts, t)
	}
	m, okMem := res.memory("wharf")
	t := target{target: "≤ 1 KiB RSS per suspended long-poll connection", measured: notMeasured, status: notMeasured}
	if okMem && m.Held() > 0 {
		t.measured = fmt.Sprintf("%.2f KiB (%s KiB for %s connections)", m.PerConnKiB(), fmtInt(float64(m.LoadedKiB-m.BaselineKiB)), fmtInt(float64(m.Held())))
		t.status = verdict(m.PerConnKiB() <= 1)
	}
	ts = append(ts, t)
	t = target{target: "≤ 8 KiB RSS per suspended long poll over TLS", measured: notMeasured, status: notMeasured}
	if mt, ok := res.memory("wharf-tls"); ok && mt.Held() > 0 {
		t.measured = fmt.Sprintf("%.2f KiB (%s KiB for %s connections; goroutines %s → %s)", mt.PerConnKiB(), fmtInt(float64(mt.LoadedKiB-mt.BaselineKiB)),
			fmtInt(float64(mt.Held())), fmtInt(float64(mt.BaselineGoroutines)), fmtInt(float64(mt.LoadedGoroutines)))
		t.status = verdict(mt.PerConnKiB() <= 8)
	}
	ts = append(ts, t)
	t = target{target: "Idle keep-alive TLS connections hold no goroutine", measured: notMeasured, status: notMeasured}
	if mi, ok := res.memory("wharf-tls-idle"); ok && mi.Held() > 0 {
		note := notHeld(mi)
		t.measured = fmt.Sprintf("goroutines %s → %s with %s idle TLS connections; %.2f KiB RSS each%s", fmtInt(float64(mi.BaselineGoroutines)),
			fmtInt(float64(mi.LoadedGoroutines)), fmtInt(float64(mi.Held())), mi.PerConnKiB(), note)
		t.status = verdict(note == "" && mi.LoadedGoroutines <= mi.BaselineGoroutines+res.Config.GoroutineBudget)
	}
	ts = append(ts, t)
	t = target{target: fmt.Sprintf("Goroutines while %s requests are suspended ≤ selectors + executor core", fmtInt(float64(res.Config.MemConns))),
		measured: notMeasured, status: notMeasured}
	if okMem && m.Held() > 0 {
		bound := m.BaselineGoroutines + res.Config.GoroutineBudget
		note := notHeld(m)
		t.measured = fmt.Sprintf("%s goroutines (idle: %s; bound taken as idle + %d = %s, see below)%s",
			fmtInt(float64(m.LoadedGoroutines)), fmtInt(float64(m.BaselineGoroutines)), res.Config.GoroutineBudget, fmtInt(float64(bound)), note)
		t.status = verdict(note == "" && m.LoadedGoroutines <= bound)
	}
	ts = append(append(append(ts, t), chatTargets(res)...), wsIdleTargets(res)...)
	ts = append(ts, protoMemoryTargets(res)...)
	ts = append(ts, qosTargets(res)...)
	return append(ts, staticTargets(res)...)
}

func targetNotes(res *Results) string {
	return fmt.Sprintf(`Notes on the targets:

- The goroutine bound: the harness does not read Wharf's selectors and
  executor core; it allows its idle goroutine count (which already includes
  the selectors, started with the server, and any idle workers) plus
  `+"`-goroutine-budget`"+` = %d, a stand-in for the core. Set the flag to the
  executor's core size when it has a fixed one.
- Every figure comes from one machine with one core for the server; the
  targets are judged on the medians above, with no margin for noise. A
  ratio near 1.00 is within the spread between rounds shown in each table.

Where the misses come from (CPU profiles and perf of examples/hello under
the same loads; see docs/architecture.md for the design):

- Plaintext: measured by hand (2026-12-03, 23:00 UTC: `+"`wrk -t2 -c100`"+`,
  server and wrk pinned to separate cores, `+"`perf stat`"+` on the server's
  system calls and `+"`perf record`"+` on its core, fasthttp the same way),
  the two servers made the same system calls a request, two read(2) (one
  finds the request, one finds nothing) and one write (writev(2) for
  Wharf), with one epoll_wait per 80–160 requests, and spent about the
  same in the kernel on them: 4.6 µs a request against 4.1 µs, most of
  the difference in waking wrk, which waits more often for a slower
  server. Since 2026-12-04 Wharf makes one read(2) a request: a read
  that comes back short has found the socket drained (TCP fills a read
  with all it holds), and bytes that arrive after it make an epoll edge,
  so once the response is out the connection turns idle without the
  read that would find nothing, unless an edge, the client's end or
  urgent data came (by hand at 100 connections, three interleaved
  rounds: 155.4k/160.6k/163.1k → 159.5k/165.4k/169.7k req/s, 6.39/6.20/6.11
  → 6.24/6.03/5.87 µs of the server's CPU a request, against fasthttp's
  4.3–4.8 µs; at 10,000 connections no change past the rounds' spread,
  four rounds each, medians 107.4k and 108.4k). The gap is user space:
  2.4 µs a request against fasthttp's 1.0 µs (7.1 and 5.1 µs in all, on
  2026-12-03). fasthttp recycles one request object
  per connection; a Wharf request is an immutable value a handler may
  keep, so each one is built anew (3 allocations in the connector, 5 in
  the container, with the garbage collection they cause), and it runs
  through the async state machine that makes suspension safe. Allocating
  and collecting is about a third of that user time (with GOGC=800 the
  server was 3%% faster); the rest is spread thin over parsing, mapping,
  the state machine and writing the head, no function above 1.5%% of the
  core. At 100 connections fasthttp also keeps wrk's core fully busy:
  wrk may be what bounds it.
  Counted rather than timed (2026-12-04, 12:20–13:10 UTC, on an AMD EPYC
  VM whose speed moved by half between minutes): `+"`valgrind --tool=callgrind`"+`
  on examples/hello (GOMAXPROCS=1), 20,000 keep-alive `+"`/hello?name=wrk`"+`
  on one connection after 2,000 unmeasured, gave 18,811 user-space
  instructions a request (the same to 0.1%% on a second run). Most of them
  are spread thin, but some were waste, now cut: the response's
  Content-Type and Content-Length looked up with `+"`Header.Get`"+`, which
  canonicalizes the key again (the map is indexed directly now), the
  query's `+"`strings.ContainsAny`"+` and the server's limits worked out from
  its Config three times a request (now once): 1,555 instructions
  together; the Date field formatted for every response (now once a
  second, kept behind an atomic pointer by each server, HTTP/1.1's and
  HTTP/2's, which also allocated it as a string): 400; the path's two
  `+"`strings.Contains`"+` and its `+"`url.PathUnescape`"+` with no '%%' in it (one
  pass each now): 257; the search for CR, LF and NUL in the fields
  written, now eight bytes at a time: 214; a string join for an exact
  match: 69; a lookup of the handler's Connection field before the loop
  that meets it anyway: 148; the byte-by-byte look at the names nearly
  every request carries (Host, User-Agent...) before returning them as
  they came: 182 (each figure the difference of two counts).
  15,986 instructions a request are left (−15%%): parsing the head about 2,300, making the request and
  mapping it about 1,600, the handler's own header map and strings about
  1,600, writing the head about 1,300, the rest the state machine, the
  system call wrappers, allocating and collecting. Counted the same way, a suspended wait
  (`+"`/delay?ms=1`"+`, 3,000 on one connection) went from 31,222 to 28,131
  instructions (before the last two cuts; −10%%), much of what is left the runtime's idle work
  while the one connection waits; at 10,000 connections (`+"`wrk -t2`"+`,
  six interleaved rounds, the two binaries taking turns going first)
  no change past the spread: medians 48.6k → 49.4k req/s, user CPU a
  request 9.16 → 8.79 µs, where cold structures, not instructions,
  weigh most.
  By hand at 100 connections in the same hour, four interleaved rounds
  of 5 s, fasthttp in each: 69.5k/67.9k/68.0k/84.4k → 72.5k/69.6k/
  71.7k/91.7k req/s (+4.8%% in the median, the new binary ahead in every
  round; the machine sped up for the last), 0.83× → 0.87× fasthttp
  (medians of the rounds' ratios), user CPU a request 5.92 → 5.75 µs
  against fasthttp's 3.9, system time unchanged and the same as
  fasthttp's (8.1–8.6 µs in the first three rounds). fasthttp would not run under
  valgrind then (its workers' lock contention reaches an instruction
  valgrind does not know); tried again after such a failure, it does.
  Counted beside fasthttp (2026-12-04, 17:38 UTC:
  `+"`bash bench/run.sh -instructions -instr-base 303cd8f`"+`, which counts fasthttp too now),
  Wharf spent 16,353 user-space instructions on a plaintext request at
  100 connections to fasthttp's 8,342; on `+"`/delay?ms=20`"+` at 1,000
  connections 29,911 to fasthttp's 10,840 (its handler sleeps, and it
  allocates nothing, so it never collects); on `+"`/sleep?ms=20`"+` 31,939 to
  10,842. The largest single piece was the response's header map: a
  build that set no type and sniffed none counted 12,769 and 25,134. The
  map a handler makes for its one field (two allocations and the value's
  slice, 416 bytes that bring the next collection nearer), its key
  canonicalized by `+"`Header.Set`"+`, the lookups and the walk over it when
  the head is written were a fifth of a plaintext request.
  `+"`api.SetContentType(w, v)`"+` now sets the type without one: the
  container's Response holds the type in a field (the room made by
  moving the sticky error and the trailers, which few responses have,
  behind one pointer: the exchange stays in its 512-byte class), and the
  head is written from a map the container shares among the responses
  of that type (sixteen types at most; a stream only reads the map it is
  given); `+"`Header`"+`, if called, makes the map with the type in it. A
  sniffed type goes the same way. With examples/hello using it: 13,831
  (−15.4%%), 25,675 (−14.2%%) and 28,564 (−10.6%%), 1.66×, 2.37× and 2.63×
  fasthttp's counts. `+"`TestAllocsPerRequest/container/content-type`"+` holds
  such a response to 4 allocations (7 with the map). Timed by hand at
  100 connections right after, four interleaved rounds of 5 s with
  fasthttp in each: 55.9k/59.9k/60.1k/47.5k → 61.0k/65.1k/70.5k/51.6k
  req/s, ahead in every round (+8.6%% to +17.4%%, median +8.9%%), 0.87× →
  0.94× fasthttp (medians of the rounds' ratios; 1.06× in one round).
  A head whose only field is its type is now also written without
  walking the map (a walk starts at a random place, which cost more than
  the field) and without looking Date up: 13,851 → 13,430 (−3.0%%).
  Later that evening the shared maps went: `+"`connector.Stream.WriteHead`"+`
  takes the type beside the header, so a response whose only field is
  its type reaches the stream with a nil header and the type alone;
  nothing is shared, no list of types is kept, and HTTP/2 and the
  net/http adapter (HTTP/3) write such a head without a map too. The
  timer wheel now files a timer from its own monotonic clock rather than
  `+"`time.Now`"+`, which reads the wall clock as well (two timers a `+"`/delay`"+`
  request: about 300 instructions). Plaintext at 100 connections 13,094
  → 12,933 (−1.2%%, one run each); `+"`/delay`"+` at 1,000 moved inside the
  collector's run-to-run spread (24,853 → 25,257, the wheel's and the
  map's share down by about 350). Over
  the whole session (against e786a0d, 18:10 UTC): plaintext 16,557 →
  13,506 (−18.4%%), `+"`/delay`"+` 29,667 → 25,656 (−13.5%%), `+"`/sleep`"+` 32,852 →
  27,673 (−15.8%%); fasthttp 8,213, 10,739 and 10,954 in the same run
  (1.64×, 2.39×, 2.53×). `+"`/delay?ms=50`"+` at 10,000 connections, timed
  by hand in three interleaved rounds of 5 s on the drifting machine:
  50.3k/39.7k/38.2k → 52.3k/42.6k/34.7k req/s, inside the drift, and
  ahead of fasthttp (40.5k/31.7k/31.1k) in every round either way.
  Plaintext at 100 connections again at 18:20 UTC, six interleaved
  rounds of the session's first build, its last and fasthttp: medians
  55.8k, 56.0k and 56.2k req/s (0.99× fasthttp in the median of the
  rounds' ratios, 0.94× to 1.01×), all three near what `+"`wrk`"+`'s core
  could send; CPU a request (user and system, from /proc) 15.97 µs,
  15.07 µs and 15.33 µs, user alone 6.22, 5.62 and 4.82 µs: in this
  run Wharf spent less of the core a request than fasthttp, its extra
  user time made up by less system time.
  At 10,000 connections the last nine full runs measured 0.92×, 1.00×,
  0.93×, 1.05×, 1.02×, 1.08×, 1.07×, 1.10× and 1.06× fasthttp: met in
  the last six, each of their rounds at or above 1.00× fasthttp and well
  above nbio (the run of 2026-12-03, 23:18 UTC: 120.7k against 117.9k,
  1.05× and 1.00× in its two rounds, nbio 72.3k; 2026-12-04, 05:54 UTC:
  115.5k against 106.7k, 1.07× and 1.10×, nbio 71.2k; 06:33 UTC: 129.8k
  against 121.1k, 1.08× and 1.07×, nbio 79.1k; 09:06 UTC: 120.1k against
  108.7k, 1.03× and 1.19×, nbio 72.9k; the run above, 09:22 UTC: 153.4k
  against 144.0k, 1.02× and 1.11×, nbio 88.2k, the fastest day yet for
  every server). The 23:18 run
  found every server faster at 10,000 connections than the run before
  it (fasthttp 85.2k → 117.9k, Wharf 89.2k → 120.7k; at 100
  connections every server was 2–9%% faster): the machine's day, not a
  change of code.
- `+"`/delay`"+` at 10,000 connections: the wait's timeout is a 48-byte timer
  inside the request, filed in the timer wheel of the selector that polls
  its connection (a timerfd in the selector's epoll set wakes it); when it
  fires, the producer runs the expired re-dispatch of a NonBlocking
  handler itself, as it runs the first dispatch (PC mode). Before that
  (2026-12-02), each wait had a runtime timer whose expiry started a
  goroutine and handed the re-dispatch to an executor worker: a CPU
  profile under this load put 16%% of the server's core in creating
  goroutines and growing their stacks (a fresh goroutine's stack is
  copied twice on the way to the response), and interleaved by hand
  (`+"`wrk -t1 -c10000`"+`, 10 s, server and load pinned apart) the change
  took `+"`/delay`"+` from 29.1k/31.4k/31.0k to 45.8k/45.7k/48.7k req/s
  (1.46–1.57×); measured again after a review's fixes, 33.8k/34.4k/33.6k
  → 48.9k/47.6k/45.9k (1.37–1.45×), against 53.9k/52.4k for plaintext
  `+"`/hello`"+` at 10,000 the same way (`+"`/delay`"+` ÷ plaintext 0.89–0.90). A
  partial run of this harness the same day (the plaintext
  and wait scenarios, three rounds) measured `+"`/delay`"+` at 45.8k/34.9k/42.1k
  req/s against fasthttp's 41.2k/40.4k/42.5k and nbio's 29.6k/37.6k/38.9k:
  the median 1.02× fasthttp and 1.12× nbio, but not ahead in every round,
  and 0.84× Wharf's own plaintext at 10,000 connections (49.8k). The full
  run of 2026-12-03 (two rounds) measured 63.0k/68.0k against fasthttp's
  52.7k/53.4k and nbio's 49.0k/49.8k, ahead of both in each round, and
  0.87× Wharf's own plaintext (75.1k). The full runs of 16:41 and 17:12
  UTC the same day, after the per-request structs shrank (above),
  measured 71.8k/68.2k and 70.6k/67.1k against fasthttp's 54.7k/56.7k
  and 55.9k/52.5k and nbio's 48.4k/52.7k and 48.7k/48.8k, ahead of both
  in every round, and 0.98× and 0.94× Wharf's own plaintext at 10,000
  (71.2k, 73.5k): the 90%% target met in both. The runs of 19:42 and
  20:25 UTC, after the evening's cuts, measured 75.5k/79.0k and
  81.4k/81.6k against fasthttp's 58.2k/59.2k and 58.1k/60.2k and nbio's
  56.4k/56.9k and 57.6k/57.5k, and 1.00× and 0.91× Wharf's own plaintext
  (77.3k, 89.2k): met in all four runs from 16:41 to 20:25 UTC. The run
  of 23:18 UTC measured 75.8k/94.3k (median 85.1k) against
  fasthttp's 65.6k/66.2k and nbio's 60.9k/64.1k, ahead of both in each
  round, but 0.71× Wharf's own plaintext, which read 120.7k in that run:
  missed there (in its first round the server used 0.86 of its core and
  wrk 0.64 of its own, neither saturated). The run of 2026-12-04, 05:54
  UTC, measured 105.1k/109.8k (median 107.4k, the best yet) against
  fasthttp's 86.7k/79.1k and nbio's 75.2k/69.7k, ahead of both in each
  round, and 0.93× Wharf's own plaintext (115.5k): met again. The run of
  06:33 UTC measured 103.4k/97.9k (median 100.7k)
  against fasthttp's 84.4k/80.6k and nbio's 67.2k/67.5k, ahead of both
  in each round again, but 0.78× Wharf's own plaintext, which read 129.8k:
  missed. The runs of 09:06 and 09:22 UTC (the table above) measured
  89.3k/85.4k and 112.5k/112.3k (median 112.4k, the best yet) against
  fasthttp's 64.9k/68.6k and 88.1k/90.9k and nbio's 61.2k/63.8k and
  73.5k/64.1k, ahead of both in every round, and 0.73× Wharf's own
  plaintext in both (120.1k; 153.4k): missed. The ratio follows plaintext, which moves more
  between runs than `+"`/delay`"+` does. What is
  left is what plaintext does too: about 45%% of the core in read(2) and writev(2), and a second
  dispatch through the chain. Profiled by hand on 2026-12-04 (server on
  one core, `+"`wrk -t2 -c10000`"+` on the other, `+"`go tool pprof`"+` over 7 s, then
  `+"`perf stat`"+` and `+"`perf record`"+`): plaintext 131.9k req/s and
  `+"`/delay`"+` 90.5k, the server's core full in both (wrk's median latency
  for `+"`/delay`"+` was 110 ms: 50 ms of wait, the rest the server's queue).
  Both made the same system calls a request (then two read(2), one writev(2),
  one epoll_pwait every 195 or so) and both spent 61%% of their samples
  in them, but after a wait each call costs more: writev 3.9 µs a
  request against 2.6, the two reads 2.15 against 1.58 µs; `+"`perf`"+` shows
  more of the kernel's time in looking up and writing to the socket
  (`+"`fdget_pos`"+`, `+"`vfs_writev`"+`), as a socket last touched 50 ms before,
  one of 10,000, would cost. Wharf's own code takes 4.3 µs a request
  against 2.9 (the second dispatch and its derived request, the timer).
  At 0.9× its plaintext `+"`/delay`"+` would have to cost 8.3 µs a request where
  its system calls alone cost 6.6: on a machine where plaintext runs this
  fast the target asks more than the kernel leaves, and where plaintext
  ran slower (75–89k, the runs that met it) it was met. By hand on the
  drifting AMD guest (2026-12-04, 20:14 UTC, three rounds of 5 s with
  fasthttp interleaved, `+"`wrk -t2 -c10000`"+` pinned as above): plaintext
  37.7k/52.0k/46.1k req/s, `+"`/delay`"+` 44.5k/48.8k/48.0k (1.18×, 0.94× and
  1.04× its own plaintext; fasthttp's `+"`/delay`"+` 37.6k/36.8k/38.3k), the
  server's CPU a request 20.1–20.7 µs for `+"`/delay`"+` against 17.8–19.0 for
  plaintext; `+"`/sleep`"+` 35.3k/36.6k/32.6k (0.94×, 0.70×, 0.71×; fasthttp's
  32.9k/28.9k/29.5k).
  Counted with callgrind under concurrency (2026-12-04, 14:50–15:50
  UTC, GOMAXPROCS=1, a client of keep-alive connections each sending one
  request at a time, 40,000 requests measured after 10,000): plaintext
  at 100 connections costs 16,347 user-space instructions a request and
  `+"`/delay?ms=20`"+` at 1,000 connections 31,366, of which the garbage
  collector's marking and write barriers take about 8,500 more than
  plaintext's share. With a thousand requests suspended the heap holds
  their objects, and every byte a request allocates brings the next
  collection, which marks them all, nearer; plaintext's few live objects
  cost almost nothing to mark. Four of the 13 allocations of a `+"`/delay`"+`
  request went: the Responses of an exchange's second and third tasks
  (the timeout's listeners, then the expired dispatch) are the exchange
  itself, as the first task's was; the timeout's work reaches the
  selector as the exchange, not as a closure; and a request derived with
  one attribute (the dispatch's kind) is one allocation, not two: 29,725
  instructions a request (−5%%). `+"`TestAllocsPerRequest`"+` holds a suspended
  request that expires and answers to 8 allocations (12 before).
  `+"`bash bench/run.sh -instructions -instr-base REV`"+` makes these counts
  for the working tree's build and REV's side by side (valgrind, about
  two minutes then; four now that fasthttp is counted too): two runs of it against 8d12c3f, the build before these
  changes, gave plaintext +0.1%% and +0.9%%, `+"`/delay`"+` −3.5%% and −4.2%%,
  `+"`/sleep`"+` −30.1%% and −29.7%%. Under concurrency a count repeats to about
  1%% (where the collector's cycles fall moves it), on one connection to
  0.1%%.
  The collector's share is the counts', not the core's: a CPU profile of
  the same `+"`/delay?ms=20`"+` load served natively (2026-12-04, 17:50 UTC,
  `+"`wrk`"+` at 1,000 connections, the server pinned to one core, 31.8k
  req/s) put the collector's background marking at 1.7%% of the samples,
  allocating (assists included) at 5.4%% and system calls at 66%%, and
  `+"`GODEBUG=gctrace=1`"+` on the same load agreed (a cycle of about 1.2 ms
  of CPU every 1,800 requests: 2%% of the core). Under callgrind, where
  the server runs tens of times slower than its client, the collector
  weighs several times more (why, we did not find out); the counts
  compare builds, and say little about where a timed run's time goes.
  Per request `+"`/delay`"+` makes the same system calls as plaintext (one
  read and one writev, and 0.05 epoll_pwait; `+"`perf stat`"+` on the syscall
  tracepoints, which counted 0.95 of each against wrk's total, their
  windows differing by about 5%%); the kernel's cost of a call on a
  socket left idle while its request waits, among thousands, is what
  the paragraph above measured at 10,000 connections.
- `+"`/sleep`"+` at 10,000 connections: the handler blocks, so each request
  runs on an executor goroutine that sleeps in it. With about 2,500–3,000
  handlers asleep at once and 16 idle goroutines kept (the default),
  nearly every request starts a goroutine (runtime/metrics: 60k
  goroutines created a second at 57k req/s). A goroutine's stack starts at 2 KiB (or at the
  runtime's running average, which moved between 2 and 4 KiB under this
  load) and grows by copying the whole stack. Until 2026-12-04 the way
  from the goroutine's start to the socket write was about 4.5 KiB deep,
  so the stack was copied twice a request, to 4 KiB and then to 8 KiB
  where the response was written: 11%% of the server's core in the CPU
  profile. Three frames made most of that depth: the container's finish,
  whose error path (formatting, logging, an error page's recovery) took
  1,376 bytes; the output's commitHead (792 bytes, with the inlined map
  iteration of trailers and the content sniffing); and the engine's
  finish (488 bytes). With those paths in functions of their own, the
  container's share of the way fell from 3,616 to 1,216 bytes
  (`+"`TestResponseStackDepth`"+` keeps it under 1,536), the whole way fits
  4 KiB, and the second copy is gone: copying fell to 5%% of the profile,
  the one copy left, from 2 to 4 KiB, at the start of the request. By
  hand (`+"`wrk -t2 -c10000`"+`, pinned as above, interleaved rounds against
  the binary before): 45.3k/47.3k/46.8k → 52.9k/50.5k/51.2k req/s, 9%% in
  the median, and later that day, on a faster machine, 58.6k/59.1k →
  67.7k/68.5k (16%%), the server's user time a request 9.28/9.58 →
  7.32/7.15 µs (from /proc), its system time unchanged (7.2–7.6 µs). The
  full runs after the change put Wharf at 0.81× and 0.68× fasthttp's
  `+"`/sleep`"+` (09:06 and 09:22 UTC), where the runs before it measured
  0.66×. What is left: Wharf's core spends about 1.4× fasthttp's CPU a
  request, 7.2–7.3 µs of user time against 3.8 µs and 7.3–7.4 µs of
  system time against 6.0–6.2. The kernel's share is the write, which
  wakes a client that waits (wrk's core is half idle here, and waking it
  costs an inter-processor interrupt, dear in a virtual machine: 14%% of
  Wharf's samples against 9%% of fasthttp's). Wharf's user time is spread over
  starting and ending a goroutine, the one stack copy, scheduling, first
  touches of a connection's and a request's structures 50 ms after they
  were last used, and 15 allocations a request (fasthttp, with a
  goroutine per connection that never exits and a request object
  recycled per connection, none of these but the scheduling). What did
  not help, interleaved by hand against the same binary: keeping 1,024
  or 8,192 idle goroutines (again after the change: 57.7k/53.1k/51.0k
  req/s with 1,024, 58.7k/53.9k/51.1k with 16); turning stack shrinking off
  (`+"`GODEBUG=gcshrinkstackoff=1`"+`); starting each worker with a large
  frame, so that its stack grows once at its start (to 8 KiB before the
  change, to 4 KiB after it: 48.5k/49.3k req/s with it, 50.5k/48.2k
  without); handing every blocking request to the executor (PEC) rather
  than letting the producing goroutine run it and hand production over
  (EPC, the strategy's choice when a reserved goroutine waits):
  61.7k/63.3k/63.9k req/s against 68.7k/62.1k/63.4k; raising the
  container's 5,000-handler limit (`+"`WithMaxHandlers`"+`) to 20,000. fasthttp
  itself reaches about two thirds of its own plaintext here (0.65×,
  0.72×, 0.64×, 0.59× and 0.64× in the runs of 2026-12-03 23:18 and
  2026-12-04 05:54, 06:33, 09:06 and 09:22 UTC, where Wharf reached
  0.42×, 0.41×, 0.40×, 0.43× and 0.41× its own, its plaintext faster in
  the last two too): 0.9× would ask a blocked handler to cost almost
  nothing over a plaintext request, where fasthttp, with its worker
  pool, pays 28–41%% (net/http, a goroutine per connection, 21–34%%:
  0.76×, 0.79×, 0.71×, 0.66× and 0.79× its own plaintext in those runs).
  Counted with callgrind (2026-12-04, one connection, `+"`/sleep?ms=0`"+`):
  a blocking request costs 21,265 user-space instructions against
  plaintext's 15,986, the difference the hand-off to an executor
  goroutine, its channel and the scheduler; 643 of it went when an idle
  goroutine's timer stopped being reset for every task (it is armed at
  the first idle spell and moved when it fires early: 20,622).
  Under concurrency the count is larger (callgrind as for `+"`/delay`"+` above,
  `+"`/sleep?ms=20`"+` at 1,000 connections): 45,531 instructions a request,
  about 16,000 of them copying stacks. Nearly every request started a
  goroutine (0.9 a request), whose stack, 2 KiB at its start, grew deep in
  the handler's way to the socket, by a copy that decodes the pointer
  maps of every frame on the stack: about 17,600 instructions a copy
  under a dozen frames. Each executor's worker now grows its stack before
  each task, with two frames on it (`+"`dispatcher.reserveStack`"+`: about
  3,500 instructions a copy, and a call and a 1.5 KiB zeroing when the
  stack is large enough already), once a task has grown a worker's stack
  (the executor's tasks are deep, as handlers are): 30,951 instructions a
  request (−32%%); `+"`BenchmarkDeepTask`"+` (a task 2 KiB deep on a new
  goroutine) 1.87 → 1.25 µs, medians of five interleaved runs. An
  executor whose tasks stay shallow does not pay for room it does not
  use: growing it before every task made `+"`BenchmarkExecute/unbounded`"+`
  (tiny tasks, some on new goroutines) 26%% slower. Under `+"`wrk`"+` at 10,000
  connections on this machine the gain was inside its drift (four
  interleaved rounds each, 29.6k–38.5k req/s): CPU profiles put stack
  growth at 2.7%% of the core before and 1.9%% after, so there most
  goroutines must have started at the runtime's running average of stack
  sizes, 4 KiB, rather than at 2 KiB; the copy costs most where handler
  goroutines start small. Keeping 1,024 idle goroutines rather than 16
  trades goroutine starts and copies for channel hand-offs and `+"`select`"+`:
  the same count (31,036). The `+"`select`"+` was the idle goroutine's wait on
  its mailbox and on its own idle timer. Since the evening of 2026-12-04
  an idle goroutine waits on its mailbox alone, and one timer for the
  executor ends the goroutines idle for `+"`IdleTimeout`"+`, from the bottom of
  the idle stack, where the longest idle are
  (`+"`BenchmarkExecuteRoundTrip/unbounded`"+`, one task at a time, 901 → 688
  ns, medians of five interleaved runs; `+"`BenchmarkExecute/unbounded`"+` no
  longer allocates). With no limit on the idle goroutines, counted the
  same way: 29,892 and 28,646 instructions a request before, 23,068 and
  22,893 after (−21%%): goroutine starts went from 0.93 a request to none
  and the stack copies with them, the collector's scanning of stacks
  grew by about 700 (more goroutines to scan), and a blocking wait cost
  1.2× a plaintext request at 1,000 connections (18,787–19,200) where
  fasthttp's costs 1.33× its own. Timed, the gain was small: at 1,000
  connections (`+"`/sleep?ms=20`"+`, three interleaved rounds of 5 s)
  22.7k/20.3k/21.8k → 23.0k/20.4k/23.1k req/s; at 10,000
  (`+"`/sleep?ms=50`"+`) inside the drift, 28.4k/29.1k/28.9k →
  29.3k/28.5k/28.0k against fasthttp's 29.8k/29.4k/29.2k, the user time
  a request unchanged (17.2–17.6 µs before, 17.1–17.8 after): there a
  goroutine taken again 50 ms after its last task, among 10,000, finds
  its stack and descriptor as cold as a new goroutine's recycled ones (a
  reading of the profiles, which put 2.4%% of the core in walking the
  runtime's global run queue of goroutines woken by their timers; this
  machine has no hardware counters to show the misses). And the memory
  test's goroutine target failed: with 2,000 HTTP/2-over-TLS
  connections the goroutines went 8 → 60 → 419 (idle, then a long poll
  on each) instead of 8 → 21 → 21 (the same test on the same machine
  with 16 kept), the goroutines of a burst of reads kept for 10 s; RSS
  moved inside its spread there (63,004 and 62,980 KiB), but 2,000 deep
  tasks at once, in a test, left 8,352 KiB of stacks in use after three
  collections when all were kept, 640 KiB with 16. A server that waits
  without goroutines should not keep those a burst started, so
  `+"`MaxIdle`"+` stays 16 by default (28,849 instructions a `+"`/sleep`"+` request,
  as before); a server whose handlers block many at once may raise it.
- Memory per suspended long poll: the connection (464 B with its epoll
  side and the facts its requests share), the stream with the parsed head
  (352 B) and the head's bytes and
  fields, the container's exchange with the async state machine and its
  timer, the output and the request, one allocation of 512 B, plus what
  the garbage collector keeps in hand; no runtime timer. 1 KiB would need
  a suspended request to keep almost none of these objects.
- WebSocket chat: what decides its latency on 2 cores is the cost per
  delivery, as both processes run close to a full core. A CPU profile of
  examples/wschat under this load put about 70%% of its core in write(2)
  (one write per delivery: a member receives about 100 messages a second,
  so there is rarely a second one to put in the same write). What brought
  p99 from about 50 ms to about 20 ms: Send writes an idle connection's
  message itself, with one non-blocking write, instead of waking a
  writer goroutine for it (the connection has no goroutine of its own
  now); read and write deadlines move only
  when half of them is gone; and the load generator finds the two fields
  it needs without a JSON decoder. The figure swings between runs: 20.6
  and 36.3 ms in the two full runs this issue started from, 9–15 ms in interleaved A/B
  runs of the server alone, and 279 ms in a run made right after tens of
  thousands of connections (the QoS benchmark, now run last) had left
  their TIME_WAIT sockets behind. Every full run of 2026-12-03 met the 30
  ms target: 14–24 ms in the first four, 3.5–4.4 ms in the next four, and
  1.43, 1.20 and 1.04 ms in the last three; the runs of 2026-12-04, 1.09
  and 1.27 ms. The seed's figures come from a 12-core server with the
  load generators on other machines.
`, res.Config.GoroutineBudget)
}

// memoryAccounting is where a suspended long poll's bytes go, from heap
// profiles taken by hand (the harness does not take them): written after
// the memory table as it stands.
const memoryAccounting = `
### Where the bytes go (heap profiles, by hand)

Taken with ` + "`" + `GODEBUG=memprofilerate=1` + "`" + ` (every allocation recorded),
` + "`" + `/debug/pprof/heap?gc=1` + "`" + ` before and with the requests, and
` + "`" + `go tool pprof -base` + "`" + `: live heap per suspended long poll on
` + "`" + `examples/hello` + "`" + `. Cleartext: 10,000 ` + "`" + `GET /delay?ms=60000` + "`" + ` on the epoll
connector (2026-12-02, again 2026-12-03, the cleartext column last after
the evening's cuts; again 2026-12-05, after the head's fields moved into its text). TLS: 3,000 TLS 1.3 connections
(` + "`" + `-tls` + "`" + `, crypto/tls clients offering X25519MLKEM768, Go's default), on the
epoll connector since 2026-12-03 (before, the portable one). RSS adds the
collector's headroom to these. Sizes are the allocator's: a struct with
pointers over 512 bytes takes an 8-byte header, then rounds up to its
size class.

| What | cleartext | TLS |
|---|---:|---:|
| the container's exchange (request state, the serialized executor's state, the output, 384 B) and, in the same allocation, the request (` + "`" + `api.Request` + "`" + ` and the slot of the body form it shares with its derivations, 128 B) | 512 B | 512 B |
| the connector's HTTP/1.1 stream (the request head, 192 B, which points at the connection's addresses and TLS state, ` + "`" + `api.ConnInfo` + "`" + `, rather than copying them; the body's lock, kind and error, 40 B, with what reading a body takes, allocated apart for a request that has one; the response's state) | 352 B | 352 B |
| the request's head: its text, and where its header fields are in it (8 bytes a field), one allocation that holds no pointer (` + "`" + `api.NewHeaderText` + "`" + `) | 96 B | 96 B |
| the connection (` + "`" + `conn` + "`" + ` 176 B and the callback it runs requests with, 16 B, its epoll side ` + "`" + `fdConn` + "`" + ` 208 B with its one timer, the peer's address, and the addresses and TLS state its requests share, ` + "`" + `api.ConnInfo` + "`" + `, 48 B; over TLS also ` + "`" + `fdTLS` + "`" + `, crypto/tls's socket, and the wait channel its handshake parked on) | 464 B | 637 B |
| the request's suspend timeout (a timer inside the exchange, filed in the selector's wheel) | 0 | 0 |
| the connection's idle timer (a timer inside ` + "`" + `fdConn` + "`" + `, filed only while it is idle) | 0 | 0 |
| the connector's 4 KiB read buffer (given back while a request waits) | 0 | 0 |
| the TLS state the request sees (` + "`" + `tls.ConnectionState` + "`" + `, copied once after the handshake) | | 186 B |
| crypto/tls: its record input buffer (` + "`" + `bytes.Buffer` + "`" + `, grown to the largest record read: the ClientHello, about 1.5 KiB with a post-quantum key share) | | 1,988 B |
| crypto/tls: its handshake message buffer (` + "`" + `bytes.Buffer` + "`" + `, grown to the ClientHello, kept after the handshake) | | 1,490 B |
| crypto/tls: AES-GCM state, both directions | | 1,806 B |
| crypto/tls: the ` + "`" + `tls.Conn` + "`" + ` (885 B) and what the handshake leaves (hkdf, keying material, 280 B) | | 1,165 B |
| other (the poller's table entry; over TLS, buffers idle in the server's pools) | 18 B | 230 B |
| **live heap per request** | **1.41 KiB** | **8.27 KiB** |

Toward 1 KiB (cleartext), nothing here is a buffer or a goroutine: it is
the structs themselves. ` + "`" + `TestExchangeSizeClass` + "`" + `,
` + "`" + `TestStreamSizeClass` + "`" + `, ` + "`" + `TestConnSizeClass` + "`" + ` and ` + "`" + `TestFdConnSizeClass` + "`" + ` keep
them where the cuts of 2026-12-02 and 2026-12-03 put them: 2.56 → 2.10
KiB, then 1.98 KiB once the body reader's state, 184 B in every stream,
was cut to 48 B with the rest allocated only for a request that has a
body; then 1.74 KiB (the exchange 640 → 512 B and the request kept in the
same allocation, instants on the selector's clock, one timer per
connection); then, the evening of 2026-12-03, **1.47 KiB**: the exchange
and its request 704 → 576 B (the body form's state made only when a
request asks for a form; the engine's queue keeping one entry inline, and
its listeners, blocking Await and Done channel behind one pointer; the
finished response's status and bytes asked of the output rather than
copied; the output's buffer size and pool the container's; the mapping's
context path, pattern and kind a pointer to the route that matched,
` + "`" + `api.Route` + "`" + `), the stream 416 → 384 B (the body reaches its stream as a
view of it, not through a pointer; the 100 Continue lock lives with a
body that has content to invite; the response's data rate limits are
the server's), the connection 288 → 208 B (writes' vectors on the
writer's stack, the parser's scratch a local, 32-bit buffer offsets) and
its epoll side 240 → 208 B (the listener's address shared, parked
readers flagged beside the readiness bits); later that evening **1.46
KiB**, once a request's addresses and TLS state became its connection's
` + "`" + `api.ConnInfo` + "`" + `, a 48-byte allocation of its own that every head of the
connection points at instead of copying three fields (the stream 384 →
352 B, the connection 208 → 176 B; by hand, three interleaved rounds
against the binary before: 1.49 → 1.47 KiB live, 1.62 → 1.60 KiB RSS);
then, on 2026-12-04, **1.40 KiB**, the exchange and its request 576 →
512 B, the largest size a struct with pointers fills without the
allocator's header: the Responses of the first task and of the
finishing phase are the engine itself seen through a type whose token
is fixed, not two 16-byte handles inside it; the request's context is
one word without a lock (its done channel and whether it is closed made
together, when first asked for); a request's links in the handler queue
are made when it must wait. By hand, three interleaved rounds of 10,000
long polls against the binary before (8ab979e): 1.47 → 1.41 KiB live
and 1.60 → 1.56 KiB RSS in every round.
On 2026-12-05 a profile found what this table had left out: the header
view's slice of fields beside the head's text, 32 bytes a field (64 for
this client's two), so the live heap was 1.46 KiB, not 1.40. The fields
now live in the text's allocation: ` + "`" + `api.Header` + "`" + ` keeps, ahead of the
bytes, where each name and value lies (four 16-bit numbers a field, 32-bit
past 64 KiB), names made canonical in place in the copy, so the head is
one allocation without pointers, which the collector does not scan,
where it was a string and a slice of strings; HTTP/2 packs its fields
the same way. A browser's head of a dozen fields keeps 288 bytes less,
and every HTTP/1.1 request makes one allocation fewer
(` + "`" + `TestAllocsPerRequest` + "`" + `). Profiled, 1.46 → 1.41 KiB live; by hand,
three interleaved rounds of 10,000 long polls against the binary before
(b6f543b), 1.70/1.69/1.69 → 1.63/1.62/1.63 KiB RSS. Packing costs no more than
it saves: counted with callgrind against the same binary
(` + "`" + `bash bench/run.sh -instructions -instr-base b6f543b` + "`" + `), plaintext at
100 connections went from 13,276 to 13,016 instructions a request
(−2.0%; 13,286 → 12,943 in a second count), once the names of nearly
every request were recognised whole rather than byte by byte (a
first version, which looked at each byte of each name, counted
+0.5% to +0.8%).
The ` + "`" + `api.ConnInfo` + "`" + ` is not inside the connection because a request kept
past its exchange (a WebSocket's) would then keep the connection, and
through it the exchange, alive: ` + "`" + `TestDetachKeepsNoExchange` + "`" + ` checks that on
every protocol.
By hand, three interleaved
rounds of 10,000 long polls against the binary before the evening's
changes (2378ebb), medians: **1.75 → 1.49 KiB live and 2.01 → 1.74 KiB
RSS** per request, with nbio at 2.12 KiB RSS in the same rounds. The
harness runs of 16:41 and 17:12 UTC read 2.24 and 2.23 KiB (nbio 1.85 and
1.91); a memory-only run after the first half of the evening's cuts read
1.92 KiB against nbio's 2.06, the run of 19:42 UTC, after all of them,
1.78 KiB against nbio's 2.13, the run of 20:25 UTC, after accepting a
connection stopped leaving about 220 B of garbage (unix.Accept4's two
copies of the peer's address; by hand 1.68 → 1.62 KiB RSS, live
unchanged), 1.71 KiB against nbio's 1.95, the run of 23:18 UTC (after
the ` + "`" + `api.ConnInfo` + "`" + ` change) 1.70 KiB against nbio's 1.88, the run of
2026-12-04, 05:54 UTC (after the exchange's cut to 512 B), 1.66 KiB
against nbio's 1.84, the run of 06:33 UTC 1.65 KiB against nbio's 1.86,
and the run in the table above (09:22 UTC) **1.66 KiB against nbio's
1.79: ahead of nbio in all seven**, 0.66 KiB short of the 1 KiB target. The TLS column is the profile's less the
bytes these cuts took out of the structs it shares, not profiled again.
What is left is a connection, its stream and its exchange, three
allocations of 176–512 bytes (and the 48-byte ` + "`" + `api.ConnInfo` + "`" + `), where a parked request needs a fraction of
their fields: the request head alone is 192 B, most of it strings also
in the head's text.

Toward 8 KiB (TLS), crypto/tls keeps 6.6 KiB of its own per connection,
which no API lets a server release between requests: its two buffers keep
the capacity the ClientHello gave them (3.4 KiB: that is what a
post-quantum key share costs a server for the connection's life), and
the cipher state and the ` + "`" + `tls.Conn` + "`" + ` live as long as the connection.
RSS is about twice the live heap (the collector's headroom over it, and
what the handshakes left behind). Moving TLS onto the epoll connector
(2026-12-03) took the goroutine and its stack away from every idle
keep-alive TLS connection: by hand, 3,000 idle TLS connections on
` + "`" + `examples/hello` + "`" + ` cost **32.95 KiB** each and 3,000 goroutines before, and
**16.62 KiB** and one goroutine after; a suspended TLS long poll, which
held no goroutine on the portable connector either, went from 16.40 to
15.24 KiB (same run, same client). The rest of the gap to 8 KiB is
crypto/tls's, as above: only a record layer of Wharf's own (crypto/tls's
` + "`" + `QUICConn` + "`" + ` hands a caller the handshake and the keys) could size its
buffers to the traffic, and that is a cryptographic protocol implementation
this project has not taken on.

HTTP/2 (the table "Memory over HTTP/2 and HTTP/3" below, measured since
2026-12-03): on the epoll connector an HTTP/2 connection, over TLS or
h2c, holds no goroutine while it waits. Its reader runs only while frames
come, on the selector's goroutine (at most 64 frames at a time) or one of
its own, and a frame is handled only once all of it came; the reader's
16 KiB buffer and the writer's go back to the server's pools between
runs. By hand, on ` + "`" + `examples/hello` + "`" + ` with 2,000 connections each one
` + "`" + `GET /hello` + "`" + ` then idle, before and after that change (same client):
over TLS **56.93 → 22.57 KiB** RSS per idle connection, h2c **24.93 →
8.68 KiB**, goroutines 2,008 → 6 and 2,007 → 7. A heap profile of
2,000 idle h2c connections (2026-12-04) then found 5.77 KiB live each,
1.4 KiB of it in slices the first request grew and the connection kept:
the header block's fields (still holding that request's strings), the
writer's batch of frames and its two queues. The fields and the batch
now come from the server's pools and go back once the connection is
quiet (the queues stay, see ` + "`" + `connector/http2/server.go` + "`" + `): by hand, three
interleaved rounds against the binary before, **8.65 → 7.06 KiB** RSS
per idle h2c connection, 5.77 → 4.49 KiB live, h2load's requests a
second unchanged within the rounds' spread, and about 7.0 KiB once a
handed-over connection made the channel that wakes a waiting write only
when a write first waits (96 B). What remains per idle
connection is the HTTP/2 server's state (its two HPACK tables, the
decoder's holding the client's indexed fields, about 0.9 KiB for Go's
client; the framers; the stream map) and, over TLS, crypto/tls's, as
above. A
suspended stream adds its stream, request and exchange to the connection
it is on: the table's "a suspended request adds". On the portable connector
the reader is still a goroutine for the connection's life. What it did
to throughput, by hand with h2load against the binaries before and after
(three interleaved rounds each, server and client pinned apart): with
100 connections × 10 streams 1.47–1.61× in cleartext and 0.92–0.98×
over TLS; with 1,000 connections × 1 stream 0.94–1.00×; the suspended
` + "`" + `/delay?ms=50` + "`" + ` with 100 × 100 0.96×. Once it has handed requests
to the executor, a reader that runs out of frames yields its goroutine
(often the selector's) before going on: without that, the handlers of a
burst each started on a goroutine of their own and grew its stack, and
1,000 × 1 ran at 0.70–0.81×. x/net's Framer also keeps, for the connection's
life, a buffer as large as the largest frame it read and another as
large as the largest it wrote: up to 32 KiB more on a connection that
carried 16 KiB frames, which these idle figures (one small request each)
do not show.

Over HTTP/3, by hand on 2026-12-03 (` + "`" + `examples/hello -tls -h3` + "`" + `; a Go client on
quic-go's ` + "`" + `http3.Transport` + "`" + `, 100 QUIC connections with 100 streams each, the
most ` + "`" + `h3.MaxStreams` + "`" + ` lets a connection open): 10,000 suspended
` + "`" + `/delay?ms=30000` + "`" + ` streams took RSS from 18,196 KiB to 189,276 KiB, **17.1 KiB
per suspended stream**, and goroutines from 41 to 10,534: one per
stream, held while it waits, because quic-go's HTTP/3 server (and its
lower-level ` + "`" + `RawServerConn.HandleRequestStream` + "`" + `) call an ` + "`" + `http.Handler` + "`" + `
whose response must be done when it returns, so the container's
net/http side waits for the exchange. 2,000 idle QUIC connections (one
request each, answered) took RSS from 18,268 to 204,276 KiB, about **93 KiB
per idle connection**, with 5 goroutines each: quic-go's own (its
connection's run loop, its sender, the HTTP/3 control streams), not
Wharf's. quic-go's lower level does let Wharf avoid the goroutine per
waiting stream: ` + "`" + `quic.Conn.AcceptStream` + "`" + ` and ` + "`" + `quic.Stream` + "`" + `'s Read and Write
(any goroutine may write a stream) with quic-go/qpack are what Wharf's
HTTP/2 does with x/net/http2's Framer and hpack: a goroutine reads a
request's HEADERS, dispatches it, and returns when the request suspends;
whichever goroutine resumes it writes the response. That framing is not
written yet; the per-connection cost is quic-go's.
`
