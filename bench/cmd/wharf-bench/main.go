// Command wharf-bench is Wharf's whole-server benchmark: it builds
// examples/hello and the three peer servers of bench/servers (net/http,
// fasthttp, nbio), loads each with wrk in turn, measures the memory each
// needs per suspended long-poll connection and what a thousand slow
// downloads of a static file cost it (slowdl.go), and writes docs/benchmarks.md
// and docs/benchmarks.svg (and prints the markdown).
//
// Run it as `bash bench/run.sh` from the repository's root; flags after it
// are passed on (-h lists them). The servers are pinned to one CPU and wrk
// to another with taskset; everything is on 127.0.0.1.
//
// With -render FILE it only renders the documents again from the
// results.json of an earlier run. With -cluster it runs only the scale-out
// benchmark (cluster.go) and rewrites its table in docs/scale-out.md. With
// -sse it runs only the Server-Sent Events benchmark (sse.go) and rewrites
// its section of docs/benchmarks.md, which a full run carries over. With
// -instructions it counts, under valgrind, the instructions examples/hello
// spends a request, optionally beside another revision's build
// (instructions.go), and prints them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wharf-go/wharf/bench/internal/size"
)

// Config is what a run was asked to do; it is saved with the results.
type Config struct {
	Duration        time.Duration // measured wrk run
	Warmup          time.Duration // wrk run before it, discarded
	Rounds          int
	Threads         int           // wrk -t
	Timeout         time.Duration // wrk --timeout
	CPUN            int64         // n of the /cpu scenario
	MemConns        int           // long-poll connections of the memory test
	MemTLSConns     int           // of its second and third runs of Wharf, over TLS: long polls, then idle connections (0: none)
	MemProtoConns   int           // connections of Wharf's memory test over h2c, HTTP/2 over TLS and HTTP/3 (0: none)
	MemSettle       time.Duration // wait after the last long poll is sent
	MemDelay        time.Duration // the long poll's ms
	ServerCPU       int
	ClientCPU       int
	QuietWait       time.Duration // allowance to wait for a quiet machine before runs
	GoroutineBudget int           // stand-in for Wharf's "selectors + executor core"
	Servers         []string
	Scenarios       []string // names; empty means all
	SkipMemory      bool
	SkipChat        bool
	SkipH2          bool
	SkipQoS         bool
	ChatDuration    time.Duration // measured time of the WebSocket chat benchmark
	WSIdleConns     int           // idle WebSocket connections measured after the chat
	SkipSlowDL      bool
	SlowDL          SlowDLConfig
}

func defaultConfig() Config {
	return Config{
		Duration: 5 * time.Second, Warmup: time.Second, Rounds: 2, Threads: 2, Timeout: 5 * time.Second,
		CPUN: 100000, MemConns: 10000, MemTLSConns: 3000, MemProtoConns: 2000, MemSettle: 2 * time.Second, MemDelay: 20 * time.Second,
		ServerCPU: 0, ClientCPU: 1, QuietWait: time.Minute, GoroutineBudget: 16, Servers: slices.Clone(serverNames),
		ChatDuration: 10 * time.Second, WSIdleConns: 5000, SlowDL: SlowDLConfig{Count: 1000, Size: 4 << 20, Rate: 256 << 10, RcvBuf: 64 << 10, MSS: 1460},
	}
}

// The servers, in the order they run in each round.
var serverNames = []string{"wharf", "nethttp", "fasthttp", "nbio"}

var serverLabels = map[string]string{"wharf": "Wharf", "wharf-tls": "Wharf over TLS", "wharf-tls-idle": "Wharf over TLS, idle keep-alive", "nethttp": "net/http", "fasthttp": "fasthttp", "nbio": "nbio"}

func label(server string) string {
	if l, ok := serverLabels[server]; ok {
		return l
	}
	return server
}

// Scenario is one wrk load.
type Scenario struct {
	Name  string // short, unique
	Title string
	Path  string
	Conns int
	// Static makes the harness start each server with -static DIR, the
	// directory of the static-file scenarios (staticFiles).
	Static bool `json:",omitempty"`
	// Servers, if set, are the only servers that take part.
	Servers []string `json:",omitempty"`
}

// takesPart says whether server runs in the scenario.
func (sc Scenario) takesPart(server string) bool {
	return len(sc.Servers) == 0 || slices.Contains(sc.Servers, server)
}

