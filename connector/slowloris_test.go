package connector_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// slowConns is the size of the Slowloris attack: the 5,000. Client
// and server ends together take 10,000 of the process's 20,000 files.
const slowConns = 5000

// Slowloris: 5,000 connections each send their request head a byte per
// second. None of them holds a goroutine on the epoll connector, every one
// is answered 408 and closed once ReadHeaderTimeout (shortened to 2 s
// here) runs out, and a well-behaved client is served throughout, on its
// keep-alive connection and on new ones. Its latency is logged beside the
// same client's without the attack (docs/security.md quotes a run);
// asserting it would make a timed test, so the test bounds each request at
// 5 s instead (more on a machine it finds slow: see slack): a server the
// attack starved would miss that by far.
//
// Under the race detector 5,000 connections take minutes: test.sh runs
// this test in its second pass, without it.
func TestSlowlorisFlood(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("too slow under the race detector")
	}
	if testing.Short() {
		t.Skip("5,000 connections")
	}
	eachConnector(t, connector.Config{ReadHeaderTimeout: 2 * time.Second}, func(t *testing.T, cfg connector.Config) {
		addr, c := serve(t, cfg)
		baseline := wellBehaved(t, addr, 300*time.Millisecond, wellBehavedBound)

		slow := make([]net.Conn, 0, slowConns)
		defer func() {
			for _, nc := range slow {
				nc.Close()
			}
		}()
		dialing := time.Now()
		for range slowConns {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatalf("dialing slow connection %d: %v", len(slow), err)
			}
			slow = append(slow, nc)
		}
		wharftest.WaitFor(t, "every slow connection open at the server", func() bool { return c.Stats().Connections.Open >= slowConns })
		// The attack has the server take two bursts of an event from every
		// slow connection at once (their heads' first bytes, then their
		// 408s), and a well-behaved request, or a 408, may wait behind one.
		// A burst takes the server about as long as taking the connections
		// in did, which this run just measured: 0.3 s to 2 s on an idle
		// machine, several seconds on a loaded one, where a burst held a
		// request 3.5 s against a fixed 5 s bound. So the bounds below
		// stretch to twice that time: they stay what they were on an idle
		// machine, and a server the attack held still misses them, as it
		// serves nobody (or answers no slow connection) until the slow
		// connections go.
		slack := 2 * time.Since(dialing)
		head := "GET /hello HTTP/1.1\r\nHost: a\r\nX-Slow: " + strings.Repeat("x", 100)
		stop := make(chan struct{})
		dripped := make(chan int)
		go func() { // one byte per connection per second
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for i := 0; ; i++ {
				for _, nc := range slow {
					nc.SetWriteDeadline(time.Now().Add(time.Second))
					nc.Write([]byte{head[i%len(head)]}) // fails once the server closed it
				}
				select {
				case <-stop:
					dripped <- i + 1
					return
				case <-tick.C:
				}
			}
		}()

		// The attack is on: every slow connection is open at the server,
		// and its head begins.
		if !cfg.Portable {
			if n := runtime.NumGoroutine(); n > 200 {
				t.Errorf("%d goroutines with %d slow connections open: they should hold none", n, slowConns)
			}
		}
		attacked := wellBehaved(t, addr, 1500*time.Millisecond, max(wellBehavedBound, slack))
		t.Logf("%d slow connections (taken in within %v): well-behaved requests p50/p99/max %v / %v / %v without, %v / %v / %v with",
			slowConns, slack/2, baseline[0], baseline[1], baseline[2], attacked[0], attacked[1], attacked[2])

		// Each slow connection is answered 408 once its head has taken
		// ReadHeaderTimeout, although it keeps dripping: a timeout that
		// restarted at every byte would never fire. The bound, 10 s, is five
		// times the timeout (or slack, if that is longer).
		var timedOut int
		for _, nc := range slow {
			nc.SetReadDeadline(time.Now().Add(max(10*time.Second, slack)))
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err == nil && resp.StatusCode == http.StatusRequestTimeout {
				timedOut++
			} else if errors.Is(err, os.ErrDeadlineExceeded) {
				break // the test fails: the rest would keep it as long each
			}
		}
		close(stop)
		t.Logf("the slow connections sent %d bytes each", <-dripped)
		if timedOut != slowConns {
			t.Errorf("%d of %d slow connections answered 408", timedOut, slowConns)
		}
		wharftest.WaitFor(t, "every connection closed after its header timeout", func() bool { return c.Stats().Connections.Open == 0 })
	})
}

// wellBehavedBound bounds each request of a well-behaved client on an idle
// machine: a liveness check, not a latency one.
const wellBehavedBound = 5 * time.Second

// wellBehaved is a client that asks for /hello, alternately on one
// keep-alive connection and on a new connection each time, for d, each
// request (its dial included) bounded at bound. It returns the p50, p99
// and max latency.
func wellBehaved(t *testing.T, addr string, d, bound time.Duration) [3]time.Duration {
	t.Helper()
	keep, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	keepR := bufio.NewReader(keep)
	var lat []time.Duration
	for end := time.Now().Add(d); time.Now().Before(end) || len(lat) < 20; {
		nc, br := keep, keepR
		start := time.Now()
		if len(lat)%2 == 1 {
			if nc, err = net.DialTimeout("tcp", addr, bound); err != nil {
				t.Fatalf("well-behaved dial: %v", err)
			}
			br = bufio.NewReader(nc)
		}
		nc.SetDeadline(start.Add(bound))
		io.WriteString(nc, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		if nc != keep {
			nc.Close()
		}
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("well-behaved request %d: %v", len(lat), err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	return [3]time.Duration{lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]}
}
