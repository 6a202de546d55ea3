package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-go/wharf/bench/internal/size"
)

// The files of the static-file benchmarks, in the directory staticFiles
// makes and every server gets with -static.
const (
	smallFile = "1k.bin"
	slowFile  = "slow.bin"
)

// SlowDLConfig is what the slow-download benchmark is asked to do.
type SlowDLConfig struct {
	Count  int   // downloads at once, one connection each
	Size   int64 // bytes of the file
	Rate   int64 // bytes per second each download reads
	RcvBuf int64 // SO_RCVBUF of each client connection
	MSS    int   // TCP_MAXSEG of each client connection (see cmd/wharf-slowdl)
}

func (c SlowDLConfig) name() string { return "slowdl-" + strconv.Itoa(c.Count) }

// ideal is how long one download lasts at the set pace.
func (c SlowDLConfig) ideal() time.Duration {
	return time.Duration(float64(c.Size) / float64(c.Rate) * float64(time.Second))
}

// slowDLOverhead is the estimated cost of one server's slow-download run
// besides the downloads themselves: start, warm-up, the idle and after
// samples.
const slowDLOverhead = 6 * time.Second

// The servers the slow-download benchmark compares.
var slowDLServers = []string{"wharf", "nethttp"}

func (cfg Config) slowServers() []string {
	var out []string
	for _, s := range cfg.Servers {
		if slices.Contains(slowDLServers, s) {
			out = append(out, s)
		}
	}
	return out
}

