package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// With -instructions, wharf-bench counts instead of timing: the user-space
// instructions examples/hello spends a request, under valgrind's callgrind,
// for plaintext and for a suspended and a blocking wait, each with many
// connections open. The count does not move with the machine's speed, so
// it compares two builds where timed rounds cannot (a virtual machine whose
// speed drifts by half between minutes): -instr-base REV counts the build
// of that git revision beside the working tree's, and -instr-peers the
// peers of the timed runs that valgrind can run (fasthttp by default), so
// that the anchor of a target is counted the same way. Two builds of the
// same code, counted one after the other, agreed to 0.1%; separate runs of
// one build agree to about 1% (where the collector's cycles fall moves
// it). It writes a table to stdout and nothing to docs/.
//
// Of a waiting request's count, the collector takes about a third: the
// requests that wait are the live heap each collection marks, and the
// pacer starts one whenever the heap has grown by GOGC percent of it.
// Where a collection falls moves a count, so each of Wharf's counts also
// reads the server's /debug/vars just outside it, for the collections
// that ran and the bytes allocated a request, and -instr-gogc counts the
// current build again under other GOGC settings (an operator's knob, in
// the environment: a library sets no process-wide collector setting), in
// a second table: GOGC=off counts the code alone. The share is the
// counts', not the core's: marking is dense in instructions and cheap in
// time beside a request's cold cache lines and system calls (see "Where
// the misses come from" in docs/benchmarks.md).
//
// The server runs alone on one P (GOMAXPROCS=1, as when pinned to one
// CPU) with asynchronous preemption off (valgrind does not deliver its
// signals faithfully); the client, in this process, opens its connections
// once and keeps each to one request at a time, so that every request
// counted is of the same kind and no connection opens or closes inside
// the count. Counting starts after the warm-up (callgrind_control -z) and
// ends with a dump (callgrind_control -d); the client's own instructions
// are not counted. A case needs tens of thousands of requests for its
// count to repeat: the collector's cycles are a large share of a waiting
// request's instructions, and with a few thousand requests whether one
// more cycle falls inside the count moves it by several percent.

// InstrCase is one request kind counted: Path on Conns connections.
type InstrCase struct {
	Name  string
	Path  string
	Conns int
}

// defaultInstrCases are plaintext as the wrk scenarios send it, and the
// two waits with enough connections for the heap to hold the waiting
// requests (the 10,000 of the timed runs make valgrind too slow).
var defaultInstrCases = []InstrCase{
	{"plaintext", "/hello?name=wrk", 100},
	{"delay", "/delay?ms=20", 1000},
	{"sleep", "/sleep?ms=20", 1000},
}

// InstrConfig configures -instructions.
type InstrConfig struct {
	Base     string   // git revision also counted ("" for none)
	GOGC     []string // GOGC settings the current build is also counted with: percentages, or "off"
	Peers    []string // peer servers (under bench/servers) counted beside, as anchors
	Requests int      // counted requests a case
	Warmup   int      // requests a case sends before counting
	Cases    []InstrCase
	// Dump, if set, is a directory that keeps each count's callgrind
	// dump, as BUILD-CASE.out, for callgrind_annotate to say which
	// functions the instructions went to; "" keeps none.
	Dump string
}

// instrPeers are the peers -instructions can count; fasthttp's /delay
// sleeps in its handler, as in the timed runs. nbio is not one: it
// executes RDTSCP, which valgrind does not know (SIGILL at start-up); nor
// is the net/http peer, whose plaintext count failed three times running
// (connections reset inside the count under valgrind), though by hand,
// with another client, it counts 45,196 instructions a request.
var instrPeers = []string{"fasthttp"}

// InstrCount is what one case measured on one build.
type InstrCount struct {
	Case       InstrCase
	Build      string // "base", "current" or a peer's name
	Total      int64  // instructions counted
	Requests   int
	Attempts   int
	Err        string
	PerRequest int64
	// GOGC is the GOGC setting the server ran with; "" is the
	// environment's (Go's default, 100, where it sets none).
	GOGC string
	// Wharf is a count of a build of Wharf, not a peer's. Collections is
	// how many collections ran during its count, and Allocated the bytes
	// the server allocated a request, read from its /debug/vars; -1
	// for a peer's count, which has none.
	Wharf       bool
	Collections int64
	Allocated   int64
}

