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
// connections open. The count is the same to a fraction of a percent from
// run to run and does not move with the machine's speed, so it compares
// two builds where timed rounds cannot (a virtual machine whose speed
// drifts by half between minutes): -instr-base REV counts the build of
// that git revision beside the working tree's. It writes a table to
// stdout and nothing to docs/.
//
// The server runs alone on one P (GOMAXPROCS=1, as when pinned to one
// CPU) with asynchronous preemption off (valgrind does not deliver its
// signals faithfully); the client, in this process, keeps each connection
// to one request at a time, so that every request of a case is of the same
// kind. Counting starts after the warm-up (callgrind_control -z) and ends
// with a dump (callgrind_control -d); the client's own instructions are
// not counted. A case needs tens of thousands of requests for its count
// to repeat: the collector's cycles are a large share of a waiting
// request's instructions, and with a few thousand requests whether one
// more cycle falls inside the count moves it by several percent (40,000:
// two builds of the same code agreed to 0.1%).

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
	Base     string // git revision also counted ("" for none)
	Requests int    // counted requests a case
	Warmup   int    // requests a case sends before counting
	Cases    []InstrCase
}

// InstrCount is what one case measured on one build.
type InstrCount struct {
	Case       InstrCase
	Build      string // "base" or "current"
	Total      int64  // instructions counted
	Requests   int
	Attempts   int
	Err        string
	PerRequest int64
}

// errNoCount is a run that ended without a dump to read: valgrind stopped
// early (it does not know every instruction Go's runtime may execute, and
// stops with SIGILL at one), or the client failed.
var errNoCount = errors.New("no instruction count")

func instrBench(ctx context.Context, ic InstrConfig, root string, out io.Writer) error {
	for _, tool := range []string{"valgrind", "callgrind_control", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found (Debian package valgrind, or git)", tool)
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
		if out, err := exec.CommandContext(ctx, "git", "-C", root, "worktree", "add", "--detach", wt, ic.Base).CombinedOutput(); err != nil {
			return fmt.Errorf("git worktree add %s: %v\n%s", ic.Base, err, out)
		}
		defer exec.Command("git", "-C", root, "worktree", "remove", "--force", wt).Run()
		if err := buildHello("base", wt); err != nil {
			return err
		}
		builds = []string{"base", "current"}
	}
	var counts []InstrCount
	for _, c := range ic.Cases {
		for _, b := range builds {
			m := countCase(ctx, bins[b], c, ic.Requests, ic.Warmup)
			m.Build = b
			if m.Err != "" {
				logf("instructions %-9s %-7s FAILED after %d attempts: %s", c.Name, b, m.Attempts, m.Err)
			} else {
				logf("instructions %-9s %-7s %d a request (%d connections, %d requests)", c.Name, b, m.PerRequest, c.Conns, m.Requests)
			}
			counts = append(counts, m)
		}
	}
	fmt.Fprint(out, instrTable(counts, ic.Base))
	return nil
}

// countCase counts case c on bin, trying up to three times.
func countCase(ctx context.Context, bin string, c InstrCase, requests, warmup int) InstrCount {
	m := InstrCount{Case: c, Requests: requests}
	for m.Attempts < 3 {
		m.Attempts++
		total, err := countOnce(ctx, bin, c, requests, warmup)
		if err == nil {
			m.Total, m.Err = total, ""
			m.PerRequest = total / int64(requests)
			return m
		}
		m.Err = err.Error()
		if ctx.Err() != nil {
			break
		}
	}
	return m
}

// countOnce runs bin under callgrind, sends warmup requests, then counts
// the instructions of the next requests.
func countOnce(ctx context.Context, bin string, c InstrCase, requests, warmup int) (int64, error) {
	dir, err := os.MkdirTemp("", "wharf-instr-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	outFile := filepath.Join(dir, "callgrind.out")
	var log bytes.Buffer
	cmd := exec.CommandContext(ctx, "valgrind", "--tool=callgrind", "--callgrind-out-file="+outFile, bin, "-addr", addr)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		return 0, err
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
	if err := awaitServer(ctx, addr, exited, 2*time.Minute); err != nil {
		return 0, fmt.Errorf("%w: %v (valgrind's log: %s)", errNoCount, err, lastLine(log.String()))
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	if err := drive(ctx, addr, c.Path, c.Conns, warmup); err != nil {
		return 0, fmt.Errorf("%w: warm-up: %v", errNoCount, err)
	}
	if out, err := exec.CommandContext(ctx, "callgrind_control", "-z", pid).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("callgrind_control -z: %v: %s", err, out)
	}
	if err := drive(ctx, addr, c.Path, c.Conns, requests); err != nil {
		return 0, fmt.Errorf("%w: %v", errNoCount, err)
	}
	if out, err := exec.CommandContext(ctx, "callgrind_control", "-d", pid).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("callgrind_control -d: %v: %s", err, out)
	}
	f, err := os.Open(outFile + ".1") // the first dump
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errNoCount, err)
	}
	defer f.Close()
	return callgrindTotal(f)
}

// awaitServer waits until the server at addr answers /hello, the server
// exits, or wait passes (valgrind starts a Go binary in seconds, not
// milliseconds).
func awaitServer(ctx context.Context, addr string, exited <-chan struct{}, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		if err := drive(ctx, addr, "/hello", 1, 1); err == nil {
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

// drive sends n keep-alive GETs of path to addr over conns connections,
// each one request at a time, and checks that every answer is a 200.
func drive(ctx context.Context, addr, path string, conns, n int) error {
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: wharf-bench\r\n\r\n")
	var left atomic.Int64
	left.Store(int64(n))
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for range min(conns, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- sendAll(ctx, addr, req, &left)
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

// sendAll sends req on one connection until left runs out.
func sendAll(ctx context.Context, addr string, req []byte, left *atomic.Int64) error {
	d := net.Dialer{Timeout: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	br := bufio.NewReader(nc)
	for left.Add(-1) >= 0 {
		nc.SetDeadline(time.Now().Add(2 * time.Minute))
		if _, err := nc.Write(req); err != nil {
			return err
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: status %d", strings.TrimSpace(strings.SplitN(string(req), "\r\n", 2)[0]), resp.StatusCode)
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

// instrTable renders the counts: a row a case, the base build beside the
// current one when there is one.
func instrTable(counts []InstrCount, base string) string {
	var b strings.Builder
	cell := func(m InstrCount) string {
		if m.Err != "" {
			return "failed"
		}
		return fmtInt(float64(m.PerRequest))
	}
	if base == "" {
		b.WriteString("| Case | Path | Connections | Requests counted | Instructions a request |\n|---|---|---:|---:|---:|\n")
		for _, m := range counts {
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", m.Case.Name, m.Case.Path, fmtInt(float64(m.Case.Conns)), fmtInt(float64(m.Requests)), cell(m))
		}
		return b.String()
	}
	fmt.Fprintf(&b, "| Case | Path | Connections | Requests counted | %s | current | change |\n|---|---|---:|---:|---:|---:|---:|\n", base)
	for i := 0; i+1 < len(counts); i += 2 {
		bm, cm := counts[i], counts[i+1]
		change := "—"
		if bm.Err == "" && cm.Err == "" && bm.PerRequest > 0 {
			change = fmt.Sprintf("%+.1f%%", 100*float64(cm.PerRequest-bm.PerRequest)/float64(bm.PerRequest))
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s | %s |\n", cm.Case.Name, cm.Case.Path, fmtInt(float64(cm.Case.Conns)), fmtInt(float64(cm.Requests)), cell(bm), cell(cm), change)
	}
	return b.String()
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
