package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go/http3"
)

// ProtoMemoryResult is Wharf's memory test over HTTP/2 or HTTP/3: RSS and
// goroutines after a warm-up, with Opened connections idle (each asked
// for /hello and read the answer), and with one long poll suspended on
// each of them.
type ProtoMemoryResult struct {
	Proto       string // "h2c" (HTTP/2 by prior knowledge), "h2" (HTTP/2 over TLS, ALPN) or "h3" (HTTP/3)
	Conns       int    // connections asked for
	Opened      int    // connections open and idle after their first request
	Early       int    // long polls answered or failed before the measurement
	BaselineKiB int64
	IdleKiB     int64
	SuspendKiB  int64
	BaselineG   int
	IdleG       int
	SuspendG    int
	// The live heap and goroutine stacks after a collection, in bytes:
	// unlike RSS, what the second measurement adds does not depend on
	// what the first left free.
	BaselineLive int64
	IdleLive     int64
	SuspendLive  int64
	Err          string `json:",omitempty"`
}

// each divides a difference of KiB among the connections; 0 without any.
func (m ProtoMemoryResult) each(kib float64) float64 {
	if m.Opened == 0 {
		return 0
	}
	return kib / float64(m.Opened)
}

// IdlePerConnKiB is the RSS each idle connection adds; SuspendPerConnKiB
// that of each connection with its suspended request.
func (m ProtoMemoryResult) IdlePerConnKiB() float64 {
	return m.each(float64(m.IdleKiB - m.BaselineKiB))
}

func (m ProtoMemoryResult) SuspendPerConnKiB() float64 {
	return m.each(float64(m.SuspendKiB - m.BaselineKiB))
}

// IdleLivePerConnKiB and SuspendLivePerConnKiB are the same of the live
// heap and stacks; SuspendLivePerReqKiB is what a suspended request adds
// to its connection.
func (m ProtoMemoryResult) IdleLivePerConnKiB() float64 {
	return m.each(float64(m.IdleLive-m.BaselineLive) / 1024)
}

func (m ProtoMemoryResult) SuspendLivePerConnKiB() float64 {
	return m.each(float64(m.SuspendLive-m.BaselineLive) / 1024)
}

// SuspendLivePerReqKiB divides by the requests still suspended when
// measured: a long poll answered or failed early adds nothing to its
// connection.
func (m ProtoMemoryResult) SuspendLivePerReqKiB() float64 {
	if n := m.Opened - m.Early; n > 0 {
		return float64(m.SuspendLive-m.IdleLive) / 1024 / float64(n)
	}
	return 0
}

// liveBytes has the server at base collect its garbage (its pprof heap
// endpoint with gc=1) and returns its live heap and goroutine stacks, from
// the memstats of its /debug/vars.
func liveBytes(base string) (int64, error) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(base + "/debug/pprof/heap?gc=1")
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	var ms struct{ HeapAlloc, StackInuse int64 }
	if err := readMemstats(context.Background(), client, base, &ms); err != nil {
		return 0, err
	}
	if ms.HeapAlloc == 0 {
		return 0, fmt.Errorf("/debug/vars has no memstats")
	}
	return ms.HeapAlloc + ms.StackInuse, nil
}