func scenarios(cpuN int64) []Scenario {
	return []Scenario{
		{Name: "plaintext-100", Title: "Plaintext `/hello`, 100 connections", Path: "/hello?name=wrk", Conns: 100},
		{Name: "plaintext-10000", Title: "Plaintext `/hello`, 10,000 connections", Path: "/hello?name=wrk", Conns: 10000},
		{Name: "sleep-100", Title: "Blocking wait `/sleep?ms=50`, 100 connections", Path: "/sleep?ms=50", Conns: 100},
		{Name: "sleep-10000", Title: "Blocking wait `/sleep?ms=50`, 10,000 connections", Path: "/sleep?ms=50", Conns: 10000},
		{Name: "delay-10000", Title: "Suspended wait `/delay?ms=50`, 10,000 connections", Path: "/delay?ms=50", Conns: 10000},
		{Name: "cpu-100", Title: fmt.Sprintf("CPU-bound `/cpu?n=%d`, 100 connections", cpuN), Path: fmt.Sprintf("/cpu?n=%d", cpuN), Conns: 100},
		// nbio has no file server of its own (only net/http's, run on its
		// engine), so it sits this one out.
		{Name: "static-100", Title: "Static file `/static/" + smallFile + "` (1 KiB), 100 connections", Path: "/static/" + smallFile,
			Conns: 100, Static: true, Servers: []string{"wharf", "nethttp", "fasthttp"}},
	}
}

// Results is everything a run measured.
type Results struct {
	Env         Env
	Config      Config
	Scenarios   []ScenarioResult
	Memory      []MemoryResult
	ProtoMemory []ProtoMemoryResult // nil when skipped
	SlowDL      []SlowDLResult      // nil when skipped
	Chat        *ChatResult         // nil when skipped
	WSIdle      *WSIdleResult       // nil when skipped (with the chat)
	H2          []H2Result          // nil when skipped
	QoS         *QoSResult          // nil when skipped
	Elapsed     time.Duration
	Budget      time.Duration
	QuietWait   time.Duration // spent waiting for a quiet machine
}

// ScenarioResult holds every measured run of one scenario.
type ScenarioResult struct {
	Scenario Scenario
	Servers  []ServerRuns
}

// Run is one measured wrk run.
type Run struct {
	Round int
	WrkResult
	CPU CPUUse
	// Busy is how busy the machine was (in cores) just before the server
	// started, after waiting for it to be quiet; -1 if not looked at.
	Busy float64
}

