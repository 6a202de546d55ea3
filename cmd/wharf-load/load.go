package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Config is what to load and how.
type Config struct {
	URL         string
	Rate        float64       // loader requests a second, in all
	Connections int           // loader connections; 0: sized from Rate × Latency
	Latency     time.Duration // the response time expected, to size Connections
	Duration    time.Duration // measured time, when Iterations is 0
	Iterations  int           // measured loader requests, instead of Duration
	Warmup      time.Duration // load before the measured time
	ProbeRate   float64       // probe requests a second; 0 for none
	H2          bool
	Insecure    bool
	Timeout     time.Duration // per request
	ProbeHeader [][2]string   // header fields of the probe's requests
}

func (c *Config) validate() error {
	switch {
	case c.Rate <= 0:
		return errors.New("-rate must be above 0")
	case c.Connections < 0:
		return errors.New("-connections cannot be negative")
	case c.Connections == 0 && c.Latency <= 0:
		return errors.New("-latency must be positive to size the connections")
	case c.Iterations < 0 || c.Iterations == 0 && c.Duration <= 0:
		return errors.New("give a positive -duration or -iterations")
	case c.Warmup < 0 || c.ProbeRate < 0 || c.Timeout <= 0:
		return errors.New("-warmup and -probe-rate cannot be negative, -timeout must be positive")
	}
	return nil
}

// autoH2Connections is how many HTTP/2 connections the loaders open when
// -connections is 0: each carries many requests at once.
const autoH2Connections = 4

// connections returns the loader connections: Connections, or when it is
// 0, for HTTP/1.1 (one request at a time on a connection) enough to carry
// Rate requests a second answered in Latency each (Little's law), with a
// quarter more for the spread of response times.
func (c *Config) connections() int {
	switch {
	case c.Connections > 0:
		return c.Connections
	case c.H2:
		return autoH2Connections
	}
	return max(1, int(math.Ceil(c.Rate*c.Latency.Seconds()*1.25)))
}

// maxInFlightPerConn bounds the loader requests waiting for an answer, per
// connection: beyond it a due request is not sent and counts as a failure
// ("not sent"), so a server that stops answering cannot make the generator
// pile up goroutines without end.
const maxInFlightPerConn = 1000

// histogramCap is the least response time the histograms can hold: 10
// minutes, more when -timeout allows longer answers.
const histogramCap = 10 * time.Minute

// recorder accumulates what one role (loader or probe) measured.
type recorder struct {
	mu sync.Mutex
	// highest is the longest response time the histograms hold, in µs:
	// a longer one is recorded as this, so that it still counts in the
	// percentiles (hdrhistogram drops a value beyond its range).
	highest  int64
	hist     *hdrhistogram.Histogram    // response times in µs
	codes    [6]int64                   // by status class; [0]: other
	maxBy    [6]time.Duration           // the slowest answer of each class
	byClass  [6]*hdrhistogram.Histogram // response times in µs of each class, made on first use
	failures int64
	sent     int64
	received int64
	late     int64 // of received: answered after the measured window ended
	queued   int64 // sent while every connection was busy: they waited in the client
	bytes    int64
	// windowEnd is when the measured window ended (Unix ns); answers
	// recorded later are late. The maximum until the window ends.
	windowEnd atomic.Int64
}

// newRecorder returns a recorder whose histograms hold response times up
// to longest (at least histogramCap).
func newRecorder(longest time.Duration) *recorder {
	r := &recorder{highest: int64(max(longest, histogramCap) / time.Microsecond)}
	r.hist = r.newHistogram()
	r.windowEnd.Store(math.MaxInt64)
	return r
}

func (r *recorder) newHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(1, r.highest, 3) }

func (r *recorder) record(d time.Duration, status int, n int64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failures++
		return
	}
	r.received++
	if time.Now().UnixNano() > r.windowEnd.Load() {
		r.late++
	}
	r.bytes += n
	us := min(max(1, d.Microseconds()), r.highest)
	r.hist.RecordValue(us)
	c := status / 100
	if c < 1 || c > 5 {
		c = 0
	}
	r.codes[c]++
	r.maxBy[c] = max(r.maxBy[c], d)
	if r.byClass[c] == nil {
		r.byClass[c] = r.newHistogram()
	}
	r.byClass[c].RecordValue(us)
}

