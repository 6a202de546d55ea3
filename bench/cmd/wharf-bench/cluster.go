package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-go/wharf/bench/internal/delivery"
)

// The scale-out benchmark (wharf-bench -cluster): examples/chat as one
// process, and as three processes sharing one room through a NATS broker,
// under the same long-poll load (bench/cmd/wharf-pollload). It writes its
// table into docs/scale-out.md, between markers, and leaves
// docs/benchmarks.md alone.

// ClusterConfig is what a -cluster run was asked to do.
type ClusterConfig struct {
	Members   int
	Rate      float64 // messages said per second, in all
	Duration  time.Duration
	Warmup    time.Duration
	Rounds    int
	ServerCPU int
	ClientCPU int
}

// clusterSetup is one way of serving the room.
type clusterSetup struct {
	Name      string
	Processes int
	NATS      bool // through a broker (embedded in the first process)
}

var clusterSetups = []clusterSetup{
	{"1 process, in-process bus", 1, false},
	{"1 process, NATS", 1, true},
	{"3 processes, NATS", 3, true},
}

// ClusterRun is one measured run of a setup.
type ClusterRun struct {
	Setup         string
	Round         int
	delivery.Poll        // wharf-pollload's report
	Err           string `json:",omitempty"`
}

// ClusterResults is everything a -cluster run measured.
type ClusterResults struct {
	Env     Env
	Config  ClusterConfig
	Runs    []ClusterRun
	Elapsed time.Duration
}

func clusterBench(ctx context.Context, cc ClusterConfig, root, outMD string) error {
	start := time.Now()
	benchDir := filepath.Join(root, "bench")
	binDir := filepath.Join(benchDir, "results", "bin-cluster")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	nofile, err := raiseNofile()
	if err != nil {
		return err
	}
	chat, load := filepath.Join(binDir, "chat"), filepath.Join(binDir, "wharf-pollload")
	for _, b := range []struct{ dir, pkg, out string }{{root, "./examples/chat", chat}, {benchDir, "./cmd/wharf-pollload", load}} {
		cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", b.out, b.pkg)
		cmd.Dir = b.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	res := &ClusterResults{Env: environment(root, benchDir, nofile), Config: cc}
	for round := range cc.Rounds {
		// Interleaved, and each round in another order, so that drift in
		// the machine's load spreads over every setup.
		for k := range clusterSetups {
			s := clusterSetups[(k+round)%len(clusterSetups)]
			logf("cluster round %d: %s", round+1, s.Name)
			r := clusterRun(ctx, cc, s, chat, load, filepath.Join(binDir, "chat.log"))
			r.Round = round + 1
			if r.Err != "" {
				logf("  failed: %s", r.Err)
			} else {
				logf("  p50 %v p99 %v, %d of %d delivered", r.P50, r.P99, r.Received, r.Expected)
			}
			res.Runs = append(res.Runs, r)
		}
	}
	res.Elapsed = time.Since(start)
	raw, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(filepath.Join(benchDir, "results", "cluster.json"), raw, 0o644); err != nil {
		return err
	}
	if outMD == "-" {
		fmt.Print(renderCluster(res))
		return nil
	}
	return replaceBetween(outMD, "<!-- cluster-bench:begin -->\n", "<!-- cluster-bench:end -->", renderCluster(res))
}

// clusterRun starts the setup's processes, runs the load and stops them.
func clusterRun(ctx context.Context, cc ClusterConfig, s clusterSetup, chat, load, logPath string) ClusterRun {
	r := ClusterRun{Setup: s.Name}
	fail := func(err error) ClusterRun { r.Err = err.Error(); return r }
	broker, err := freeAddr()
	if err != nil {
		return fail(err)
	}
	var procs []*server
	defer func() {
		for i := len(procs) - 1; i >= 0; i-- { // the broker's process last
			procs[i].stop()
		}
	}()
	var urls []string
	for i := range s.Processes {
		var args []string
		switch {
		case s.NATS && i == 0:
			args = []string{"-nats-embed", broker}
		case s.NATS:
			args = []string{"-nats", "nats://" + broker}
		}
		p, err := startServer(ctx, chat, cc.ServerCPU, logPath, args...)
		if err != nil {
			return fail(err)
		}
		procs = append(procs, p)
		urls = append(urls, p.url)
	}
	if err := waitConnected(urls); err != nil {
		return fail(err)
	}
	cmd := exec.CommandContext(ctx, "taskset", "-c", strconv.Itoa(cc.ClientCPU), load, "-json",
		"-urls", strings.Join(urls, ","), "-members", strconv.Itoa(cc.Members), "-rate", strconv.FormatFloat(cc.Rate, 'f', -1, 64),
		"-duration", cc.Duration.String(), "-warmup", cc.Warmup.String(), "-drain", "3s")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fail(fmt.Errorf("%v: %s", err, stderr.Bytes()))
	}
	if err := json.Unmarshal(out, &r.Poll); err != nil {
		return fail(fmt.Errorf("reading the load's report: %v (%q)", err, out))
	}
	return r
}