// errNoCount is a run that ended without a count: valgrind stopped early
// (it does not know every instruction Go's runtime may execute, and stops
// with SIGILL at one; a second try usually gets past it), or the client
// or callgrind_control failed.
var errNoCount = errors.New("no instruction count")

// controlTimeout bounds a callgrind_control call, which reaches valgrind
// through its gdbserver and waits for the process to run again.
const controlTimeout = 2 * time.Minute

func instrBench(ctx context.Context, ic InstrConfig, root string, out io.Writer) error {
	for _, p := range ic.Peers {
		if !slices.Contains(instrPeers, p) {
			return fmt.Errorf("-instr-peers: %q is not one of %s", p, strings.Join(instrPeers, ", "))
		}
	}
	tools := []string{"valgrind", "callgrind_control"}
	if ic.Base != "" {
		tools = append(tools, "git")
	}
	pkg := map[string]string{"valgrind": "valgrind", "callgrind_control": "valgrind", "git": "git"}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("-instructions needs %s (Debian package %s)", tool, pkg[tool])
		}
	}
	if _, err := raiseNofile(); err != nil {
		return err
	}
	binDir := filepath.Join(root, "bench", "results", "bin-instr")
	// buildHello builds examples/hello of the tree at dir as build b.
	bins := map[string]string{}
	buildHello := func(b, dir string) error {
		d := filepath.Join(binDir, b)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		logf("building the %s build", b)
		built, err := build(ctx, dir, filepath.Join(dir, "bench"), d, []string{"wharf"})
		bins[b] = built["wharf"]
		return err
	}
	builds := []string{"current"}
	if err := buildHello("current", root); err != nil {
		return err
	}
	if ic.Base != "" {
		wt, err := os.MkdirTemp("", "wharf-instr-base-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(wt)
		// Removed however this returns (not with ctx, which may be done);
		// "worktree prune" drops what a failed add left.
		defer func() {
			if err := exec.Command("git", "-C", root, "worktree", "remove", "--force", wt).Run(); err != nil {
				exec.Command("git", "-C", root, "worktree", "prune").Run()
			}
		}()
		if out, err := exec.CommandContext(ctx, "git", "-C", root, "worktree", "add", "--detach", wt, ic.Base).CombinedOutput(); err != nil {
			return fmt.Errorf("git worktree add %s: %v\n%s", ic.Base, err, out)
		}
		if err := buildHello("base", wt); err != nil {
			return err
		}
		builds = []string{"base", "current"}
	}
	if len(ic.Peers) > 0 {
		built, err := build(ctx, root, filepath.Join(root, "bench"), filepath.Join(binDir, "peers"), ic.Peers)
		if err != nil {
			return err
		}
		for _, p := range ic.Peers {
			bins[p] = built[p]
			builds = append(builds, p)
		}
	}
	// gogc is the GOGC each build runs with ("" for the environment's):
	// the builds counted again under -instr-gogc are the current one.
	gogc := map[string]string{}
	for _, g := range ic.GOGC {
		b := "GOGC=" + g
		bins[b], gogc[b] = bins["current"], g
		builds = append(builds, b)
	}
	var counts []InstrCount
	failed := 0
	for _, c := range ic.Cases {
		for _, b := range builds {
			keep := ""
			if ic.Dump != "" {
				keep = filepath.Join(ic.Dump, strings.ReplaceAll(b, "=", "")+"-"+c.Name+".out")
			}
			wharf := !slices.Contains(ic.Peers, b)
			m := countCase(ctx, bins[b], c, ic.Requests, ic.Warmup, keep, gogc[b], wharf)
			m.Build = b
			if err := ctx.Err(); err != nil {
				return err
			}
			if m.Err != "" {
				failed++
				logf("instructions %-9s %-7s FAILED after %d attempts: %s", c.Name, b, m.Attempts, m.Err)
			} else {
				logf("instructions %-9s %-7s %d a request (%d connections, %d requests)", c.Name, b, m.PerRequest, c.Conns, m.Requests)
			}
			counts = append(counts, m)
		}
	}
	fmt.Fprint(out, instrTable(counts, ic.Base, ic.Peers))
	if t := gcTable(counts, os.Getenv("GOGC")); t != "" {
		fmt.Fprint(out, "\n"+t)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d counts failed (see above)", failed, len(counts))
	}
	return nil
}