// generator sends one role's requests.
type generator struct {
	// abort ends the requests in flight: the run's context only stops the
	// sending, and what was sent still ends (within timeout) and counts.
	abort    context.Context
	url      string
	header   [][2]string
	clients  []*http.Client
	timeout  time.Duration
	rec      *recorder
	inFlight atomic.Int64
	limit    int64
	// conns, if not 0, is how many requests the clients carry at once
	// (HTTP/1.1 connections): a request sent beyond waits in the client.
	conns int64
	wg    sync.WaitGroup
}

// send sends request seq, due at due; it is recorded if measure says so.
func (g *generator) send(seq int, due time.Time, measure bool) {
	n := g.inFlight.Add(1)
	if n > g.limit {
		g.inFlight.Add(-1)
		if measure {
			g.rec.mu.Lock()
			g.rec.failures++ // due but not sent: the generator is saturated
			g.rec.mu.Unlock()
		}
		return
	}
	if measure {
		g.rec.mu.Lock()
		g.rec.sent++
		if g.conns > 0 && n > g.conns {
			g.rec.queued++
		}
		g.rec.mu.Unlock()
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer g.inFlight.Add(-1)
		ctx, cancel := context.WithTimeout(g.abort, g.timeout)
		defer cancel()
		status, n, err := g.do(ctx, g.clients[seq%len(g.clients)])
		if measure {
			g.rec.record(time.Since(due), status, n, err)
		}
	}()
}

func (g *generator) do(ctx context.Context, c *http.Client) (int, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.url, nil)
	if err != nil {
		return 0, 0, err
	}
	for _, kv := range g.header {
		req.Header.Add(kv[0], kv[1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, n, err
}

// clients makes the HTTP clients of a role: for HTTP/1.1 one transport
// holding up to conns connections (0: as many as the requests in flight
// need); for HTTP/2 one transport per conn, used in turn, which opens one
// connection unless the server's stream limit makes it open another.
// Each connection opened adds one to dials.
func clients(cfg Config, conns int, dials *atomic.Int64) []*http.Client {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err == nil {
			dials.Add(1)
		}
		return c, err
	}
	newTransport := func(maxConns int) *http.Transport {
		idle := maxConns
		if idle == 0 {
			idle = 100 // no bound on connections: keep those a burst opened
		}
		tr := &http.Transport{
			MaxConnsPerHost: maxConns, MaxIdleConnsPerHost: idle, DisableCompression: true, DialContext: dial,
			TLSClientConfig: &tls.Config{InsecureSkipVerify: cfg.Insecure},
			Protocols:       new(http.Protocols),
		}
		switch {
		case !cfg.H2:
			tr.Protocols.SetHTTP1(true)
		case strings.HasPrefix(cfg.URL, "https:"):
			tr.Protocols.SetHTTP2(true)
		default:
			tr.Protocols.SetUnencryptedHTTP2(true)
		}
		return tr
	}
	if !cfg.H2 {
		return []*http.Client{{Transport: newTransport(conns), CheckRedirect: noRedirect}}
	}
	cs := make([]*http.Client, max(1, conns))
	for i := range cs {
		cs[i] = &http.Client{Transport: newTransport(1), CheckRedirect: noRedirect}
	}
	return cs
}

// noRedirect has a client return a redirect as the response: the 3xx is
// the server's answer to measure. Followed, each request would send the
// server one more the rate does not count, its time would include the
// second answer, and its status class would be the target's.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func closeClients(cs []*http.Client) {
	for _, c := range cs {
		c.Transport.(*http.Transport).CloseIdleConnections()
	}
}