// statsClient asks the chat processes for their stats.
var statsClient = &http.Client{Timeout: 5 * time.Second}

// waitConnected waits until every process's bus reaches its broker.
func waitConnected(urls []string) error {
	deadline := time.Now().Add(15 * time.Second)
	for _, u := range urls {
		for {
			var st struct{ Bus struct{ Connected bool } }
			resp, err := statsClient.Get(u + "/chat/stats")
			if err == nil {
				err = json.NewDecoder(resp.Body).Decode(&st)
				resp.Body.Close()
			}
			if err == nil && st.Bus.Connected {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s did not reach the broker (%v)", u, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// freeAddr returns a 127.0.0.1 address with a port free now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// replaceBetween rewrites the part of the file at path between the markers
// begin and end with text.
func replaceBetween(path, begin, end, text string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		return fmt.Errorf("%s lacks the markers %q and %q", path, begin, end)
	}
	out := append(append(append([]byte{}, doc[:i+len(begin)]...), text...), doc[j:]...)
	return os.WriteFile(path, out, 0o644)
}

// renderCluster is the table docs/scale-out.md shows: per setup, the
// medians over the rounds, then every run.
func renderCluster(res *ClusterResults) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	cc, env := res.Config, res.Env
	p("\nLast run: %s", env.Date)
	if env.Commit != "" {
		p(", Wharf at commit `%s`", env.Commit)
	}
	p(". Machine: %s, %d CPUs, Linux %s; %s. Every chat process (and the broker,\n", env.CPU, env.CPUs, env.Kernel, env.GoVersion)
	p("inside the first) pinned to CPU %d, the load to CPU %d. %s members, %s messages a\n", cc.ServerCPU, cc.ClientCPU, fmtInt(float64(cc.Members)), strconv.FormatFloat(cc.Rate, 'f', -1, 64))
	p("second said in all for %s after a %s warm-up, %d rounds, the setups interleaved.\n\n", secs(cc.Duration), secs(cc.Warmup), cc.Rounds)
	p("| setup | p50 | p99 | p99.9 | max | deliveries/s | lost | duplicates |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	p50s := map[string]time.Duration{}
	p99s := map[string]time.Duration{}
	for _, s := range clusterSetups {
		var p50, p99, p999, mx, rate []float64
		var lost, expected, dups int64
		for _, r := range res.Runs {
			if r.Setup != s.Name || r.Err != "" {
				continue
			}
			p50, p99, p999 = append(p50, float64(r.P50)), append(p99, float64(r.P99)), append(p999, float64(r.P999))
			mx, rate = append(mx, float64(r.Max)), append(rate, r.DeliveredPerSec)
			lost += r.Lost
			expected += r.Expected
			dups += r.Duplicates
		}
		if len(p50) == 0 {
			p("| %s | failed | | | | | | |\n", s.Name)
			continue
		}
		p50s[s.Name], p99s[s.Name] = time.Duration(median(p50)), time.Duration(median(p99))
		p("| %s | %s | %s | %s | %s | %s | %s of %s | %s |\n", s.Name, fmtDur(p50s[s.Name]), fmtDur(p99s[s.Name]),
			fmtDur(time.Duration(median(p999))), fmtDur(time.Duration(median(mx))), fmtInt(median(rate)), fmtInt(float64(lost)), fmtInt(float64(expected)), fmtInt(float64(dups)))
	}
	one, three := clusterSetups[0].Name, clusterSetups[2].Name
	if p99s[one] > 0 && p99s[three] > 0 {
		p("\nThree processes against one: p50 %.2f×, p99 %.2f× (medians of the rounds).\n",
			float64(p50s[three])/float64(p50s[one]), float64(p99s[three])/float64(p99s[one]))
	}
	p("\n<details><summary>Every run</summary>\n\n| round | setup | p50 | p99 | max | delivered / expected | poll errors | bus lost |\n|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range res.Runs {
		if r.Err != "" {
			p("| %d | %s | failed: %s | | | | | |\n", r.Round, r.Setup, strings.ReplaceAll(r.Err, "|", "/"))
			continue
		}
		p("| %d | %s | %s | %s | %s | %s / %s | %d | %d |\n", r.Round, r.Setup, fmtDur(r.P50), fmtDur(r.P99), fmtDur(r.Max),
			fmtInt(float64(r.Received)), fmtInt(float64(r.Expected)), r.PollErrors, r.BusLost)
	}
	p("\n</details>\n\n")
	return b.String()
}
