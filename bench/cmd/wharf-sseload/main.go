// Command wharf-sseload is the Server-Sent Events load of Wharf's benchmark
// (bench/cmd/wharf-bench -sse). It opens -streams event streams (GET
// /events/tN, each on a TCP connection of its own, stream i on topic
// t(i mod -topics) and on process i mod len(-urls)), then publishes -rate
// events a second in all (POST /publish/tN, the topics in turn, on
// -publish-url) for -warmup and then -duration, on -publishers
// connections, each request sent when due (open loop: pipelined, not
// waiting for the answer before it). Each event's data is its publish
// time, taken just before its request is written, in Unix nanoseconds, so
// each delivery's latency runs from then to its arrival, the request's way
// to the server included; how late the publishes were against their
// schedule is reported apart (PublishLagMax). The report gives the
// deliveries of the events published in the measured time (expected: every
// stream of the topic, for each event the server accepted; received by
// -drain after the end), their latency (min, avg, p50, p99, p99.9, max),
// the duplicates (an ID at or below one the stream had) and the streams
// that ended early. With -json it prints the report as JSON.
//
// With -idle it only opens the streams, prints one JSON line
// ({"Opened":N,"OpenErrors":M}) once they are open, holds them until its
// standard input is closed, and prints {"Ended":K}, the streams that ended
// meanwhile: the harness measures the server in between.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/wharf-go/wharf/bench/internal/delivery"
	"github.com/wharf-go/wharf/bench/internal/ssestream"
)

// Config is a run's parameters.
type Config struct {
	URLs          []string // the processes' base URLs, streams spread over them
	PublishURL    string   // where events are published
	Streams       int
	Topics        int
	Rate          float64 // events published per second, in all
	Duration      time.Duration
	Warmup, Drain time.Duration
	Publishers    int // publishing connections, each pipelined
	Dialers       int
	OpenTimeout   time.Duration
}