// countCase counts case c on bin, trying up to three times unless the
// server answered with another status than 200; keep, if set, is where
// the counted dump is copied; gogc, if set, the server's GOGC; vars says
// the server has Wharf's /debug/vars, to read its collections from.
func countCase(ctx context.Context, bin string, c InstrCase, requests, warmup int, keep, gogc string, vars bool) InstrCount {
	m := InstrCount{Case: c, Requests: requests, GOGC: gogc, Wharf: vars, Collections: -1, Allocated: -1}
	for m.Attempts < 3 {
		m.Attempts++
		total, gc, err := countOnce(ctx, bin, c, requests, warmup, keep, gogc, vars)
		if err == nil {
			m.Total, m.Err = total, ""
			m.PerRequest = total / int64(requests)
			if vars {
				m.Collections, m.Allocated = gc.NumGC, gc.TotalAlloc/int64(requests)
			}
			return m
		}
		m.Err = err.Error()
		if ctx.Err() != nil || errors.Is(err, errBadStatus) {
			break // a server that answers otherwise will do so again
		}
	}
	return m
}

// errValgrindExited is a count cut short by the server's exit, which a
// second try may get past; errBadStatus an answer other than 200, which
// it would not.
var (
	errValgrindExited = fmt.Errorf("%w: valgrind exited", errNoCount)
	errBadStatus      = errors.New("not a 200")
)

// countOnce runs bin under callgrind, sends warmup requests, then counts
// the instructions of the next requests, on the same connections; keep,
// if set, is where the dump is copied. With vars, it also returns what
// the server's memstats moved by during the count (read outside it).
func countOnce(ctx context.Context, bin string, c InstrCase, requests, warmup int, keep, gogc string, vars bool) (int64, gcStats, error) {
	dir, err := os.MkdirTemp("", "wharf-instr-")
	if err != nil {
		return 0, gcStats{}, err
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddr()
	if err != nil {
		return 0, gcStats{}, err
	}
	outFile := filepath.Join(dir, "callgrind.out")
	log := new(lockedBuffer)
	cmd := exec.CommandContext(ctx, "valgrind", "--tool=callgrind", "--callgrind-out-file="+outFile, bin, "-addr", addr)
	// cpu.rdtscp=off: the runtime reads its clock with RDTSCP where the
	// CPU has it, which valgrind 3.19 does not know; a contended runtime
	// lock reads it, and the count dies with SIGILL (most runs on an AMD
	// EPYC guest did).
	godebug := "asyncpreemptoff=1,cpu.rdtscp=off"
	if v := os.Getenv("GODEBUG"); v != "" {
		godebug = v + "," + godebug
	}
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "GODEBUG="+godebug)
	if gogc != "" {
		cmd.Env = append(cmd.Env, "GOGC="+gogc) // the last of a name wins
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return 0, gcStats{}, err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	// fail says why the count failed, as valgrind's exit if it exited.
	fail := func(what string, err error) error {
		select {
		case <-exited:
			return fmt.Errorf("%w during %s (%v; valgrind's last words: %s)", errValgrindExited, what, err, lastLines(log.String(), 1))
		default:
			return fmt.Errorf("%w: %s: %v", errNoCount, what, err)
		}
	}
	if err := awaitServer(ctx, addr, exited, 2*time.Minute); err != nil {
		return 0, gcStats{}, fail("start-up", err)
	}
	l := newLoad(addr, c.Path, c.Conns)
	defer l.close()
	control := func(flag string) error {
		cctx, cancel := context.WithTimeout(ctx, controlTimeout)
		defer cancel()
		if out, err := exec.CommandContext(cctx, "callgrind_control", flag, strconv.Itoa(cmd.Process.Pid)).CombinedOutput(); err != nil {
			return fail("callgrind_control "+flag, fmt.Errorf("%v: %s", err, bytes.TrimSpace(out)))
		}
		return nil
	}
	if err := l.send(ctx, warmup); err != nil {
		return 0, gcStats{}, fail("the warm-up", err)
	}
	var before, gc gcStats
	if vars {
		// Read before the count starts and after it ends, so that the
		// reads' own instructions stay out of it.
		if before, err = readGCStats(ctx, addr); err != nil {
			return 0, gcStats{}, fail("reading /debug/vars", err)
		}
	}
	if err := control("-z"); err != nil {
		return 0, gcStats{}, err
	}
	if err := l.send(ctx, requests); err != nil {
		return 0, gcStats{}, fail("the count", err)
	}
	if err := control("-d"); err != nil {
		return 0, gcStats{}, err
	}
	if vars {
		after, err := readGCStats(ctx, addr)
		if err != nil {
			return 0, gcStats{}, fail("reading /debug/vars", err)
		}
		gc.NumGC, gc.TotalAlloc = after.NumGC-before.NumGC, after.TotalAlloc-before.TotalAlloc
	}
	f, err := os.Open(outFile + ".1") // the first dump
	if err != nil {
		return 0, gcStats{}, fail("reading the dump", err)
	}
	defer f.Close()
	if keep != "" {
		if err := copyFile(keep, f); err != nil {
			return 0, gcStats{}, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return 0, gcStats{}, err
		}
	}
	total, err := callgrindTotal(f)
	return total, gc, err
}

// gcStats is what the collector did: the fields of runtime.MemStats that
// expvar's "memstats" carries.
type gcStats struct {
	NumGC      int64
	TotalAlloc int64
}

// readGCStats reads the collector's figures from a Wharf server's
// /debug/vars (expvar).
func readGCStats(ctx context.Context, addr string) (gcStats, error) {
	cctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	var st gcStats
	err := readMemstats(cctx, http.DefaultClient, "http://"+addr, &st)
	return st, err
}

// copyFile writes what r holds to a new file at path, making its
// directory.
func copyFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	w, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// lockedBuffer is a bytes.Buffer that valgrind's output and an error
// report may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// awaitServer waits until the server at addr answers /hello, the server
// exits, or wait passes (valgrind starts a Go binary in seconds, not
// milliseconds).
func awaitServer(ctx context.Context, addr string, exited <-chan struct{}, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		l := newLoad(addr, "/hello", 1)
		err := l.send(ctx, 1)
		l.close()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("the server exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer from %s within %s", addr, wait)
		}
	}
}