// ServerRuns holds one server's measured runs of a scenario, one per round.
type ServerRuns struct {
	Server string
	Runs   []Run
	Failed []string // runs that produced no result, and why
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wharf-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("wharf-bench", flag.ExitOnError)
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "measured wrk run per server, scenario and round (whole seconds)")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "wrk warm-up run before each measured run, discarded (whole seconds; 0 for none)")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "rounds: each round runs every server in turn, starting one server later than the round before")
	fs.IntVar(&cfg.Threads, "threads", cfg.Threads, "wrk threads (-t)")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "wrk --timeout: slower answers count as timeouts and leave the latency distribution")
	fs.Int64Var(&cfg.CPUN, "cpu-n", cfg.CPUN, "n of the /cpu scenario")
	fs.IntVar(&cfg.MemConns, "mem-conns", cfg.MemConns, "suspended long-poll connections in the memory test")
	fs.IntVar(&cfg.MemTLSConns, "mem-tls-conns", cfg.MemTLSConns, "suspended long polls over TLS in the memory test's second run of Wharf, and idle TLS connections in its third (-tls; 0 for none)")
	fs.IntVar(&cfg.MemProtoConns, "mem-proto-conns", cfg.MemProtoConns, "connections of Wharf's memory test over h2c, HTTP/2 over TLS and HTTP/3: idle, then with a long poll suspended on each (0 for none)")
	fs.DurationVar(&cfg.MemSettle, "mem-settle", cfg.MemSettle, "wait after the last long poll was sent before measuring")
	fs.DurationVar(&cfg.MemDelay, "mem-delay", cfg.MemDelay, "how long each long poll asks to wait (/delay?ms=)")
	fs.IntVar(&cfg.ServerCPU, "server-cpu", cfg.ServerCPU, "CPU the servers are pinned to")
	fs.IntVar(&cfg.ClientCPU, "client-cpu", cfg.ClientCPU, "CPU wrk and the long-poll client are pinned to")
	fs.DurationVar(&cfg.QuietWait, "quiet-wait", cfg.QuietWait, "total time the runs may wait (at most 3 s each) for other processes to leave the CPUs idle")
	fs.IntVar(&cfg.GoroutineBudget, "goroutine-budget", cfg.GoroutineBudget,
		"Wharf's selectors + executor core: goroutines allowed above its idle count while the long polls are suspended")
	servers := fs.String("servers", strings.Join(cfg.Servers, ","), "servers to run, in order")
	only := fs.String("scenarios", "", "comma-separated scenario names to run (default all): "+strings.Join(cfg.scenarioNames(), ", ")+
		" (the slow-download one is named after -slowdl-count)")
	fs.BoolVar(&cfg.SkipMemory, "skip-memory", false, "skip the memory test")
	fs.BoolVar(&cfg.SkipChat, "skip-chat", false, "skip the WebSocket chat benchmark")
	fs.BoolVar(&cfg.SkipH2, "skip-h2", false, "skip the HTTP/2 (h2load) scenarios")
	fs.BoolVar(&cfg.SkipQoS, "skip-qos", false, "skip the QoS benchmark (cmd/wharf-load against /sleep on a bounded executor)")
	fs.DurationVar(&cfg.ChatDuration, "chat-duration", cfg.ChatDuration, "measured time of the WebSocket chat benchmark")
	fs.IntVar(&cfg.WSIdleConns, "ws-idle-conns", cfg.WSIdleConns, "idle WebSocket connections opened after the chat benchmark")
	fs.BoolVar(&cfg.SkipSlowDL, "skip-slowdl", false, "skip the slow-download benchmark")
	fs.IntVar(&cfg.SlowDL.Count, "slowdl-count", cfg.SlowDL.Count, "slow downloads at once (the scenario is named slowdl-COUNT)")
	fs.Var(size.Value{N: &cfg.SlowDL.Size}, "slowdl-size", "size of the slowly downloaded file (B, KiB, MiB suffixes)")
	fs.Var(size.Value{N: &cfg.SlowDL.Rate}, "slowdl-rate", "bytes per second each slow download reads")
	fs.Var(size.Value{N: &cfg.SlowDL.RcvBuf}, "slowdl-rcvbuf", "SO_RCVBUF of each slow download's connection")
	fs.IntVar(&cfg.SlowDL.MSS, "slowdl-mss", cfg.SlowDL.MSS, "TCP_MAXSEG of each slow download's connection (0: loopback's, which lets the server's socket take megabytes)")
	root := fs.String("root", "..", "the Wharf repository's root (bench/run.sh runs from bench/)")
	outMD := fs.String("md", "", "markdown output (default ROOT/docs/benchmarks.md; - for none)")
	outSVG := fs.String("svg", "", "SVG output (default ROOT/docs/benchmarks.svg; - for none)")
	render := fs.String("render", "", "only render the documents from this results.json")
	cluster := fs.Bool("cluster", false, "run only the scale-out benchmark (examples/chat as one process and as three sharing a NATS broker) and rewrite its table in docs/scale-out.md")
	cc := ClusterConfig{Members: 2000, Rate: 4, Duration: 20 * time.Second, Warmup: 3 * time.Second, Rounds: 3}
	fs.IntVar(&cc.Members, "cluster-members", cc.Members, "with -cluster, chat members, spread over the processes")
	fs.Float64Var(&cc.Rate, "cluster-rate", cc.Rate, "with -cluster, messages said per second in all (each reaches every member)")
	fs.DurationVar(&cc.Duration, "cluster-duration", cc.Duration, "with -cluster, measured time of each run")
	fs.DurationVar(&cc.Warmup, "cluster-warmup", cc.Warmup, "with -cluster, unmeasured time before it")
	fs.IntVar(&cc.Rounds, "cluster-rounds", cc.Rounds, "with -cluster, rounds of the three setups, interleaved")
	sseRun := fs.Bool("sse", false, "run only the Server-Sent Events benchmark (examples/hello and the net/http peer under cmd/wharf-sseload) and rewrite its section of docs/benchmarks.md")
	ssec := SSEConfig{Streams: 10000, Topics: 100, Rates: []float64{1000, 500, 100}, Duration: 10 * time.Second, Warmup: 2 * time.Second, Drain: 5 * time.Second, Settle: 2 * time.Second, Retire: 12 * time.Second}
	fs.IntVar(&ssec.Streams, "sse-streams", ssec.Streams, "with -sse, streams of the idle test and of the fan-out")
	fs.IntVar(&ssec.Topics, "sse-topics", ssec.Topics, "with -sse, topics the streams are spread over")
	sseRates := fs.String("sse-rates", "1000,500,100", "with -sse, events published per second in all, a fan-out run each (the first is the target's)")
	fs.DurationVar(&ssec.Duration, "sse-duration", ssec.Duration, "with -sse, measured time of the fan-out")
	fs.DurationVar(&ssec.Warmup, "sse-warmup", ssec.Warmup, "with -sse, unmeasured publishing before it")
	fs.DurationVar(&ssec.Settle, "sse-settle", ssec.Settle, "with -sse, wait after the last idle stream opened before measuring")
	fs.DurationVar(&ssec.Retire, "sse-retire", ssec.Retire, "with -sse, wait after that before counting the goroutines again")
	instructions := fs.Bool("instructions", false, "count instead of timing: user-space instructions a request of examples/hello under valgrind's callgrind (plaintext, /delay and /sleep), printed as a table; docs are not rewritten")
	ic := InstrConfig{Requests: 40000, Warmup: 10000, Cases: defaultInstrCases}
	fs.StringVar(&ic.Base, "instr-base", "", "with -instructions, a git revision whose build is counted beside the working tree's")
	instrPeerList := fs.String("instr-peers", "fasthttp", "with -instructions, comma-separated peers counted beside Wharf as anchors (fasthttp is the one valgrind runs; \"\" for none)")
	fs.IntVar(&ic.Requests, "instr-requests", ic.Requests, "with -instructions, requests counted a case (with fewer than the default, too few collections fall in the count for it to repeat: 4,000 moved it by 4%)")
	fs.IntVar(&ic.Warmup, "instr-warmup", ic.Warmup, "with -instructions, requests a case sends before counting")
	fs.StringVar(&ic.Dump, "instr-dump", "", "with -instructions, a directory that keeps each count's callgrind dump (BUILD-CASE.out) for callgrind_annotate")
	instrGOGC := fs.String("instr-gogc", "", "with -instructions, comma-separated GOGC settings (percentages, or off) the current build is also counted with, in a second table beside its collections; off counts the code without the collector's cycles, whose place in a count moves it (the environment's GOGC, if set, is the current build's)")
	instrCases := fs.String("instr-cases", "", "with -instructions, comma-separated cases to count (default all): plaintext, delay, sleep")
	sseOnly := fs.String("sse-scenarios", "", "with -sse, comma-separated scenarios to run (default all): sse-idle-STREAMS, sse-fanout, sse-cluster")
	fs.Parse(os.Args[1:])
	cfg.Servers = splitList(*servers)
	cfg.Scenarios = splitList(*only)

	rootDir, err := filepath.Abs(*root)
	if err != nil {
		return err
	}
	if *outMD == "" {
		*outMD = filepath.Join(rootDir, "docs", "benchmarks.md")
	}
	if *outSVG == "" {
		*outSVG = filepath.Join(rootDir, "docs", "benchmarks.svg")
	}

	if *instructions {
		ic.Peers = splitList(*instrPeerList)
		for _, v := range splitList(*instrGOGC) {
			if g, err := strconv.Atoi(v); (err != nil || g <= 0) && v != "off" {
				return fmt.Errorf("-instr-gogc: %q is neither a percentage above zero nor off", v)
			}
			ic.GOGC = append(ic.GOGC, v)
		}
		if *instrCases != "" {
			var cases []InstrCase
			for _, name := range splitList(*instrCases) {
				i := slices.IndexFunc(defaultInstrCases, func(c InstrCase) bool { return c.Name == name })
				if i < 0 {
					return fmt.Errorf("-instr-cases: %q is not a case (plaintext, delay, sleep)", name)
				}
				cases = append(cases, defaultInstrCases[i])
			}
			ic.Cases = cases
		}
		if ic.Requests < 1 || ic.Warmup < 0 {
			return errors.New("-instr-requests must be above zero and -instr-warmup not below")
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return instrBench(ctx, ic, rootDir, os.Stdout)
	}

	if *cluster {
		if *outMD == filepath.Join(rootDir, "docs", "benchmarks.md") {
			*outMD = filepath.Join(rootDir, "docs", "scale-out.md")
		}
		cc.ServerCPU, cc.ClientCPU = cfg.ServerCPU, cfg.ClientCPU
		if cc.Members < 1 || cc.Rate <= 0 || cc.Duration <= 0 || cc.Rounds < 1 {
			return errors.New("-cluster-members, -cluster-rate, -cluster-duration and -cluster-rounds must be above zero")
		}
		resultsDir := filepath.Join(rootDir, "bench", "results")
		if err := os.MkdirAll(resultsDir, 0o755); err != nil {
			return err
		}
		lock, err := lockResults(resultsDir)
		if err != nil {
			return err
		}
		defer lock.Close()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return clusterBench(ctx, cc, rootDir, *outMD)
	}

	if *sseRun {
		ssec.ServerCPU, ssec.ClientCPU, ssec.Scenarios = cfg.ServerCPU, cfg.ClientCPU, splitList(*sseOnly)
		for _, n := range ssec.Scenarios {
			if n != ssec.idleName() && n != sseFanoutName && n != sseClusterName {
				return fmt.Errorf("unknown SSE scenario %q (have %s, %s, %s)", n, ssec.idleName(), sseFanoutName, sseClusterName)
			}
		}
		ssec.Rates = nil
		for _, r := range splitList(*sseRates) {
			v, err := strconv.ParseFloat(r, 64)
			if err != nil || v <= 0 {
				return fmt.Errorf("-sse-rates: %q is not a rate above zero", r)
			}
			ssec.Rates = append(ssec.Rates, v)
		}
		if ssec.Streams < 1 || ssec.Topics < 1 || len(ssec.Rates) == 0 || ssec.Duration <= 0 {
			return errors.New("-sse-streams, -sse-topics, -sse-rates and -sse-duration must be above zero")
		}
		resultsDir := filepath.Join(rootDir, "bench", "results")
		if err := os.MkdirAll(resultsDir, 0o755); err != nil {
			return err
		}
		lock, err := lockResults(resultsDir)
		if err != nil {
			return err
		}
		defer lock.Close()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return sseBench(ctx, ssec, rootDir, *outMD)
	}

	if *render != "" {
		b, err := os.ReadFile(*render)
		if err != nil {
			return err
		}
		res := new(Results)
		if err := json.Unmarshal(b, res); err != nil {
			return fmt.Errorf("%s: %v", *render, err)
		}
		if err := write(res, *outMD, *outSVG); err != nil {
			return err
		}
		// The SSE section's prose lives in this program too: render it
		// again from the -sse run's results beside, if there are any.
		return renderSSEFrom(filepath.Join(filepath.Dir(*render), "sse.json"), *outMD)
	}
	if err := validate(&cfg); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := bench(ctx, cfg, rootDir)
	if err != nil {
		return err
	}
	return write(res, *outMD, *outSVG)
}