func main() {
	var cfg Config
	urls := flag.String("urls", "http://127.0.0.1:8080", "comma-separated base URLs of the server processes")
	flag.StringVar(&cfg.PublishURL, "publish-url", "", "base URL to publish on (default the first of -urls)")
	flag.IntVar(&cfg.Streams, "streams", 10000, "event streams, spread over the topics and the processes")
	flag.IntVar(&cfg.Topics, "topics", 100, "topics t0, t1, ...")
	flag.Float64Var(&cfg.Rate, "rate", 1000, "events published per second, in all")
	flag.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured time")
	flag.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "unmeasured publishing first")
	flag.DurationVar(&cfg.Drain, "drain", 2*time.Second, "wait for late deliveries after the end")
	flag.IntVar(&cfg.Publishers, "publishers", 4, "publishing connections, each sending its requests pipelined, when due, without waiting for the answers")
	flag.IntVar(&cfg.Dialers, "dialers", 64, "goroutines opening the streams")
	flag.DurationVar(&cfg.OpenTimeout, "open-timeout", 10*time.Second, "for a stream to open")
	idle := flag.Bool("idle", false, "only open the streams and hold them until stdin is closed")
	asJSON := flag.Bool("json", false, "print the report as JSON")
	cpuProfile := flag.String("cpuprofile", "", "write the load's own CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "wharf-sseload:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	cfg.URLs = strings.Split(*urls, ",")
	if cfg.PublishURL == "" {
		cfg.PublishURL = cfg.URLs[0]
	}
	if err := check(cfg, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "wharf-sseload:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	if *idle {
		if err := runIdle(ctx, cfg); err != nil {
			fmt.Fprintln(os.Stderr, "wharf-sseload:", err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		return
	}
	r, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wharf-sseload:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
	if *asJSON {
		_ = json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	fmt.Printf("%d streams (%d open, %d failed, %d ended early), %d topics, %g events/s for %v\n",
		r.Streams, r.Opened, r.OpenErrors, r.Ended, r.Topics, r.Rate, r.Duration)
	fmt.Printf("published %d (%d failed, lag max %v); delivered %d of %d (%d lost, %d duplicates), %.0f/s\n",
		r.Sent, r.PublishErrors, r.PublishLagMax, r.Received, r.Expected, r.Lost, r.Duplicates, r.DeliveredPerSec)
	fmt.Printf("latency min %v avg %v p50 %v p99 %v p99.9 %v max %v\n", r.Min, r.Avg, r.P50, r.P99, r.P999, r.Max)
}

func check(cfg Config, idle bool) error {
	if cfg.Streams < 1 || cfg.Topics < 1 || cfg.Dialers < 1 {
		return errors.New("-streams, -topics and -dialers must be at least 1")
	}
	if !idle && (cfg.Rate <= 0 || cfg.Duration <= 0 || cfg.Publishers < 1) {
		return errors.New("-rate, -duration and -publishers must be above zero")
	}
	return nil
}

// window is the measured time, in Unix nanoseconds of the events' due
// times: [start, end). Until it is set nothing is counted.
type window struct{ start, end atomic.Int64 }

func newWindow() *window {
	w := new(window)
	w.start.Store(1<<63 - 1)
	return w
}

func (w *window) holds(t int64) bool { return t >= w.start.Load() && t < w.end.Load() }

// streamState is what a stream's reader keeps.
type streamState struct {
	topic      int
	lastID     uint64
	received   atomic.Int64
	duplicates atomic.Int64
	ended      atomic.Bool
}

// outcome is what a delivery counts as.
type outcome int

const (
	ignored   outcome = iota // outside the measured time, or not ours
	duplicate                // an ID at or below one the stream had
	counted                  // a delivery of a measured event
)

// classify judges the event ev, arrived at now (Unix nanoseconds), on
// stream st, and returns its latency when it is counted. The stream's
// last ID moves on with every event that has a greater one.
func classify(st *streamState, w *window, ev ssestream.Event, now int64) (outcome, time.Duration) {
	if ev.Type != "" {
		return ignored, 0
	}
	t, err := strconv.ParseInt(ev.Data, 10, 64)
	if err != nil {
		return ignored, 0
	}
	if ev.HasID {
		id, err := strconv.ParseUint(ev.ID, 10, 64)
		if err == nil {
			if id <= st.lastID {
				if w.holds(t) {
					return duplicate, 0
				}
				return ignored, 0
			}
			st.lastID = id
		}
	}
	if !w.holds(t) {
		return ignored, 0
	}
	return counted, time.Duration(now - t)
}

// histograms are shards of the latency histogram, so that the readers do
// not all wait for one lock.
type histograms [16]struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

func newHistograms() *histograms {
	hs := new(histograms)
	for i := range hs {
		hs[i].h = delivery.NewHistogram()
	}
	return hs
}

func (hs *histograms) record(shard int, d time.Duration) {
	s := &hs[shard%len(hs)]
	us := max(d.Microseconds(), 1)
	s.mu.Lock()
	_ = s.h.RecordValue(us)
	s.mu.Unlock()
}

func (hs *histograms) merged() *hdrhistogram.Histogram {
	h := delivery.NewHistogram()
	for i := range hs {
		hs[i].mu.Lock()
		h.Merge(hs[i].h)
		hs[i].mu.Unlock()
	}
	return h
}

// tally sums the streams' deliveries: each stream expects every measured
// event published on its topic.
func tally(published []int64, streams []*streamState) (expected, received, duplicates, ended int64) {
	for _, st := range streams {
		expected += published[st.topic]
		received += st.received.Load()
		duplicates += st.duplicates.Load()
		if st.ended.Load() {
			ended++
		}
	}
	return
}

// load is a run's streams.
type load struct {
	cfg     Config
	w       *window
	hist    *histograms
	closing atomic.Bool
	mu      sync.Mutex
	streams []*ssestream.Stream
	states  []*streamState
	failed  atomic.Int64
	readers sync.WaitGroup
}

// open opens the streams and starts a reader on each.
func (l *load) open(ctx context.Context) error {
	work := make(chan int)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range min(l.cfg.Dialers, l.cfg.Streams) {
		wg.Go(func() {
			for i := range work {
				base := l.cfg.URLs[i%len(l.cfg.URLs)]
				addr := strings.TrimPrefix(strings.TrimSuffix(base, "/"), "http://")
				topic := i % l.cfg.Topics
				var s *ssestream.Stream
				var err error
				for try := 0; try < 3; try++ { // a SYN dropped by a full listen queue is retried
					if s, err = ssestream.Open(ctx, addr, "/events/t"+strconv.Itoa(topic), l.cfg.OpenTimeout); err == nil {
						break
					}
				}
				if err != nil {
					l.failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				st := &streamState{topic: topic}
				l.mu.Lock()
				l.streams = append(l.streams, s)
				l.states = append(l.states, st)
				shard := len(l.states)
				l.mu.Unlock()
				l.readers.Go(func() { l.read(s, st, shard) })
			}
		})
	}
	for i := range l.cfg.Streams {
		work <- i
	}
	close(work)
	wg.Wait()
	if len(l.streams) == 0 {
		return fmt.Errorf("no stream opened: %v", firstErr.Load())
	}
	return nil
}

func (l *load) read(s *ssestream.Stream, st *streamState, shard int) {
	for {
		ev, err := s.Next()
		if err != nil {
			if !l.closing.Load() {
				st.ended.Store(true)
			}
			return
		}
		switch o, lat := classify(st, l.w, ev, time.Now().UnixNano()); o {
		case counted:
			st.received.Add(1)
			l.hist.record(shard, lat)
		case duplicate:
			st.duplicates.Add(1)
		}
	}
}

func (l *load) close() {
	l.closing.Store(true)
	for _, s := range l.streams {
		s.Close()
	}
	l.readers.Wait()
}

func runIdle(ctx context.Context, cfg Config) error {
	l := &load{cfg: cfg, w: newWindow(), hist: newHistograms()}
	if err := l.open(ctx); err != nil {
		return err
	}
	defer l.close()
	if err := json.NewEncoder(os.Stdout).Encode(struct{ Opened, OpenErrors int }{len(l.streams), int(l.failed.Load())}); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	_, _, _, ended := tally(make([]int64, cfg.Topics), l.states)
	return json.NewEncoder(os.Stdout).Encode(struct{ Ended int64 }{ended})
}

func run(ctx context.Context, cfg Config) (delivery.SSE, error) {
	l := &load{cfg: cfg, w: newWindow(), hist: newHistograms()}
	if err := l.open(ctx); err != nil {
		return delivery.SSE{}, err
	}
	defer l.close()

	interval := time.Duration(float64(time.Second) / cfg.Rate)
	t0 := time.Now().Add(10 * time.Millisecond)
	wStart := t0.Add(cfg.Warmup)
	wEnd := wStart.Add(cfg.Duration)
	l.w.end.Store(wEnd.UnixNano())
	l.w.start.Store(wStart.UnixNano())
	total := int64((cfg.Warmup + cfg.Duration) / interval)

	published := make([]atomic.Int64, cfg.Topics)
	var pubErrors, lagMax atomic.Int64
	addr := strings.TrimPrefix(strings.TrimSuffix(cfg.PublishURL, "/"), "http://")
	var wg sync.WaitGroup
	for g := range cfg.Publishers {
		c, err := net.DialTimeout("tcp", addr, cfg.OpenTimeout)
		if err != nil {
			return delivery.SSE{}, fmt.Errorf("publisher: %v", err)
		}
		defer c.Close()
		// Pipelined: the writer sends each request when it is due and
		// does not wait for the answer, which the reader takes in order.
		sent := make(chan pending, total/int64(cfg.Publishers)+1)
		wg.Go(func() {
			defer close(sent)
			broken := false
			for k := int64(g); k < total; k += int64(cfg.Publishers) {
				due := t0.Add(time.Duration(k) * interval)
				time.Sleep(time.Until(due))
				now := time.Now()
				topic := int(k % int64(cfg.Topics))
				measured := l.w.holds(now.UnixNano())
				if measured {
					storeMax(&lagMax, int64(now.Sub(due)))
				}
				if broken {
					if measured {
						pubErrors.Add(1)
					}
					continue
				}
				sent <- pending{topic, measured}
				if _, err := c.Write(publishRequest(addr, topic, now.UnixNano())); err != nil {
					broken = true
				}
			}
		})
		wg.Go(func() {
			br := bufio.NewReader(c)
			failed := false
			for p := range sent {
				if !failed {
					resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodPost})
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					if err != nil {
						failed = true
						c.Close() // the writer fails from now on
					} else if resp.StatusCode/100 == 2 {
						if p.measured {
							published[p.topic].Add(1)
						}
						continue
					}
				}
				if p.measured {
					pubErrors.Add(1)
				}
			}
		})
	}
	wg.Wait()
	time.Sleep(time.Until(wEnd.Add(cfg.Drain)))

	pub := make([]int64, cfg.Topics)
	var sent int64
	for i := range published {
		pub[i] = published[i].Load()
		sent += pub[i]
	}
	expected, received, dups, ended := tally(pub, l.states)
	r := delivery.SSE{
		Streams: cfg.Streams, Topics: cfg.Topics, Processes: len(cfg.URLs),
		Report: delivery.Summarize(cfg.Rate, cfg.Duration, sent, expected, received, l.hist.merged()),
		Opened: len(l.streams), OpenErrors: int(l.failed.Load()), Ended: ended, Duplicates: dups,
		PublishErrors: pubErrors.Load(), PublishLagMax: time.Duration(lagMax.Load()),
	}
	return r, nil
}

// storeMax raises m to v if v is greater.
func storeMax(m *atomic.Int64, v int64) {
	for {
		old := m.Load()
		if v <= old || m.CompareAndSwap(old, v) {
			return
		}
	}
}

// pending is a publish sent and not yet answered.
type pending struct {
	topic    int
	measured bool
}

// publishRequest is the POST that publishes the time t on topic.
func publishRequest(host string, topic int, t int64) []byte {
	data := strconv.FormatInt(t, 10)
	return []byte("POST /publish/t" + strconv.Itoa(topic) + " HTTP/1.1\r\nHost: " + host +
		"\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(len(data)) + "\r\n\r\n" + data)
}