// staticFiles makes a temporary directory with the 1 KiB file and the
// slow-download file, both of random bytes (so that no server can shrink
// them by compression).
func staticFiles(slowSize int64) (string, error) {
	dir, err := os.MkdirTemp("", "wharf-bench-static-")
	if err != nil {
		return "", err
	}
	for _, f := range []struct {
		name string
		n    int64
	}{{smallFile, 1 << 10}, {slowFile, slowSize}} {
		out, err := os.Create(filepath.Join(dir, f.name))
		if err == nil {
			_, err = io.CopyN(out, rand.Reader, f.n)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

func buildSlowDL(ctx context.Context, benchDir, binDir string) (string, error) {
	bin := filepath.Join(binDir, "wharf-slowdl")
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", bin, "./cmd/wharf-slowdl")
	cmd.Dir = benchDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/wharf-slowdl: %v\n%s", err, out)
	}
	return bin, nil
}

// SlowDLClient is the summary cmd/wharf-slowdl prints with -json.
type SlowDLClient struct {
	N, Completed, Failed int
	Errors               map[string]int `json:",omitempty"`
	Bytes                int64
	Size, Rate, RcvBuf   int64
	MSS                  int
	Ideal                time.Duration
	Min, P50, P90, P99   time.Duration
	Max                  time.Duration
	Opened               time.Duration
	Elapsed              time.Duration
}

// SlowDLSample is one look at the server during the downloads.
type SlowDLSample struct {
	At         time.Duration // since the client started
	RSSKiB     int64
	Goroutines int   // -1 if the server did not answer in time
	SendQKiB   int64 // bytes waiting in the server's sockets' send queues, -1 if ss failed
	Conns      int   // established connections on the server's port, -1 if ss failed
}

// SlowDLResult is the slow-download benchmark of one server.
type SlowDLResult struct {
	Server          string
	IdleKiB         int64 // VmRSS after the warm-up
	PeakKiB         int64 // the highest VmRSS sampled during the downloads
	AfterKiB        int64 // VmRSS 1 s after the last download ended
	HWMKiB          int64 // VmHWM at the end (includes the warm-up)
	IdleGoroutines  int
	PeakGoroutines  int
	AfterGoroutines int
	GoroutineSource string
	PeakSendQKiB    int64 // the most bytes queued in the server's sockets at once
	PeakConns       int
	Samples         []SlowDLSample
	Client          SlowDLClient
	Err             string `json:",omitempty"`
}

// slowDLTest starts the server with the static directory, warms it up,
// samples it idle, runs cmd/wharf-slowdl against the slow file pinned to
// the client CPU while sampling the server's RSS, goroutines and socket
// send queues, and samples it once more after.
func slowDLTest(ctx context.Context, cfg Config, name, bin, loadBin, dir string) SlowDLResult {
	r := SlowDLResult{Server: name}
	fail := func(err error) SlowDLResult { r.Err = err.Error(); return r }
	p, err := startServer(ctx, bin, cfg.ServerCPU, bin+".log", "-static", dir)
	if err != nil {
		return fail(err)
	}
	defer p.stop()
	if err := staticWarmUp(p.url, cfg.SlowDL.Size); err != nil {
		return fail(fmt.Errorf("warm-up: %v", err))
	}
	time.Sleep(500 * time.Millisecond)
	if r.IdleKiB, err = rssKiB(p.pid()); err != nil {
		return fail(err)
	}
	if r.IdleGoroutines, r.GoroutineSource, err = goroutines(p.url); err != nil {
		return fail(err)
	}
	r.PeakKiB, r.PeakGoroutines = r.IdleKiB, r.IdleGoroutines

	d := cfg.SlowDL
	cmd := exec.CommandContext(ctx, "taskset", "-c", strconv.Itoa(cfg.ClientCPU), loadBin,
		"-url", p.url+"/static/"+slowFile, "-n", strconv.Itoa(d.Count), "-size", strconv.FormatInt(d.Size, 10),
		"-rate", strconv.FormatInt(d.Rate, 10), "-rcvbuf", strconv.FormatInt(d.RcvBuf, 10), "-mss", strconv.Itoa(d.MSS), "-json")
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	port := p.url[strings.LastIndexByte(p.url, ':')+1:]
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var werr error
sampling:
	for {
		select {
		case werr = <-done:
			break sampling
		case <-tick.C:
			s := SlowDLSample{At: time.Since(start), Goroutines: -1}
			s.RSSKiB, _ = rssKiB(p.pid())
			if n, _, err := goroutines(p.url); err == nil {
				s.Goroutines = n
			}
			s.SendQKiB, s.Conns = sendQueue(port)
			r.Samples = append(r.Samples, s)
			r.PeakKiB = max(r.PeakKiB, s.RSSKiB)
			r.PeakGoroutines = max(r.PeakGoroutines, s.Goroutines)
			r.PeakSendQKiB = max(r.PeakSendQKiB, s.SendQKiB)
			r.PeakConns = max(r.PeakConns, s.Conns)
		}
	}
	if err := json.Unmarshal([]byte(stdout.String()), &r.Client); err != nil {
		return fail(fmt.Errorf("wharf-slowdl: %v (%v): %s", werr, err, strings.TrimSpace(stderr.String())))
	}
	// It exits 1 when some download failed; the summary says which.
	var exit *exec.ExitError
	if werr != nil && !(errors.As(werr, &exit) && exit.ExitCode() == 1) {
		return fail(fmt.Errorf("wharf-slowdl: %v: %s", werr, strings.TrimSpace(stderr.String())))
	}
	if !p.alive() {
		return fail(errors.New("the server exited during the downloads"))
	}
	time.Sleep(time.Second)
	if r.AfterKiB, err = rssKiB(p.pid()); err != nil {
		return fail(err)
	}
	if r.AfterGoroutines, _, err = goroutines(p.url); err != nil {
		return fail(err)
	}
	r.HWMKiB, _ = peakRSSKiB(p.pid())
	return r
}

// staticWarmUp fetches the small file a few hundred times and the big one
// twice, at full speed, so that the idle figures are those of a server that
// has served the files before.
func staticWarmUp(base string, bigSize int64) error {
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	for i := range 202 {
		path, want := "/static/"+smallFile, int64(1<<10)
		// The 101st and the 202nd: 200 small files and 2 big ones, as
		// the report says (i%100 == 0 would also take i == 0: three).
		if i%101 == 100 {
			path, want = "/static/"+slowFile, bigSize
		}
		resp, err := client.Get(base + path)
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || n != want {
			return fmt.Errorf("GET %s: %s, %d bytes, want 200 and %d", path, resp.Status, n, want)
		}
	}
	return nil
}

// sendQueue sums, with ss, the send queues of the TCP connections whose
// local port is port: the bytes the server has handed the kernel that the
// clients have not taken yet. Connections the server has closed with bytes
// still queued count too: the kernel holds those bytes all the same. It
// returns -1, -1 if ss fails.
func sendQueue(port string) (kib int64, conns int) {
	out, err := exec.Command("ss", "-Htn", "( sport = :"+port+" )").Output()
	if err != nil {
		return -1, -1
	}
	return parseSendQueue(string(out))
}

// parseSendQueue reads `ss -Htn` output, "State Recv-Q Send-Q Local Peer"
// a line, leaving out the listening socket (whose Send-Q is its backlog).
func parseSendQueue(out string) (kib int64, conns int) {
	var bytes int64
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || f[0] == "LISTEN" {
			continue
		}
		n, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			continue
		}
		bytes += n
		conns++
	}
	return bytes >> 10, conns
}

// slowDLTarget values, from the brief the benchmark was written for.
const slowDLRSSBudgetKiB = 5 << 10

func (r SlowDLResult) growthKiB() int64 { return r.PeakKiB - r.IdleKiB }

// describe writes the downloads' settings for the report.
func (c SlowDLConfig) describe() string {
	return fmt.Sprintf("%s downloads at once of a %s file, each read at %s/s (about %s each), SO_RCVBUF %s, MSS %d",
		fmtInt(float64(c.Count)), size.Format(c.Size), size.Format(c.Rate), secs(c.ideal()), size.Format(c.RcvBuf), c.MSS)
}