// Run runs the load described by cfg and returns its report; progress, if
// not nil, gets a progress line every second. When ctx ends, Run stops
// sending and waits for the answers to what it sent (each within
// cfg.Timeout) to report them; when abort ends, it stops waiting, and
// what had no answer counts as failed.
func Run(ctx, abort context.Context, cfg Config, progress io.Writer) (*Report, error) {
	conns := cfg.connections()
	// Answers are timed from when they were due: at most Timeout after
	// it, as the request's context starts then, plus the loop's lag.
	longest := 2 * cfg.Timeout
	var loaderDials, probeDials atomic.Int64
	loader := &generator{abort: abort, url: cfg.URL, clients: clients(cfg, conns, &loaderDials), timeout: cfg.Timeout, rec: newRecorder(longest),
		limit: int64(conns) * maxInFlightPerConn}
	if !cfg.H2 {
		loader.conns = int64(conns)
	}
	// The probe opens the connections its requests need (HTTP/1.1), so
	// that it measures the server, never a queue of its own.
	probe := &generator{abort: abort, url: cfg.URL, header: cfg.ProbeHeader, clients: clients(cfg, 0, &probeDials), timeout: cfg.Timeout,
		rec: newRecorder(longest), limit: maxInFlightPerConn}
	defer closeClients(loader.clients)
	defer closeClients(probe.clients)

	// One request first, so that a wrong URL fails at once.
	first, cancel := context.WithTimeout(ctx, cfg.Timeout)
	_, _, err := loader.do(first, loader.clients[0])
	cancel()
	if err != nil {
		return nil, fmt.Errorf("first request: %w", err)
	}

	begin := time.Now()
	measureFrom := begin.Add(cfg.Warmup)
	warmupCount := int(cfg.Warmup.Seconds() * cfg.Rate)
	end := measureFrom.Add(cfg.Duration)
	total := 0 // loader requests to send, with Iterations
	if cfg.Iterations > 0 {
		total = warmupCount + cfg.Iterations
		end = begin.Add(time.Duration(float64(total) / cfg.Rate * float64(time.Second)))
	}
	loaderAt := func(i int) time.Time { return begin.Add(time.Duration(float64(i) / cfg.Rate * float64(time.Second))) }
	probeAt := func(i int) time.Time {
		return begin.Add(time.Duration(float64(i) / cfg.ProbeRate * float64(time.Second)))
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	nextProgress := begin.Add(time.Second)
	seq, pseq := 0, 0
	var measuredStart, measuredEnd time.Time
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-timer.C:
		}
		now := time.Now()
		// Open loop: send everything due by now, whatever came back.
		for ; total == 0 || seq < total; seq++ {
			at := loaderAt(seq)
			if at.After(now) || total == 0 && !at.Before(end) {
				break
			}
			measure := !at.Before(measureFrom)
			if total > 0 {
				// By count, as total was made: by time, a warm-up of a
				// fractional number of requests (or one that floating
				// point rounded down) would measure Iterations-1.
				measure = seq >= warmupCount
			}
			if measure && measuredStart.IsZero() {
				measuredStart = at
			}
			loader.send(seq, at, measure)
		}
		for ; cfg.ProbeRate > 0; pseq++ {
			at := probeAt(pseq)
			if at.After(now) || !at.Before(end) {
				break
			}
			probe.send(pseq, at, !at.Before(measureFrom))
		}
		if progress != nil && !now.Before(nextProgress) {
			nextProgress = nextProgress.Add(time.Second)
			writeProgress(progress, now.Sub(begin), loader.rec, probe.rec)
		}
		// With Iterations too, the window ends at end, one interval after
		// the last request was due: the N requests were due in N
		// intervals, and the probe's go on until then.
		if !now.Before(end) {
			measuredEnd = now
			break loop
		}
		// Sleep until the next request is due (or the next progress line,
		// or the end).
		wait := min(time.Until(end), time.Until(nextProgress))
		if total == 0 || seq < total {
			wait = min(wait, time.Until(loaderAt(seq)))
		}
		if cfg.ProbeRate > 0 {
			wait = min(wait, time.Until(probeAt(pseq)))
		}
		timer.Reset(max(0, wait))
	}
	if measuredEnd.IsZero() {
		measuredEnd = time.Now()
	}
	loader.rec.windowEnd.Store(measuredEnd.UnixNano())
	probe.rec.windowEnd.Store(measuredEnd.UnixNano())
	// Let what was sent come back (each request is bounded by Timeout).
	loader.wg.Wait()
	probe.wg.Wait()
	if progress != nil {
		fmt.Fprintln(progress)
	}
	proto := "HTTP/1.1"
	if cfg.H2 {
		proto = "HTTP/2"
	}
	if measuredStart.IsZero() || measuredStart.After(measuredEnd) {
		measuredStart = measuredEnd
	}
	r := newReport(cfg, proto, measuredStart, measuredEnd, loader.rec, probe.rec) // interrupted: report what was measured
	r.Opened = loaderDials.Load()
	return r, nil
}

func writeProgress(w io.Writer, elapsed time.Duration, loader, probe *recorder) {
	loader.mu.Lock()
	sent, recv, fail := loader.sent, loader.received, loader.failures
	loader.mu.Unlock()
	probe.mu.Lock()
	p99 := time.Duration(probe.hist.ValueAtQuantile(99)) * time.Microsecond
	probe.mu.Unlock()
	fmt.Fprintf(w, "\r%6.1fs  measured: sent %d  answered %d  failed %d  probe p99 %v   ", elapsed.Seconds(), sent, recv, fail, p99)
}