// load is a set of keep-alive connections, each sending one request at a
// time and checking that every answer is a 200. A connection is opened by
// its first send and sends at once: a slow server (valgrind's) would keep
// a thousand connections dialled one after another waiting to be taken
// up, and some would not be.
type load struct {
	addr  string
	req   []byte
	conns []*loadConn
}

type loadConn struct {
	nc net.Conn
	br *bufio.Reader
}

// newLoad makes conns connections to addr for GETs of path, to be opened
// by their first send.
func newLoad(addr, path string, conns int) *load {
	l := &load{addr: addr, req: []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: wharf-bench\r\n\r\n")}
	for range conns {
		l.conns = append(l.conns, new(loadConn))
	}
	return l
}

func (l *load) close() {
	for _, c := range l.conns {
		if c.nc != nil {
			c.nc.Close()
		}
	}
}

// send sends n requests over the connections and waits for their answers.
func (l *load) send(ctx context.Context, n int) error {
	var left atomic.Int64
	left.Store(int64(n))
	errs := make(chan error, len(l.conns))
	var wg sync.WaitGroup
	for _, c := range l.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- c.sendWhile(ctx, l.addr, l.req, &left)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// sendWhile sends req on c while left has requests to give out, opening
// c to addr first if it is not open yet.
func (c *loadConn) sendWhile(ctx context.Context, addr string, req []byte, left *atomic.Int64) error {
	for left.Add(-1) >= 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.nc == nil {
			d := net.Dialer{Timeout: 30 * time.Second}
			nc, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				return err
			}
			c.nc, c.br = nc, bufio.NewReader(nc)
		}
		c.nc.SetDeadline(time.Now().Add(2 * time.Minute))
		if _, err := c.nc.Write(req); err != nil {
			return err
		}
		resp, err := http.ReadResponse(c.br, nil)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%w: %s: status %d", errBadStatus, bytes.TrimSpace(bytes.SplitN(req, []byte("\r\n"), 2)[0]), resp.StatusCode)
		}
	}
	return nil
}

// callgrindTotal reads the instruction count of a callgrind dump: its
// "totals:" line, or its "summary:" line if it has none.
func callgrindTotal(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var summary, totals string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "summary:"):
			summary = line[len("summary:"):]
		case strings.HasPrefix(line, "totals:"):
			totals = line[len("totals:"):]
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	v := totals
	if v == "" {
		v = summary
	}
	if v == "" {
		return 0, fmt.Errorf("%w: the dump has no totals or summary line", errNoCount)
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0, fmt.Errorf("%w: an empty totals line", errNoCount)
	}
	n, err := strconv.ParseInt(f[0], 10, 64) // the first event, Ir
	if err != nil {
		return 0, fmt.Errorf("%w: totals %q: %v", errNoCount, v, err)
	}
	return n, nil
}

