package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a running server process.
type server struct {
	cmd  *exec.Cmd
	url  string // http://127.0.0.1:PORT
	done chan struct{}
}

// startServer starts bin on 127.0.0.1:0 pinned to cpu, and waits for its
// "listening on http://ADDR" line. The server's stderr is appended to
// logPath. args are the server's further flags.
func startServer(ctx context.Context, bin string, cpu int, logPath string, args ...string) (*server, error) {
	cmd := exec.Command("taskset", append([]string{"-c", strconv.Itoa(cpu), bin, "-addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &server{cmd: cmd, done: make(chan struct{})}
	lines := make(chan string, 1)
	go func() {
		br := bufio.NewReader(stdout)
		for {
			line, err := br.ReadString('\n')
			if u, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on "); ok {
				lines <- u
				break
			}
			if err != nil {
				close(lines)
				return
			}
		}
		_, _ = io.Copy(io.Discard, br)
	}()
	go func() { _ = cmd.Wait(); close(p.done) }()
	select {
	case u, ok := <-lines:
		if !ok {
			p.stop()
			return nil, fmt.Errorf("%s exited without its listening line (its stderr: %s)", bin, logPath)
		}
		p.url = u
		return p, nil
	case <-time.After(15 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s printed no listening line in 15 s", bin)
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
}

func (p *server) pid() int { return p.cmd.Process.Pid } // taskset execs the server: same process

func (p *server) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop asks the server to stop (SIGTERM) and kills it if it is still there
// after 3 s.
func (p *server) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// rssKiB reads VmRSS from /proc/PID/status.
func rssKiB(pid int) (int64, error) { return statusKiB(pid, "VmRSS:") }

// peakRSSKiB reads VmHWM (the peak RSS) from /proc/PID/status.
func peakRSSKiB(pid int) (int64, error) { return statusKiB(pid, "VmHWM:") }

func statusKiB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no %s in /proc/PID/status", field)
}

// goroutines asks a server for its goroutine count: /debug/goroutines (the
// peers: runtime.NumGoroutine() in decimal), else a "goroutines" number in
// expvar's /debug/vars, else the first line of the goroutine profile,
// "goroutine profile: total N" (examples/hello mounts net/http/pprof). It
// returns the count and where it came from.
func goroutines(base string) (int, string, error) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	get := func(path string) (string, bool) {
		resp, err := client.Get(base + path)
		if err != nil {
			return "", false
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return string(b), err == nil && resp.StatusCode == http.StatusOK
	}
	if body, ok := get("/debug/goroutines"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(body)); err == nil {
			return n, "/debug/goroutines", nil
		}
	}
	if body, ok := get("/debug/vars"); ok {
		var vars map[string]json.RawMessage
		var n int
		if json.Unmarshal([]byte(body), &vars) == nil && json.Unmarshal(vars["goroutines"], &n) == nil {
			return n, "/debug/vars", nil
		}
	}
	if body, ok := get("/debug/pprof/goroutine?debug=1"); ok {
		first, _, _ := strings.Cut(body, "\n")
		if v, ok := strings.CutPrefix(first, "goroutine profile: total "); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return n, "/debug/pprof/goroutine", nil
			}
		}
	}
	return 0, "", errors.New("no goroutine count at /debug/goroutines, /debug/vars or /debug/pprof/goroutine")
}

// goroutineSourceNotes describe the sources goroutines returns, for the
// reports.
var goroutineSourceNotes = map[string]string{
	"/debug/goroutines":      "`/debug/goroutines` (`runtime.NumGoroutine()`)",
	"/debug/vars":            "the `goroutines` number of `/debug/vars` (`runtime.NumGoroutine()`)",
	"/debug/pprof/goroutine": "the first line of `/debug/pprof/goroutine?debug=1` (`goroutine profile: total N`)",
}

// goroutineSources says, for a report, where the goroutine counts of the
// servers came from, as measured: servers[i] had its count from
// sources[i]. The text is made from what the run recorded rather than
// written down, since goroutines takes the first source a server answers.
func goroutineSources(servers, sources []string) string {
	var order []string
	by := map[string][]string{}
	for i, src := range sources {
		if src == "" {
			continue
		}
		if _, ok := by[src]; !ok {
			order = append(order, src)
		}
		if !slices.Contains(by[src], servers[i]) {
			by[src] = append(by[src], servers[i])
		}
	}
	var parts []string
	for _, src := range order {
		note, ok := goroutineSourceNotes[src]
		if !ok {
			note = "`" + src + "`"
		}
		parts = append(parts, note+" for "+strings.Join(by[src], ", "))
	}
	if len(parts) == 0 {
		return "the servers"
	}
	return strings.Join(parts, "; ")
}

// WharfStats is the part of Wharf's container Stats (the "wharf" object of
// examples/hello's /debug/vars) the memory test reports.
type WharfStats struct {
	Suspended   int64
	Connections struct{ Open, Idle, Detached int }
	Executor    struct{ Workers, MaxWorkers, Busy int }
}

// wharfStats reads the "wharf" object of /debug/vars; false if the server
// has none.
func wharfStats(base string) (*WharfStats, bool) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(base + "/debug/vars")
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	var vars struct{ Wharf *WharfStats }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&vars) != nil || vars.Wharf == nil {
		return nil, false
	}
	return vars.Wharf, true
}
