package http2_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The minimum data rates on HTTP/2, attacked as connector/slowbody_test.go
// attacks HTTP/1.1: 1,000 h2c connections (20 under the race detector,
// which test.sh's second pass runs them without), each with one stream
// that dribbles its body or takes its response through a window opened
// 1 KiB a second, over each connector's hand-over.

func h2SlowConns() int {
	if wharftest.RaceEnabled {
		return 20
	}
	return 1000
}

// h2SlowConfig shortens the grace so that the attacks end in seconds; the
// minimum data rates are the defaults (240 B/s) unless a test sets them.
var h2SlowConfig = connector.Config{DataRateGrace: time.Second}

var h2MiB = strings.Repeat("m", 1<<20)

// h2SlowServer serves /echo (reads the body, writes it back), /mib (1 MiB)
// and /hello over h2c.
func h2SlowServer(t *testing.T, cfg connector.Config) (string, *container.Container) {
	t.Helper()
	c := container.New(container.WithH2C(), container.WithLogger(wharftest.DiscardLogger()), container.WithConnector(cfg))
	c.HandleFunc("/echo", func(w api.Response, r *api.Request) error {
		b, err := io.ReadAll(r.Body())
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	c.HandleFunc("/mib", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString(h2MiB)
		return err
	})
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	return listen(t, c), c
}

// eachH2Connector runs f with cfg on the epoll connector and the portable
// one: HTTP/2 takes over each one's connections.
func eachH2Connector(t *testing.T, cfg connector.Config, f func(t *testing.T, cfg connector.Config)) {
	for _, portable := range []bool{false, true} {
		name := "epoll"
		if portable {
			name = "portable"
		}
		t.Run(name, func(t *testing.T) {
			cfg := cfg
			cfg.Portable = portable
			f(t, cfg)
		})
	}
}

// h2Outcome is what an attacker connection saw before the server closed it.
type h2Outcome struct {
	status string         // stream 1's :status, if any
	rst    xhttp2.ErrCode // stream 1's RST_STREAM code, if any
	reset  bool
	goAway bool
	code   xhttp2.ErrCode // the GOAWAY's
	data   int            // response bytes
	closed time.Duration  // since the attack began; 0: not closed
	err    error          // a read error other than the close
}

// h2Watch reads the frames of c until the server closes it or deadline
// passes.
func h2Watch(c *h2Client, start, deadline time.Time) h2Outcome {
	var o h2Outcome
	dec := hpack.NewDecoder(4096, nil)
	c.nc.SetReadDeadline(deadline)
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "reset by peer") {
				o.closed = time.Since(start)
			} else {
				o.err = err
			}
			return o
		}
		switch f := f.(type) {
		case *xhttp2.HeadersFrame:
			fields, err := dec.DecodeFull(f.HeaderBlockFragment())
			if err != nil {
				o.err = err
				return o
			}
			for _, hf := range fields {
				if hf.Name == ":status" && f.StreamID == 1 {
					o.status = hf.Value
				}
			}
		case *xhttp2.DataFrame:
			o.data += len(f.Data())
		case *xhttp2.RSTStreamFrame:
			if f.StreamID == 1 {
				o.reset, o.rst = true, f.ErrCode
			}
		case *xhttp2.GoAwayFrame:
			o.goAway, o.code = true, f.ErrCode
		}
	}
}

// h2WellBehaved makes requests for d (and at least 20) on one h2c
// connection and on new ones, and fails if any is not answered 200 within
// 5 s.
func h2WellBehaved(t *testing.T, addr string, d time.Duration) {
	t.Helper()
	keep := dialH2C(t, addr)
	defer keep.nc.Close()
	id := uint32(1)
	n := 0
	var worst time.Duration
	for end := time.Now().Add(d); time.Now().Before(end) || n < 20; n++ {
		c, sid := keep, id
		if n%2 == 1 {
			c, sid = dialH2C(t, addr), 1
		} else {
			id += 2
		}
		start := time.Now()
		c.nc.SetDeadline(start.Add(5 * time.Second))
		c.get(t, sid, "/hello", true)
		r := c.readResponses(t, sid)[sid]
		if r.status != "200" || r.body.String() != "hello" {
			t.Fatalf("well-behaved request %d: %s %q (reset %v %v)", n, r.status, r.body.String(), r.reset, r.rst)
		}
		worst = max(worst, time.Since(start))
		if c != keep {
			c.nc.Close()
		}
	}
	t.Logf("well-behaved client: %d requests, slowest %v", n, worst.Round(time.Millisecond))
}

