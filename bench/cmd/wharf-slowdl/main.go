// Command wharf-slowdl is the client of Wharf's slow-download benchmark: it
// opens N TCP connections to one URL at once, sends one GET on each, and
// reads every body at a fixed pace, as a crowd of clients on slow links
// would. Each connection asks for a small receive buffer (SO_RCVBUF) so
// that the kernel cannot absorb the file on the client's behalf: the
// server's socket fills up and the server has to wait for the reader, which
// is what the benchmark wants to see it do.
//
// It checks every answer (status 200, Content-Length equal to -size, and
// exactly that many body bytes) and prints a summary: downloads completed
// and failed, and the distribution of their durations, as text or with
// -json as one JSON object (what bench/cmd/wharf-bench reads).
//
//	wharf-slowdl -url http://127.0.0.1:8080/static/big.bin -n 1000 -size 4MiB -rate 256KiB
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
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/wharf-go/wharf/bench/internal/size"
)

// Config is what one run is asked to do.
type Config struct {
	URL     string
	N       int           // concurrent downloads
	Size    int64         // expected body length, bytes
	Rate    int64         // bytes per second each connection reads
	RcvBuf  int64         // SO_RCVBUF asked for each connection (0: the kernel's default)
	MSS     int           // TCP_MAXSEG of each connection (0: the route's, 65,483 on loopback)
	Chunk   int64         // bytes asked for in one read
	Dialers int           // connections being opened at once
	Timeout time.Duration // per download, from dial to last byte
}

// Summary is what a run reports. Durations run from the start of the dial
// to the last body byte.
type Summary struct {
	N, Completed, Failed int
	Errors               map[string]int `json:",omitempty"` // failure reasons and how many had each
	Bytes                int64          // body bytes read, in all
	Size, Rate, RcvBuf   int64
	MSS                  int
	Ideal                time.Duration // Size ÷ Rate: the shortest a paced download can take
	Min, P50, P90, P99   time.Duration
	Max                  time.Duration
	Opened               time.Duration // until the last connection had sent its request
	Elapsed              time.Duration
}

func main() {
	cfg := Config{N: 1000, Size: 4 << 20, Rate: 256 << 10, RcvBuf: 64 << 10, MSS: 1460, Chunk: 16 << 10, Dialers: 100}
	flag.StringVar(&cfg.URL, "url", "", "URL to download (http://127.0.0.1:PORT/PATH)")
	flag.IntVar(&cfg.N, "n", cfg.N, "concurrent downloads, one connection each")
	flag.Var(size.Value{N: &cfg.Size}, "size", "expected body length (B, KiB, MiB suffixes)")
	flag.Var(size.Value{N: &cfg.Rate}, "rate", "bytes per second each connection reads")
	flag.Var(size.Value{N: &cfg.RcvBuf}, "rcvbuf", "SO_RCVBUF of each connection (the kernel doubles it; 0 keeps its default)")
	flag.IntVar(&cfg.MSS, "mss", cfg.MSS, "TCP_MAXSEG of each connection, as a client on Ethernet would have (0 keeps the route's)")
	flag.Var(size.Value{N: &cfg.Chunk}, "chunk", "bytes asked for in one read")
	flag.IntVar(&cfg.Dialers, "dialers", cfg.Dialers, "connections being opened at once")
	flag.DurationVar(&cfg.Timeout, "timeout", 0, "per download, from dial to last byte (default: twice size ÷ rate, plus 30 s)")
	asJSON := flag.Bool("json", false, "print the summary as JSON")
	flag.Parse()
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "wharf-slowdl:", err)
		os.Exit(2)
	}
	s := run(context.Background(), cfg)
	if *asJSON {
		_ = json.NewEncoder(os.Stdout).Encode(s)
	} else {
		fmt.Print(s.text())
	}
	if s.Failed > 0 {
		os.Exit(1)
	}
}

func (cfg *Config) check() error {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("-url %q: want http://HOST:PORT/PATH", cfg.URL)
	}
	if cfg.N < 1 || cfg.Size < 1 || cfg.Rate < 1 || cfg.Chunk < 1 || cfg.Dialers < 1 {
		return errors.New("-n, -size, -rate, -chunk and -dialers must be above zero")
	}
	if cfg.MSS != 0 && (cfg.MSS < 536 || cfg.MSS > 65495) {
		return errors.New("-mss must be 0 or between 536 and 65495")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2*ideal(cfg.Size, cfg.Rate) + 30*time.Second
	}
	return nil
}

// ideal is how long reading size bytes at rate bytes/s takes.
func ideal(size, rate int64) time.Duration {
	return time.Duration(float64(size) / float64(rate) * float64(time.Second))
}

// paceDelay is how long a reader that started at start and has read n
// bytes by now must wait before its next read to keep to rate bytes/s. The
// schedule is kept from the start, not from the last read, so that a late
// wake-up is made up by the next reads instead of slowing the whole
// download down.
func paceDelay(start, now time.Time, n, rate int64) time.Duration {
	due := start.Add(ideal(n, rate))
	return max(0, due.Sub(now))
}

// percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100 + 0.999999999)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// download does one download and returns how long it took, or the reason
// it failed (a short text, counted as is).
func download(ctx context.Context, cfg Config, d *net.Dialer, req []byte, opened func()) (time.Duration, int64, string) {
	u, _ := url.Parse(cfg.URL)
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", u.Host)
	opened()
	if err != nil {
		return 0, 0, "dial: " + errText(err)
	}
	defer c.Close()
	_ = c.SetDeadline(start.Add(cfg.Timeout))
	if _, err := c.Write(req); err != nil {
		return 0, 0, "write: " + errText(err)
	}
	br := bufio.NewReaderSize(c, 4096)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, 0, "response head: " + errText(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, "status " + strconv.Itoa(resp.StatusCode)
	}
	if resp.ContentLength != cfg.Size {
		return 0, 0, fmt.Sprintf("Content-Length %d, want %d", resp.ContentLength, cfg.Size)
	}
	buf := make([]byte, cfg.Chunk)
	paced := time.Now() // the schedule starts with the body
	var n int64
	for {
		m, err := resp.Body.Read(buf)
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, n, "body: " + errText(err)
		}
		if w := paceDelay(paced, time.Now(), n, cfg.Rate); w > 0 {
			select {
			case <-time.After(w):
			case <-ctx.Done():
				return 0, n, "body: timeout"
			}
		}
	}
	if n != cfg.Size {
		return 0, n, fmt.Sprintf("body of %d bytes, want %d", n, cfg.Size)
	}
	return time.Since(start), n, ""
}

// errText shortens an error to its kind, so that a thousand failures of
// one kind count as one reason.
func errText(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed early"
	}
	return err.Error()
}

// control sets the socket options before connect: the receive buffer, so
// that the window scale the SYN offers already fits it, and the MSS the SYN
// announces. The MSS matters as much as the buffer: on loopback (MSS 65,483)
// the kernel sizes the server's send buffer from the segment size and lets
// it grow to megabytes, enough to take most of the file at once, so that
// the server would hardly wait for a slow reader at all (and a thousand
// such sockets would press on the machine's TCP memory limit).
func (cfg Config) control(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		if cfg.RcvBuf > 0 {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, int(cfg.RcvBuf))
		}
		if serr == nil && cfg.MSS > 0 {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, cfg.MSS)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

func run(ctx context.Context, cfg Config) Summary {
	u, _ := url.Parse(cfg.URL)
	req := []byte("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: wharf-slowdl\r\nConnection: close\r\n\r\n")
	d := &net.Dialer{Timeout: 10 * time.Second, Control: cfg.control}

	s := Summary{N: cfg.N, Size: cfg.Size, Rate: cfg.Rate, RcvBuf: cfg.RcvBuf, MSS: cfg.MSS, Ideal: ideal(cfg.Size, cfg.Rate), Errors: map[string]int{}}
	var (
		mu        sync.Mutex
		durations []time.Duration
		wg        sync.WaitGroup
		left      = cfg.N
		lastOpen  time.Time
	)
	start := time.Now()
	dialing := make(chan struct{}, cfg.Dialers)
	for range cfg.N {
		dialing <- struct{}{}
		wg.Go(func() {
			once := sync.OnceFunc(func() {
				<-dialing
				mu.Lock()
				left--
				if left == 0 {
					lastOpen = time.Now()
				}
				mu.Unlock()
			})
			took, n, fail := download(ctx, cfg, d, req, once)
			once()
			mu.Lock()
			defer mu.Unlock()
			s.Bytes += n
			if fail != "" {
				s.Failed++
				s.Errors[fail]++
				return
			}
			s.Completed++
			durations = append(durations, took)
		})
	}
	wg.Wait()
	s.Elapsed = time.Since(start)
	if !lastOpen.IsZero() {
		s.Opened = lastOpen.Sub(start)
	}
	slices.Sort(durations)
	if len(durations) > 0 {
		s.Min, s.Max = durations[0], durations[len(durations)-1]
		s.P50, s.P90, s.P99 = percentile(durations, 50), percentile(durations, 90), percentile(durations, 99)
	}
	return s
}

func (s Summary) text() string {
	t := fmt.Sprintf("%d downloads of %s at %s/s (SO_RCVBUF %s, MSS %d): %d completed, %d failed, %s read in %s (connections opened in %s)\n",
		s.N, size.Format(s.Size), size.Format(s.Rate), size.Format(s.RcvBuf), s.MSS, s.Completed, s.Failed, size.Format(s.Bytes),
		s.Elapsed.Round(time.Millisecond), s.Opened.Round(time.Millisecond))
	t += fmt.Sprintf("duration (ideal %s): min %s p50 %s p90 %s p99 %s max %s\n", s.Ideal.Round(time.Millisecond),
		s.Min.Round(time.Millisecond), s.P50.Round(time.Millisecond), s.P90.Round(time.Millisecond), s.P99.Round(time.Millisecond), s.Max.Round(time.Millisecond))
	reasons := make([]string, 0, len(s.Errors))
	for r := range s.Errors {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		t += fmt.Sprintf("failed: %d × %s\n", s.Errors[r], r)
	}
	return t
}