// gcTable renders what the collector did in Wharf's counts, a row a case
// and build: the collections that ran, the bytes allocated a request, and
// for a build counted with another GOGC its count beside the current
// build's; env is the environment's GOGC ("" for none).
func gcTable(counts []InstrCount, env string) string {
	var b strings.Builder
	b.WriteString("| Case | Build | GOGC | Instructions a request | change from current | Collections in the count | Bytes allocated a request |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|\n")
	current := map[string]InstrCount{}
	for _, m := range counts {
		if m.Build == "current" {
			current[m.Case.Name] = m
		}
	}
	rows := 0
	for _, m := range counts {
		if !m.Wharf {
			continue // a peer: no /debug/vars
		}
		g := m.GOGC
		if g == "" {
			g = env
		}
		if g == "" {
			g = "100 (default)"
		}
		count, change, colls, alloc := "failed", "—", "—", "—"
		if m.Err == "" {
			count = fmtInt(float64(m.PerRequest))
			colls, alloc = fmtInt(float64(m.Collections)), fmtInt(float64(m.Allocated))
			if cm, ok := current[m.Case.Name]; ok && m.GOGC != "" && cm.Err == "" && cm.PerRequest > 0 {
				change = percentChange(cm.PerRequest, m.PerRequest)
			}
		}
		build := m.Build
		if m.GOGC != "" {
			build = "current"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", m.Case.Name, build, g, count, change, colls, alloc)
		rows++
	}
	if rows == 0 {
		return ""
	}
	return b.String()
}

// percentChange is the change from from to to, as "+1.2%" or "−3.4%": a
// minus sign, as the documents write it, not a hyphen. from is above zero.
func percentChange(from, to int64) string {
	return strings.Replace(fmt.Sprintf("%+.1f%%", 100*float64(to-from)/float64(from)), "-", "−", 1)
}

// instrTable renders the counts: a row a case, the base build beside the
// current one when there is one, then each peer with the current build's
// count as a multiple of the peer's.
func instrTable(counts []InstrCount, base string, peers []string) string {
	var b strings.Builder
	cell := func(m InstrCount) string {
		if m.Err != "" {
			return "failed"
		}
		return fmtInt(float64(m.PerRequest))
	}
	var cases []InstrCase
	byCase := map[string]map[string]InstrCount{}
	for _, m := range counts {
		if byCase[m.Case.Name] == nil {
			byCase[m.Case.Name] = map[string]InstrCount{}
			cases = append(cases, m.Case)
		}
		byCase[m.Case.Name][m.Build] = m
	}
	b.WriteString("| Case | Path | Connections | Requests counted |")
	align := "|---|---|---:|---:|"
	if base != "" {
		fmt.Fprintf(&b, " %s | current | change |", base)
		align += "---:|---:|---:|"
	} else {
		b.WriteString(" Instructions a request |")
		align += "---:|"
	}
	for _, p := range peers {
		fmt.Fprintf(&b, " %s | current ÷ %s |", p, p)
		align += "---:|---:|"
	}
	b.WriteString("\n" + align + "\n")
	for _, c := range cases {
		row := byCase[c.Name]
		cm := row["current"]
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |", c.Name, c.Path, fmtInt(float64(c.Conns)), fmtInt(float64(cm.Requests)))
		if base != "" {
			bm := row["base"]
			change := "—"
			if bm.Err == "" && cm.Err == "" && bm.PerRequest > 0 {
				change = percentChange(bm.PerRequest, cm.PerRequest)
			}
			fmt.Fprintf(&b, " %s | %s | %s |", cell(bm), cell(cm), change)
		} else {
			fmt.Fprintf(&b, " %s |", cell(cm))
		}
		for _, p := range peers {
			pm := row[p]
			ratio := "—"
			if pm.Err == "" && cm.Err == "" && pm.PerRequest > 0 {
				ratio = fmt.Sprintf("%.2f×", float64(cm.PerRequest)/float64(pm.PerRequest))
			}
			fmt.Fprintf(&b, " %s | %s |", cell(pm), ratio)
		}
		b.WriteString("\n")
	}
	return b.String()
}