// Slow body over HTTP/2: each connection POSTs a 100,000-byte body a byte
// a second to a handler that reads it. The body is slower than
// MinRequestDataRate (240 B/s), so after DataRateGrace (1 s here) the read
// fails with a 408, which the stream is answered; the stream is then reset
// (NO_ERROR: the client may stop sending) and, as no other stream of the
// connection is making progress, the connection ends with GOAWAY
// ENHANCE_YOUR_CALM. A well-behaved client is served meanwhile.
func TestH2SlowBodyReadFlood(t *testing.T) {
	eachH2Connector(t, h2SlowConfig, func(t *testing.T, cfg connector.Config) {
		addr, c := h2SlowServer(t, cfg)
		idle := runtime.NumGoroutine()
		start := time.Now()
		conns := make([]*h2Client, 0, h2SlowConns())
		for range h2SlowConns() {
			cl := dialH2C(t, addr)
			block := cl.headerBlockMethod("POST", "/echo", hpack.HeaderField{Name: "content-length", Value: "100000"})
			if err := cl.fr.WriteHeaders(xhttp2.HeadersFrameParam{StreamID: 1, BlockFragment: block, EndHeaders: true}); err != nil {
				t.Fatal(err)
			}
			cl.fr.WriteData(1, false, []byte("x"))
			conns = append(conns, cl)
		}
		stop := wharftest.Drip(time.Second, func() bool {
			for _, cl := range conns {
				cl.nc.SetWriteDeadline(time.Now().Add(time.Second))
				cl.fr.WriteData(1, false, []byte("x")) // fails once the server closed it
			}
			return true
		})
		defer stop()
		wharftest.WaitFor(t, "every slow connection accepted", func() bool { return c.Stats().Connections.Accepted >= int64(h2SlowConns()) })
		t.Logf("%d goroutines with %d bodies dribbling, %d before", runtime.NumGoroutine(), h2SlowConns(), idle)
		h2WellBehaved(t, addr, 300*time.Millisecond)

		const bound = 10 * time.Second
		outcomes := h2WatchAll(conns, start, start.Add(bound))
		ok, slowest := 0, time.Duration(0)
		var firstBad *h2Outcome
		for i := range outcomes {
			o := &outcomes[i]
			if o.status == "408" && o.closed > 0 && o.goAway && o.code == xhttp2.ErrCodeEnhanceYourCalm {
				ok++
				slowest = max(slowest, o.closed)
			} else if firstBad == nil {
				firstBad = o
			}
		}
		if ok != len(conns) {
			t.Errorf("%d of %d slow bodies answered 408 and closed with GOAWAY ENHANCE_YOUR_CALM within %v; first other: %+v", ok, len(conns), bound, *firstBad)
		}
		t.Logf("%d slow bodies answered 408 and their connections closed, the last after %v", ok, slowest.Round(time.Millisecond))
		wharftest.WaitFor(t, "every slow connection closed at the server", func() bool { return c.Stats().Connections.Open == 0 })
		t.Logf("%d goroutines after the attack", runtime.NumGoroutine())
	})
}

// Slow reader over HTTP/2: each connection asks for 1 MiB with a stream
// window of 1 KiB (SETTINGS_INITIAL_WINDOW_SIZE) and opens it, and the
// connection's, 1 KiB a second. That is slower than the
// MinResponseDataRate set here (8 KiB/s): every response waits for the
// window longer than its bytes earn, so it is reset (ENHANCE_YOUR_CALM)
// and, as it was the connection's only stream, the connection ends with
// GOAWAY ENHANCE_YOUR_CALM. Each window update moves the response along,
// and none comes later than WriteTimeout: only the rate stops them. A
// well-behaved client is served meanwhile.
func TestH2SlowReaderFlood(t *testing.T) {
	cfg := h2SlowConfig
	cfg.MinResponseDataRate = 8 << 10
	eachH2Connector(t, cfg, func(t *testing.T, cfg connector.Config) {
		addr, c := h2SlowServer(t, cfg)
		idle := runtime.NumGoroutine()
		start := time.Now()
		conns := make([]*h2Client, 0, h2SlowConns())
		for range h2SlowConns() {
			cl := dialH2C(t, addr, xhttp2.Setting{ID: xhttp2.SettingInitialWindowSize, Val: 1 << 10})
			cl.get(t, 1, "/mib", true)
			conns = append(conns, cl)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		defer wg.Wait()
		defer close(stop)
		wg.Go(func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				for _, cl := range conns {
					cl.nc.SetWriteDeadline(time.Now().Add(time.Second))
					// Fail once the server closed it.
					if cl.fr.WriteWindowUpdate(1, 1<<10) == nil {
						cl.fr.WriteWindowUpdate(0, 1<<10)
					}
				}
			}
		})
		wharftest.WaitFor(t, "every slow reader accepted", func() bool { return c.Stats().Connections.Accepted >= int64(h2SlowConns()) })
		t.Logf("%d goroutines with %d slow readers, %d before", runtime.NumGoroutine(), h2SlowConns(), idle)
		h2WellBehaved(t, addr, 300*time.Millisecond)

		const bound = 15 * time.Second
		outcomes := h2WatchAll(conns, start, start.Add(bound))
		ok, slowest, most := 0, time.Duration(0), 0
		var firstBad *h2Outcome
		for i := range outcomes {
			o := &outcomes[i]
			most = max(most, o.data)
			if o.reset && o.rst == xhttp2.ErrCodeEnhanceYourCalm && o.closed > 0 && o.goAway && o.code == xhttp2.ErrCodeEnhanceYourCalm && o.data < len(h2MiB) {
				ok++
				slowest = max(slowest, o.closed)
			} else if firstBad == nil {
				firstBad = o
			}
		}
		if ok != len(conns) {
			t.Errorf("%d of %d slow readers reset and closed with ENHANCE_YOUR_CALM within %v; first other: %+v", ok, len(conns), bound, *firstBad)
		}
		t.Logf("%d slow readers reset and their connections closed, the last after %v; at most %d bytes taken", ok, slowest.Round(time.Millisecond), most)
		wharftest.WaitFor(t, "every slow connection closed at the server", func() bool { return c.Stats().Connections.Open == 0 })
		t.Logf("%d goroutines after the attack", runtime.NumGoroutine())
	})
}

// h2WatchAll watches every connection at once (h2Watch).
func h2WatchAll(conns []*h2Client, start, deadline time.Time) []h2Outcome {
	out := make([]h2Outcome, len(conns))
	var wg sync.WaitGroup
	for i, cl := range conns {
		wg.Go(func() { out[i] = h2Watch(cl, start, deadline) })
	}
	wg.Wait()
	return out
}

func (o h2Outcome) String() string {
	return fmt.Sprintf("status %q reset %v %v goaway %v %v data %d closed %v err %v", o.status, o.reset, o.rst, o.goAway, o.code, o.data, o.closed, o.err)
}