// lockResults takes the lock of the results directory: one run at a time,
// since a second would clobber the binaries and disturb the measurements of
// the first. Closing the file releases it.
func lockResults(resultsDir string) (*os.File, error) {
	lock, err := os.OpenFile(filepath.Join(resultsDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("another wharf-bench run holds %s (%v); wait for it to end", lock.Name(), err)
	}
	return lock, nil
}

// scenarioNames are the names -scenarios takes: the wrk scenarios' and the
// slow-download benchmark's.
func (cfg Config) scenarioNames() []string {
	var names []string
	for _, s := range scenarios(cfg.CPUN) {
		names = append(names, s.Name)
	}
	return append(names, cfg.SlowDL.name())
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func validate(cfg *Config) error {
	for _, s := range cfg.Servers {
		if !slices.Contains(serverNames, s) {
			return fmt.Errorf("unknown server %q (have %s)", s, strings.Join(serverNames, ", "))
		}
	}
	for _, s := range cfg.Scenarios {
		if !slices.Contains(cfg.scenarioNames(), s) {
			return fmt.Errorf("unknown scenario %q (have %s)", s, strings.Join(cfg.scenarioNames(), ", "))
		}
	}
	if cfg.Duration < time.Second || cfg.Duration%time.Second != 0 || cfg.Warmup%time.Second != 0 || cfg.Timeout%time.Second != 0 {
		return errors.New("-duration, -warmup and -timeout take whole seconds (wrk's unit), -duration at least 1s")
	}
	if cfg.Rounds < 1 || cfg.Threads < 1 {
		return errors.New("-rounds and -threads must be at least 1")
	}
	if d := cfg.SlowDL; d.Count < 1 || d.Size < 1 || d.Rate < 1 {
		return errors.New("-slowdl-count, -slowdl-size and -slowdl-rate must be above zero")
	}
	return nil
}

// selected returns the scenarios to run.
func (cfg Config) selected() []Scenario {
	var out []Scenario
	for _, s := range scenarios(cfg.CPUN) {
		if len(cfg.Scenarios) == 0 || slices.Contains(cfg.Scenarios, s.Name) {
			out = append(out, s)
		}
	}
	return out
}

// wrkRuns is how many measured wrk runs the selected scenarios make.
func (cfg Config) wrkRuns() int {
	n := 0
	for _, sc := range cfg.selected() {
		for _, s := range cfg.Servers {
			if sc.takesPart(s) {
				n += cfg.Rounds
			}
		}
	}
	return n
}

// runSlowDL says whether the slow-download benchmark runs.
func (cfg Config) runSlowDL() bool {
	return !cfg.SkipSlowDL && (len(cfg.Scenarios) == 0 || slices.Contains(cfg.Scenarios, cfg.SlowDL.name()))
}

// Estimated costs of what is not wrk's own duration: starting and stopping a
// server, wrk opening its connections; and the memory test per server.
const (
	runOverhead    = 1500 * time.Millisecond
	memoryPerServe = 8 * time.Second
)

// memoryRuns is how many servers the memory test starts: each server,
// and Wharf again over TLS.
func (cfg Config) memoryRuns() int {
	n := len(cfg.Servers)
	if cfg.MemTLSConns > 0 && slices.Contains(cfg.Servers, "wharf") {
		n += 2 // over TLS: long polls, then idle connections
	}
	if cfg.MemProtoConns > 0 && slices.Contains(cfg.Servers, "wharf") {
		n += 2 * len(memoryProtos) // HTTP/2 and HTTP/3: each measures twice, idle and suspended
	}
	return n
}

func budget(cfg Config) time.Duration {
	runs := cfg.wrkRuns()
	d := time.Duration(runs) * (cfg.Warmup + cfg.Duration + runOverhead)
	if !cfg.SkipMemory {
		d += time.Duration(cfg.memoryRuns()) * (memoryPerServe + cfg.MemSettle)
	}
	if !cfg.SkipChat {
		d += cfg.ChatDuration + 10*time.Second // connect, warm up, drain
		d += wsIdleSettle + wsIdleRetire + 10*time.Second
	}
	if !cfg.SkipH2 {
		d += time.Duration(len(h2Scenarios())*len(h2Servers)*cfg.Rounds) * (max(time.Second, cfg.Warmup) + cfg.Duration + runOverhead)
	}
	if cfg.runSlowDL() {
		d += time.Duration(len(cfg.slowServers())) * (cfg.SlowDL.ideal() + slowDLOverhead)
	}
	if !cfg.SkipQoS {
		d += 6*time.Second + time.Duration(len(qosLevels)*len(qosServers))*(time.Second+cfg.Duration+runOverhead)
	}
	return d + cfg.QuietWait
}

func bench(ctx context.Context, cfg Config, root string) (*Results, error) {
	start := time.Now()
	benchDir := filepath.Join(root, "bench")
	resultsDir := filepath.Join(benchDir, "results")
	// One run at a time: a second one would clobber the binaries and disturb
	// the measurements of the first.
	if err := os.MkdirAll(resultsDir, 0o755); err != nil {
		return nil, err
	}
	lock, err := lockResults(resultsDir)
	if err != nil {
		return nil, err
	}
	defer lock.Close() // closing releases the lock
	// Raw wrk outputs and server logs of the previous run go.
	for _, d := range []string{"wrk", "bin"} {
		if err := os.RemoveAll(filepath.Join(resultsDir, d)); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Join(resultsDir, d), 0o755); err != nil {
			return nil, err
		}
	}
	nofile, err := raiseNofile()
	if err != nil {
		return nil, err
	}
	if err := ensureTools(); err != nil {
		return nil, err
	}

	runs := cfg.wrkRuns()
	b := budget(cfg)
	slow := 0
	if cfg.runSlowDL() {
		slow = len(cfg.slowServers())
	}
	logf("budget: %d wrk runs × (%v warm-up + %v + ~%v to start, connect and stop) + memory test %d × ~%v + slow downloads %d × ~%v + at most %v waiting for a quiet machine ≈ %s (+ builds); limit 10 min",
		runs, cfg.Warmup, cfg.Duration, runOverhead, cfg.memoryRuns(), memoryPerServe+cfg.MemSettle, slow, cfg.SlowDL.ideal()+slowDLOverhead, cfg.QuietWait, b.Round(time.Second))
	if b > 10*time.Minute {
		logf("warning: the budget exceeds 10 minutes; lower -rounds or -duration")
	}

	bins, err := build(ctx, root, benchDir, filepath.Join(resultsDir, "bin"), cfg.Servers)
	if err != nil {
		return nil, err
	}
	var slowLoad string
	if cfg.runSlowDL() {
		if slowLoad, err = buildSlowDL(ctx, benchDir, filepath.Join(resultsDir, "bin")); err != nil {
			return nil, err
		}
	}
	var staticDir string
	if cfg.runSlowDL() || slices.ContainsFunc(cfg.selected(), func(sc Scenario) bool { return sc.Static }) {
		if staticDir, err = staticFiles(cfg.SlowDL.Size); err != nil {
			return nil, err
		}
		defer os.RemoveAll(staticDir)
	}
	var chatServer, chatLoad string
	if !cfg.SkipChat {
		if chatServer, chatLoad, err = buildChat(ctx, root, benchDir, filepath.Join(resultsDir, "bin")); err != nil {
			return nil, err
		}
	}
	// The harness itself (the long-poll client, its waiting) stays off the
	// servers' CPU. Pinned only now, so that the builds use every CPU.
	if err := exec.Command("taskset", "-a", "-p", "-c", strconv.Itoa(cfg.ClientCPU), strconv.Itoa(os.Getpid())).Run(); err != nil {
		logf("warning: could not pin the harness to CPU %d: %v", cfg.ClientCPU, err)
	}

	res := &Results{Env: environment(root, benchDir, nofile), Config: cfg, Budget: b}
	logf("%s, %d CPUs, kernel %s, %s, %s", res.Env.CPU, res.Env.CPUs, res.Env.Kernel, res.Env.GoVersion, res.Env.Wrk)

	quiet := &quietWaiter{left: cfg.QuietWait}
	n := 0
	for _, sc := range cfg.selected() {
		sr := ScenarioResult{Scenario: sc}
		var servers []string
		for _, s := range cfg.Servers {
			if sc.takesPart(s) {
				servers = append(servers, s)
				sr.Servers = append(sr.Servers, ServerRuns{Server: s})
			}
		}
		var args []string
		if sc.Static {
			args = []string{"-static", staticDir}
		}
		for round := 1; round <= cfg.Rounds; round++ {
			for _, i := range roundOrder(len(servers), round) {
				s := servers[i]
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				n++
				busy := quiet.wait(3 * time.Second)
				r, err := measure(ctx, cfg, bins[s], sc, filepath.Join(resultsDir, "wrk", fmt.Sprintf("%s-r%d-%s.txt", sc.Name, round, s)), args...)
				r.Round, r.Busy = round, busy
				if err != nil {
					logf("[%d/%d] %s round %d %s: FAILED: %v", n, runs, sc.Name, round, label(s), err)
					sr.Servers[i].Failed = append(sr.Servers[i].Failed, fmt.Sprintf("round %d: %v", round, err))
					continue
				}
				sr.Servers[i].Runs = append(sr.Servers[i].Runs, r)
				logf("[%d/%d] %s round %d %-8s %9s req/s  p50 %-9s p99 %-9s errors %d  cores: server %.2f wrk %.2f other %.2f steal %.2f (before: %s)",
					n, runs, sc.Name, round, label(s), fmtInt(r.RPS), fmtDur(r.P50), fmtDur(r.P99), r.Errors(),
					r.CPU.Server, r.CPU.Wrk, r.CPU.Other, r.CPU.Steal, busyText(r.Busy))
			}
		}
		res.Scenarios = append(res.Scenarios, sr)
	}

	if !cfg.SkipH2 {
		if res.H2, err = h2Bench(ctx, cfg, bins, filepath.Join(resultsDir, "wrk"), quiet); err != nil {
			return nil, err
		}
	}

	if !cfg.SkipMemory {
		for _, s := range cfg.Servers {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			runs := []string{s}
			if s == "wharf" && cfg.MemTLSConns > 0 {
				runs = append(runs, "wharf-tls", "wharf-tls-idle") // the same binary, over TLS
			}
			for _, name := range runs {
				m := memoryTest(ctx, cfg, name, bins[s])
				res.Memory = append(res.Memory, m)
				if m.Err != "" {
					logf("memory %-8s FAILED: %s", label(name), m.Err)
					continue
				}
				logf("memory %-8s %d/%d connections open (long polls, or idle over TLS): RSS %d → %d KiB, %.2f KiB per connection; goroutines %d → %d (%s)",
					label(name), m.Opened, m.Conns, m.BaselineKiB, m.LoadedKiB, m.PerConnKiB(), m.BaselineGoroutines, m.LoadedGoroutines, m.GoroutineSource)
			}
		}
		if cfg.MemProtoConns > 0 && slices.Contains(cfg.Servers, "wharf") {
			for _, proto := range memoryProtos {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				m := protoMemoryTest(ctx, cfg, proto, bins["wharf"])
				res.ProtoMemory = append(res.ProtoMemory, m)
				if m.Err != "" {
					logf("memory Wharf %-3s FAILED: %s", proto, m.Err)
					continue
				}
				logf("memory Wharf %-3s %d connections: RSS %d → %d KiB idle (%.2f KiB, %.2f KiB live each) → %d KiB with a long poll on each (%.2f KiB, %.2f KiB live each); goroutines %d → %d → %d",
					proto, m.Opened, m.BaselineKiB, m.IdleKiB, m.IdlePerConnKiB(), m.IdleLivePerConnKiB(), m.SuspendKiB, m.SuspendPerConnKiB(), m.SuspendLivePerConnKiB(), m.BaselineG, m.IdleG, m.SuspendG)
			}
		}
	}

	if cfg.runSlowDL() {
		for _, s := range cfg.slowServers() {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			quiet.wait(3 * time.Second)
			r := slowDLTest(ctx, cfg, s, bins[s], slowLoad, staticDir)
			res.SlowDL = append(res.SlowDL, r)
			if r.Err != "" {
				logf("%s %-8s FAILED: %s", cfg.SlowDL.name(), label(s), r.Err)
				continue
			}
			c := r.Client
			logf("%s %-8s %d completed, %d failed; duration p50 %s p99 %s max %s; RSS idle %d KiB, peak +%d KiB; goroutines idle %d, peak %d, after %d",
				cfg.SlowDL.name(), label(s), c.Completed, c.Failed, fmtDur(c.P50), fmtDur(c.P99), fmtDur(c.Max),
				r.IdleKiB, r.PeakKiB-r.IdleKiB, r.IdleGoroutines, r.PeakGoroutines, r.AfterGoroutines)
		}
	}

	if !cfg.SkipChat {
		quiet.wait(3 * time.Second)
		c := chatTest(ctx, cfg, chatServer, chatLoad, filepath.Join(resultsDir, "bin", "wschat.log"))
		res.Chat = &c
		if c.Err != "" {
			logf("chat FAILED: %s", c.Err)
		} else {
			logf("chat: %d sent, %d/%d delivered (%d lost), %.0f deliveries/s, p50 %s p99 %s max %s",
				c.Sent, c.Received, c.Expected, c.Lost, c.DeliveredPerSec, fmtDur(c.P50), fmtDur(c.P99), fmtDur(c.Max))
		}
		quiet.wait(3 * time.Second)
		w := wsIdleTest(ctx, cfg, chatServer, chatLoad, filepath.Join(resultsDir, "bin", "wschat-idle.log"))
		res.WSIdle = &w
		if w.Err != "" {
			logf("ws-idle FAILED: %s", w.Err)
		} else {
			logf("ws-idle: %d connections: RSS %d → %d KiB, %.2f KiB per connection; goroutines %d → %d → %d",
				w.Conns, w.BaselineKiB, w.LoadedKiB, w.PerConnKiB(), w.BaselineGoroutines, w.LoadedGoroutines, w.SettledGoroutines)
		}
	}

	// Last: it opens thousands of connections, whose TIME_WAIT sockets
	// linger for a minute and would weigh on what runs after.
	if !cfg.SkipQoS {
		if bins["wharf"] == "" || bins["nethttp"] == "" {
			res.QoS = &QoSResult{Err: "needs the wharf and nethttp servers (-servers)"}
		} else if loadBin, err := buildLoad(ctx, root, filepath.Join(resultsDir, "bin")); err != nil {
			res.QoS = &QoSResult{Err: err.Error()}
		} else {
			q := qosBench(ctx, cfg, bins, loadBin, filepath.Join(resultsDir, "bin"), quiet)
			res.QoS = &q
		}
	}

	res.Elapsed, res.QuietWait = time.Since(start), quiet.waited
	logf("done in %s (budget %s)", res.Elapsed.Round(time.Second), b.Round(time.Second))
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(resultsDir, "results.json"), js, 0o644); err != nil {
		return nil, err
	}
	return res, nil
}

