// Command wharf-pollload is a long-poll chat load for examples/chat, on one
// process or on several that share a room through a broker (-urls takes
// them all). -members members join, spread over the processes in turn,
// and each polls its own process without pause. -rate messages a second in
// all are said, each by the next member on its own process, for -duration
// after -warmup. Every message reaches every member, and carries its send
// time. The report gives the delivery latency (min, avg, p50, p99, p99.9,
// max) and the deliveries lost: expected, but not received within -drain
// after the end. With -json it prints the report as JSON, for
// bench/cmd/wharf-bench -cluster.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/wharf-go/wharf/bench/internal/delivery"
)

// Config is a run's parameters.
type Config struct {
	URLs            []string // the processes' base URLs
	Members         int
	Rate            float64
	Duration        time.Duration
	Warmup, Drain   time.Duration
	PollTimeout     time.Duration
	ReadyTimeout    time.Duration // for every member's first poll to wait
	SayConnsPerProc int           // connections kept for saying, per process
}

func main() {
	var cfg Config
	urls := flag.String("urls", "http://127.0.0.1:8080", "comma-separated base URLs of the chat processes")
	flag.IntVar(&cfg.Members, "members", 2000, "members, spread over the processes in turn")
	flag.Float64Var(&cfg.Rate, "rate", 4, "messages said per second, in all")
	flag.DurationVar(&cfg.Duration, "duration", 20*time.Second, "measured time")
	flag.DurationVar(&cfg.Warmup, "warmup", 3*time.Second, "unmeasured time first")
	flag.DurationVar(&cfg.Drain, "drain", 3*time.Second, "wait for late deliveries after the end")
	flag.DurationVar(&cfg.PollTimeout, "poll", 20*time.Second, "how long each poll may wait")
	asJSON := flag.Bool("json", false, "print the report as JSON")
	flag.Parse()
	cfg.URLs = strings.Split(*urls, ",")
	r, err := run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wharf-pollload:", err)
		os.Exit(1)
	}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	fmt.Printf("%d members on %d processes: said %d, delivered %d of %d (lost %d, %d duplicates; the buses counted %d lost), %.0f deliveries/s, %d poll errors\n",
		r.Members, r.Processes, r.Sent, r.Received, r.Expected, r.Lost, r.Duplicates, r.BusLost, r.DeliveredPerSec, r.PollErrors)
	fmt.Printf("latency min %v avg %v p50 %v p99 %v p99.9 %v max %v\n", r.Min, r.Avg, r.P50, r.P99, r.P999, r.Max)
}

// member is one participant and what it measured.
type member struct {
	name string
	base string
	hist *hdrhistogram.Histogram // delivery latency in µs, measured messages only
	got  int64                   // measured deliveries, each message once; the poll loop's own
	dup  int64                   // measured messages delivered again
	seen map[int64]bool          // the measured messages got, by send time
}

type event struct {
	From string `json:"from"`
	Text string `json:"text"`
}