// readMemstats decodes the memstats of the /debug/vars (expvar) of the
// server at base into v, a struct of the runtime.MemStats fields wanted.
func readMemstats(ctx context.Context, client *http.Client, base string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/debug/vars", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/debug/vars: status %d", resp.StatusCode)
	}
	var vars struct {
		Memstats json.RawMessage `json:"memstats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil {
		return fmt.Errorf("/debug/vars: %v", err)
	}
	if vars.Memstats == nil {
		return errors.New("/debug/vars has no memstats")
	}
	if err := json.Unmarshal(vars.Memstats, v); err != nil {
		return fmt.Errorf("/debug/vars: memstats: %v", err)
	}
	return nil
}

// memoryProtos are the runs of the memory test over HTTP/2 and HTTP/3.
var memoryProtos = []string{"h2c", "h2", "h3"}

// protoLabels name memoryProtos in the report.
var protoLabels = map[string]string{"h2c": "h2c", "h2": "HTTP/2 over TLS", "h3": "HTTP/3"}

// protoConn is one client connection of the test: a round tripper whose
// requests all go on it, and its close.
type protoConn struct {
	rt    http.RoundTripper
	close func() error
}

// protoMemoryTest starts Wharf with -h2c, -tls or -tls -h3, warms it up,
// measures it, opens cfg.MemProtoConns connections of that protocol that
// each ask for /hello and stay open, measures, sends a long poll (GET
// /delay) on each, waits cfg.MemSettle, measures again and closes the
// connections.
func protoMemoryTest(ctx context.Context, cfg Config, proto, bin string) ProtoMemoryResult {
	m := ProtoMemoryResult{Proto: proto, Conns: cfg.MemProtoConns}
	fail := func(err error) ProtoMemoryResult { m.Err = err.Error(); return m }
	args, scheme := []string{"-h2c"}, "http"
	switch proto {
	case "h2":
		args, scheme = []string{"-tls"}, "https"
	case "h3":
		args, scheme = []string{"-tls", "-h3"}, "https"
	}
	p, err := startServer(ctx, bin, cfg.ServerCPU, bin+".log", args...)
	if err != nil {
		return fail(err)
	}
	defer p.stop()
	addr := strings.TrimPrefix(strings.TrimPrefix(p.url, "http://"), "https://")
	// HTTP/2 only: by prior knowledge in cleartext, by ALPN over TLS (the
	// server's certificate is made at its start); HTTP/3: a transport of
	// its own per connection, which then opens one QUIC connection.
	tlsCfg := &tls.Config{InsecureSkipVerify: true}
	tr := &http.Transport{TLSClientConfig: tlsCfg, Protocols: new(http.Protocols)}
	tr.Protocols.SetHTTP2(proto == "h2")
	tr.Protocols.SetUnencryptedHTTP2(proto == "h2c")
	defer tr.CloseIdleConnections()
	open := func() (protoConn, error) {
		if proto == "h3" {
			t3 := &http3.Transport{TLSClientConfig: tlsCfg}
			return protoConn{rt: t3, close: t3.Close}, nil
		}
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		cc, err := tr.NewClientConn(octx, scheme, addr)
		if err != nil {
			return protoConn{}, err
		}
		return protoConn{rt: cc, close: cc.Close}, nil
	}
	get := func(ctx context.Context, cc protoConn, path string) error {
		req, err := http.NewRequestWithContext(ctx, "GET", scheme+"://"+addr+path, nil)
		if err != nil {
			return err
		}
		resp, err := cc.rt.RoundTrip(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if want := map[bool]int{true: 3, false: 2}[proto == "h3"]; resp.ProtoMajor != want {
			return fmt.Errorf("GET %s: answered over %s", path, resp.Proto)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return nil
	}

	// Warm-up: a connection with some requests of each kind, then closed.
	warm, err := open()
	if err != nil {
		return fail(fmt.Errorf("warm-up: %v", err))
	}
	for range 20 {
		for _, path := range []string{"/hello?name=warm", "/delay?ms=1"} {
			if err := get(ctx, warm, path); err != nil {
				warm.close()
				return fail(fmt.Errorf("warm-up: %v", err))
			}
		}
	}
	warm.close()
	time.Sleep(500 * time.Millisecond)
	// RSS first: the collection that the live heap's reading asks for
	// would free what RSS should show.
	measure := func(kib *int64, g *int, live *int64) error {
		var err error
		if *kib, err = rssKiB(p.pid()); err != nil {
			return err
		}
		if *g, _, err = goroutines(p.url); err != nil {
			return err
		}
		*live, err = liveBytes(p.url)
		return err
	}
	if err := measure(&m.BaselineKiB, &m.BaselineG, &m.BaselineLive); err != nil {
		return fail(err)
	}

	var (
		mu    sync.Mutex
		conns []protoConn
		first error
	)
	work := make(chan struct{})
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range work {
				cc, err := open()
				if err == nil {
					err = get(ctx, cc, "/hello?name=idle")
				}
				mu.Lock()
				if err == nil {
					conns = append(conns, cc)
				} else if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	for range m.Conns {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	defer func() {
		for _, cc := range conns {
			cc.close()
		}
	}()
	if m.Opened = len(conns); m.Opened < m.Conns {
		return fail(fmt.Errorf("%d of %d connections failed: %v", m.Conns-m.Opened, m.Conns, first))
	}
	time.Sleep(cfg.MemSettle)
	if err := measure(&m.IdleKiB, &m.IdleG, &m.IdleLive); err != nil {
		return fail(err)
	}

	pollCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var measured atomic.Bool
	var early atomic.Int64
	path := fmt.Sprintf("/delay?ms=%d", cfg.MemDelay.Milliseconds())
	start := time.Now()
	for _, cc := range conns {
		go func() {
			get(pollCtx, cc, path)
			if !measured.Load() {
				early.Add(1)
			}
		}()
	}
	time.Sleep(cfg.MemSettle)
	if time.Since(start) >= cfg.MemDelay {
		return fail(fmt.Errorf("the long polls took longer to send than they wait (%v)", cfg.MemDelay))
	}
	if err := measure(&m.SuspendKiB, &m.SuspendG, &m.SuspendLive); err != nil {
		return fail(err)
	}
	measured.Store(true)
	m.Early = int(early.Load())
	return m
}

// renderProtoMemory writes the table of the memory test over HTTP/2 and
// HTTP/3.
func renderProtoMemory(p func(string, ...any), ms []ProtoMemoryResult, cfg Config) {
	p("\n## Memory over HTTP/2 and HTTP/3 (Wharf)\n\n")
	p("Wharf (`examples/hello`) is started three times, pinned as above: with\n")
	p("`-h2c` (HTTP/2 by prior knowledge), with `-tls` (HTTP/2 by ALPN) and with\n")
	p("`-tls -h3` (HTTP/3 on the same port over UDP), and warmed up with 40\n")
	p("requests on one connection, then closed. Then a Go client opens %s\n", fmtInt(float64(cfg.MemProtoConns)))
	p("connections (net/http's `ClientConn` for HTTP/2; an `http3.Transport` of\n")
	p("quic-go's per connection for HTTP/3), each asking for `/hello` and reading\n")
	p("the answer, and measures VmRSS and goroutines after %s with the\n", secs(cfg.MemSettle))
	p("connections idle; then it sends one `GET /delay?ms=%d` on each and\n", cfg.MemDelay.Milliseconds())
	p("measures again %s later, with one request suspended on each connection.\n", secs(cfg.MemSettle))
	p("Per connection = (RSS − baseline) ÷ connections, idle and then with its\n")
	p("suspended request. Each measurement also asks the server for a\n")
	p("collection (`/debug/pprof/heap?gc=1`, after RSS is read) and reads its\n")
	p("live heap and goroutine stacks (`HeapAlloc` + `StackInuse` of\n")
	p("`/debug/vars`' `memstats`): the \"live\" figures, which add up exactly,\n")
	p("where RSS keeps what a collection freed until the runtime returns it.\n")
	p("What a suspended request adds to a connection that is open anyway is\n")
	p("given live only: the difference of the two RSS readings depends on what\n")
	p("the first left free.\n\n")
	p("| Protocol | RSS baseline | RSS, connections idle | per idle connection (RSS / live) | RSS, a request suspended on each | per connection with its request (RSS / live) | a suspended request adds (live) | goroutines baseline → idle → suspended | notes |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, m := range ms {
		name := protoLabels[m.Proto]
		if m.Err != "" {
			p("| %s | failed: %s | | | | | | | |\n", name, m.Err)
			continue
		}
		note := fmt.Sprintf("%s connections", fmtInt(float64(m.Opened)))
		if m.Early > 0 {
			note += fmt.Sprintf("; %d long polls ended early", m.Early)
		}
		p("| %s | %s KiB | %s KiB | %.2f / %.2f KiB | %s KiB | %.2f / %.2f KiB | %.2f KiB | %s → %s → %s | %s |\n", name,
			fmtInt(float64(m.BaselineKiB)), fmtInt(float64(m.IdleKiB)), m.IdlePerConnKiB(), m.IdleLivePerConnKiB(),
			fmtInt(float64(m.SuspendKiB)), m.SuspendPerConnKiB(), m.SuspendLivePerConnKiB(), m.SuspendLivePerReqKiB(), fmtInt(float64(m.BaselineG)), fmtInt(float64(m.IdleG)), fmtInt(float64(m.SuspendG)), note)
	}
	p("\nOver HTTP/3 the goroutines are quic-go's: per connection its run loop,\n")
	p("sender and HTTP/3 control streams, and per suspended request the\n")
	p("goroutine its server calls the handler on, which the container's\n")
	p("net/http side holds until the exchange completes (see \"Where the bytes\n")
	p("go\" above).\n")
}

// protoMemoryTargets judges the memory test over HTTP/2: idle connections
// and their suspended requests hold no goroutine. HTTP/3 has no target:
// quic-go's server holds a goroutine per request, as the notes say.
func protoMemoryTargets(res *Results) []target {
	var ts []target
	for _, proto := range []string{"h2c", "h2"} {
		t := target{target: "Idle " + protoLabels[proto] + " connections, and a request suspended on each, hold no goroutine", measured: notMeasured, status: notMeasured}
		for _, m := range res.ProtoMemory {
			if m.Proto != proto || m.Err != "" || m.Opened == 0 {
				continue
			}
			// A long poll that ended before the count holds no goroutine
			// whatever the server does: the count must see them all waiting.
			note := ""
			if m.Early > 0 {
				note = fmt.Sprintf("; but %s of the long polls ended before the count, so not judged met", fmtInt(float64(m.Early)))
			}
			t.measured = fmt.Sprintf("goroutines %d → %d → %d with %s idle connections, then a request suspended on each; %.2f KiB RSS (%.2f KiB live) per idle connection, %.2f KiB live per suspended request%s",
				m.BaselineG, m.IdleG, m.SuspendG, fmtInt(float64(m.Opened)), m.IdlePerConnKiB(), m.IdleLivePerConnKiB(), m.SuspendLivePerReqKiB(), note)
			t.status = verdict(note == "" && max(m.IdleG, m.SuspendG) <= m.BaselineG+res.Config.GoroutineBudget)
		}
		ts = append(ts, t)
	}
	return ts
}