func busyText(b float64) string {
	if b < 0 {
		return "not checked"
	}
	return fmt.Sprintf("%.2f", b)
}

// measure runs one server for one scenario: a fresh process, a warm-up
// run, the measured run.
func measure(ctx context.Context, cfg Config, bin string, sc Scenario, rawPath string, args ...string) (Run, error) {
	p, err := startServer(ctx, bin, cfg.ServerCPU, bin+".log", args...)
	if err != nil {
		return Run{}, err
	}
	defer p.stop()
	url := p.url + sc.Path
	if cfg.Warmup > 0 {
		if _, _, err := runWrk(ctx, cfg, sc.Conns, cfg.Warmup, url); err != nil {
			return Run{}, fmt.Errorf("warm-up: %v", err)
		}
	}
	meter := startCPUMeter(p.pid())
	out, wrkCPU, err := runWrk(ctx, cfg, sc.Conns, cfg.Duration, url)
	use := meter.stop(wrkCPU)
	_ = os.WriteFile(rawPath, []byte(out), 0o644)
	if err != nil {
		return Run{}, err
	}
	if !p.alive() {
		return Run{}, errors.New("the server exited during the run")
	}
	r, err := parseWrk(out)
	return Run{WrkResult: r, CPU: use}, err
}

// runWrk runs wrk and returns its output and the CPU time it used.
func runWrk(ctx context.Context, cfg Config, conns int, d time.Duration, url string) (string, time.Duration, error) {
	args := []string{
		"-t", strconv.Itoa(min(cfg.Threads, conns)), "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int(d/time.Second)), "--timeout", fmt.Sprintf("%ds", int(cfg.Timeout/time.Second)),
		"--latency", url}
	out, used, err := runPinned(ctx, cfg.ClientCPU, "wrk", args...)
	if err != nil {
		return out, used, fmt.Errorf("wrk: %v: %s", err, strings.TrimSpace(out))
	}
	return out, used, nil
}

