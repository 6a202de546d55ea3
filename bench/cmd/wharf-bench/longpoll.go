package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryResult is the memory test of one server: RSS and goroutines idle
// after a warm-up, and with Opened long polls suspended.
type MemoryResult struct {
	Server             string
	Conns              int   // long polls asked for
	Opened             int   // connections that sent their request
	DialErrors         int   // connections that failed to open or send
	Early              int   // connections answered or closed before the measurement
	BaselineKiB        int64 // VmRSS after the warm-up
	LoadedKiB          int64 // VmRSS with the long polls suspended
	BaselineGoroutines int
	LoadedGoroutines   int
	GoroutineSource    string
	SendTime           time.Duration // to open every connection and send its request
	Wharf              *WharfStats   `json:",omitempty"` // the server's own figures, if it serves them
	Err                string        `json:",omitempty"`
}

// Held is how many connections still waited when the server was measured:
// those opened, less those answered or closed before.
func (m MemoryResult) Held() int { return m.Opened - m.Early }

// PerConnKiB is the RSS each suspended long poll adds. It divides by the
// connections held at the measurement, not by those opened: one that the
// server answered or closed early no longer costs it anything, and
// counting it would spread the growth over more long polls than held it.
func (m MemoryResult) PerConnKiB() float64 {
	if m.Held() <= 0 {
		return 0
	}
	return float64(m.LoadedKiB-m.BaselineKiB) / float64(m.Held())
}

// memoryTest starts the server, warms it up, measures it idle, suspends
// cfg.MemConns long polls (GET /delay) on as many keep-alive connections,
// waits cfg.MemSettle, measures again and closes the connections. The
// name "wharf-tls" runs Wharf's binary with -tls, and cfg.MemTLSConns
// long polls over TLS; "wharf-tls-idle" the same, but each connection asks
// for /hello, reads the answer and stays open, idle (keep-alive).
func memoryTest(ctx context.Context, cfg Config, name, bin string) MemoryResult {
	m := MemoryResult{Server: name, Conns: cfg.MemConns}
	fail := func(err error) MemoryResult { m.Err = err.Error(); return m }
	var args []string
	var tlsCfg *tls.Config // nil: cleartext
	idle := name == "wharf-tls-idle"
	if name == "wharf-tls" || idle {
		m.Conns = cfg.MemTLSConns
		args = []string{"-tls"}
		tlsCfg = &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}} // the server's certificate is made at its start
	}
	p, err := startServer(ctx, bin, cfg.ServerCPU, bin+".log", args...)
	if err != nil {
		return fail(err)
	}
	defer p.stop()
	addr := strings.TrimPrefix(strings.TrimPrefix(p.url, "http://"), "https://")
	dial := func(ctx context.Context, d *net.Dialer) (net.Conn, error) {
		if tlsCfg == nil {
			return d.DialContext(ctx, "tcp", addr)
		}
		return (&tls.Dialer{NetDialer: d, Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	}

	// Warm-up: some keep-alive requests of every kind the test uses.
	if err := warmUp(ctx, dial, addr); err != nil {
		return fail(fmt.Errorf("warm-up: %v", err))
	}
	time.Sleep(500 * time.Millisecond)
	if m.BaselineKiB, err = rssKiB(p.pid()); err != nil {
		return fail(err)
	}
	if m.BaselineGoroutines, m.GoroutineSource, err = goroutines(p.url); err != nil {
		return fail(err)
	}

	req := fmt.Sprintf("GET /delay?ms=%d HTTP/1.1\r\nHost: %s\r\nUser-Agent: wharf-bench\r\n\r\n", cfg.MemDelay.Milliseconds(), addr)
	if idle {
		req = fmt.Sprintf("GET /hello HTTP/1.1\r\nHost: %s\r\nUser-Agent: wharf-bench\r\n\r\n", addr)
	}
	var (
		mu       sync.Mutex
		conns    []net.Conn
		measured atomic.Bool
		early    atomic.Int64
		failed   atomic.Int64
	)
	start := time.Now()
	work := make(chan struct{})
	var wg sync.WaitGroup
	for range 64 { // dialers; one reader goroutine per open connection
		wg.Go(func() {
			d := net.Dialer{Timeout: 10 * time.Second}
			for range work {
				c, err := dial(ctx, &d)
				if err != nil {
					failed.Add(1)
					continue
				}
				if _, err := io.WriteString(c, req); err != nil {
					failed.Add(1)
					c.Close()
					continue
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
				go func() {
					var r io.Reader = c
					if idle { // the answer, then nothing: the connection idles
						br := bufio.NewReader(c)
						if resp, err := http.ReadResponse(br, nil); err == nil {
							_, _ = io.Copy(io.Discard, resp.Body)
						}
						r = br
					}
					var b [1]byte
					_, _ = r.Read(b[:]) // an answer (a long poll), or a close, before the measurement is early
					if !measured.Load() {
						early.Add(1)
					}
				}()
			}
		})
	}
	for range m.Conns {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	m.SendTime = time.Since(start)
	m.Opened, m.DialErrors = len(conns), int(failed.Load())
	defer func() {
		measured.Store(true)
		for _, c := range conns {
			c.Close()
		}
	}()

	select {
	case <-time.After(cfg.MemSettle):
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	if !idle && time.Since(start) >= cfg.MemDelay {
		return fail(fmt.Errorf("opening the connections took %v, longer than the long poll (%v)", m.SendTime, cfg.MemDelay))
	}
	if m.LoadedKiB, err = rssKiB(p.pid()); err != nil {
		return fail(err)
	}
	if m.LoadedGoroutines, _, err = goroutines(p.url); err != nil {
		return fail(err)
	}
	m.Wharf, _ = wharfStats(p.url)
	measured.Store(true)
	m.Early = int(early.Load())
	return m
}

// warmUp sends a few hundred keep-alive requests on a few connections
// made by dial: /hello, short /delay and /sleep waits.
func warmUp(ctx context.Context, dial func(context.Context, *net.Dialer) (net.Conn, error), addr string) error {
	paths := []string{"/hello?name=warm", "/delay?ms=1", "/sleep?ms=1"}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			c, err := dial(ctx, &net.Dialer{Timeout: 5 * time.Second})
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			br := bufio.NewReader(c)
			for i := range 60 {
				path := paths[i%len(paths)]
				if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, addr); err != nil {
					errs <- err
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("GET %s: %s", path, resp.Status)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}