func run(ctx context.Context, cfg Config) (*delivery.Poll, error) {
	if len(cfg.URLs) == 0 || cfg.Members <= 0 || cfg.Rate <= 0 || cfg.Duration <= 0 {
		return nil, errors.New("need -urls, and -members, -rate and -duration above zero")
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 20 * time.Second
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 30 * time.Second
	}
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Members + 64, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.PollTimeout + 10*time.Second}

	members := make([]*member, cfg.Members)
	for i := range members {
		members[i] = &member{name: "m" + strconv.Itoa(i), base: cfg.URLs[i%len(cfg.URLs)], hist: delivery.NewHistogram(), seen: map[int64]bool{}}
	}
	if err := parallel(members, 50, func(m *member) error { return post(client, m.base+"/chat/join", url.Values{"member": {m.name}}) }); err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}

	pollCtx, stopPolls := context.WithCancel(ctx)
	var start atomic.Int64 // unix nanos from which deliveries count
	start.Store(1 << 62)
	var pollErrs atomic.Int64
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() { defer wg.Done(); m.poll(pollCtx, client, cfg.PollTimeout, &start, &pollErrs) }()
	}
	defer func() { stopPolls(); wg.Wait() }()
	if err := waitPolling(client, cfg); err != nil {
		return nil, err
	}

	var sent int64
	begin := time.Now()
	measureFrom := begin.Add(cfg.Warmup)
	end := measureFrom.Add(cfg.Duration)
	start.Store(measureFrom.UnixNano())
	tick := time.NewTicker(time.Duration(float64(time.Second) / cfg.Rate))
	seq := 0
	for now := range tick.C {
		if now.After(end) {
			break
		}
		// Open loop: say what the schedule says is due by now, so a late
		// tick does not lower the rate.
		for due := int(float64(now.Sub(begin)) * cfg.Rate / float64(time.Second)); seq < due; seq++ {
			m := members[seq%len(members)]
			ts := time.Now()
			if err := post(client, m.base+"/chat/say", url.Values{"member": {m.name}, "text": {strconv.FormatInt(ts.UnixNano(), 10)}}); err != nil {
				tick.Stop()
				return nil, fmt.Errorf("say: %w", err)
			}
			if !ts.Before(measureFrom) {
				sent++
			}
		}
	}
	tick.Stop()
	time.Sleep(cfg.Drain)
	stopPolls()
	wg.Wait()

	all := delivery.NewHistogram()
	var received, dups int64
	for _, m := range members {
		all.Merge(m.hist)
		received += m.got
		dups += m.dup
	}
	busLost, err := busLost(client, cfg.URLs)
	if err != nil {
		return nil, err
	}
	return &delivery.Poll{
		Members: cfg.Members, Processes: len(cfg.URLs),
		Report:     delivery.Summarize(cfg.Rate, cfg.Duration, sent, sent*int64(cfg.Members), received, all),
		Duplicates: dups, BusLost: busLost, PollErrors: pollErrs.Load(),
	}, nil
}

// poll polls until ctx is done, recording the latency of every measured
// message it gets.
func (m *member) poll(ctx context.Context, client *http.Client, timeout time.Duration, start, errs *atomic.Int64) {
	u := m.base + "/chat/poll?member=" + m.name + "&timeout=" + strconv.FormatInt(timeout.Milliseconds(), 10)
	var evs []event
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				errs.Add(1)
				time.Sleep(10 * time.Millisecond)
			}
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		now := time.Now().UnixNano()
		if err != nil || resp.StatusCode != http.StatusOK {
			if ctx.Err() == nil {
				errs.Add(1)
			}
			continue
		}
		evs = evs[:0]
		if json.Unmarshal(b, &evs) != nil {
			errs.Add(1)
			continue
		}
		for _, ev := range evs {
			sentAt, err := strconv.ParseInt(ev.Text, 10, 64)
			if err != nil || sentAt < start.Load() {
				continue
			}
			if m.seen[sentAt] {
				m.dup++
				continue
			}
			m.seen[sentAt] = true
			m.got++
			m.hist.RecordValue(max(1, (now-sentAt)/1000))
		}
	}
}

// stats is examples/chat's GET /chat/stats.
type stats struct {
	Members, Polling int
	Bus              struct{ Lost int64 }
}

func getStats(client *http.Client, base string) (stats, error) {
	var st stats
	resp, err := client.Get(base + "/chat/stats")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&st)
	return st, err
}

// waitPolling waits until every member's poll waits at its process.
func waitPolling(client *http.Client, cfg Config) error {
	deadline := time.Now().Add(cfg.ReadyTimeout)
	for {
		polling := 0
		for _, base := range cfg.URLs {
			st, err := getStats(client, base)
			if err != nil {
				return fmt.Errorf("stats of %s: %w", base, err)
			}
			polling += st.Polling
		}
		if polling == cfg.Members {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d members polling after %v", polling, cfg.Members, cfg.ReadyTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func busLost(client *http.Client, urls []string) (int64, error) {
	var n int64
	for _, base := range urls {
		st, err := getStats(client, base)
		if err != nil {
			return 0, fmt.Errorf("stats of %s: %w", base, err)
		}
		n += st.Bus.Lost
	}
	return n, nil
}

func post(client *http.Client, u string, form url.Values) error {
	resp, err := client.PostForm(u, form)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(b), `{"ok":true`) {
		return fmt.Errorf("POST %s: %s %s", u, resp.Status, b)
	}
	return nil
}

// parallel runs f for every member, n at a time, and returns the first
// error.
func parallel(members []*member, n int, f func(*member) error) error {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var first atomic.Pointer[error]
	for _, m := range members {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(m); err != nil {
				first.CompareAndSwap(nil, &err)
			}
		}()
	}
	wg.Wait()
	if p := first.Load(); p != nil {
		return *p
	}
	return nil
}