// runPinned runs a load tool pinned to cpu and returns its output and the
// CPU time it used.
func runPinned(ctx context.Context, cpu int, tool string, args ...string) (string, time.Duration, error) {
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", strconv.Itoa(cpu), tool}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	var used time.Duration
	if cmd.ProcessState != nil {
		used = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	return string(out), used, err
}

// raiseNofile raises the soft limit of open files to the hard limit; the
// servers and wrk inherit it.
func raiseNofile() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	lim.Cur = lim.Max
	// Setrlimit also makes os/exec hand the raised limit to children.
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}

// ensureTools installs wrk (and h2load) if missing and checks for taskset.
func ensureTools() error {
	if _, err := exec.LookPath("h2load"); err != nil {
		logf("h2load not found: apt-get install -y -qq nghttp2-client")
		cmd := exec.Command("sh", "-c", "apt-get update -qq && apt-get install -y -qq nghttp2-client")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("installing h2load: %v", err)
		}
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		logf("wrk not found: apt-get update -qq && apt-get install -y -qq wrk")
		cmd := exec.Command("sh", "-c", "apt-get update -qq && apt-get install -y -qq wrk")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("installing wrk: %v", err)
		}
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return errors.New("taskset not found (Debian package util-linux)")
	}
	return nil
}

// build builds examples/hello as the Wharf server and the peers.
func build(ctx context.Context, root, benchDir, binDir string, servers []string) (map[string]string, error) {
	bins := map[string]string{}
	for _, s := range servers {
		bin := filepath.Join(binDir, s)
		dir, pkg := benchDir, "./servers/"+s
		if s == "wharf" {
			dir, pkg = root, "./examples/hello"
		}
		t := time.Now()
		cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", bin, pkg)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s (in %s): %v\n%s", pkg, dir, err, out)
		}
		logf("built %s from %s in %s", label(s), pkg, time.Since(t).Round(100*time.Millisecond))
		bins[s] = bin
	}
	return bins, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// roundOrder returns the order in which round (counted from 1) runs n
// servers: every server in turn, starting one later than the round
// before, so that no server always runs first, after a pause, or right
// after the same neighbour.
func roundOrder(n, round int) []int {
	order := make([]int, n)
	for j := range order {
		order[j] = (j + round - 1) % n
	}
	return order
}
