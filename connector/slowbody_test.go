//go:build !windows

package connector_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// slowBodyConns is the size of the slow-body and slow-reader attacks:
// 1,000 connections, or 20 under the race detector, which test.sh's
// second pass runs them without.
func slowBodyConns() int {
	if wharftest.RaceEnabled {
		return 20
	}
	return 1000
}

// slowBodyConfig shortens the bounds so the attacks end in seconds; the
// minimum data rates are the defaults (240 B/s).
var slowBodyConfig = connector.Config{DataRateGrace: time.Second, DiscardTimeout: 2 * time.Second}

// dribble opens n connections that each send head, then a byte of body
// every interval until stop closes. It returns the connections.
func dribble(t *testing.T, addr, head string, n int, interval time.Duration, stop chan struct{}) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, nc := range conns {
			nc.Close()
		}
	})
	for range n {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dialing slow connection %d: %v", len(conns), err)
		}
		if _, err := io.WriteString(nc, head); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
	}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for _, nc := range conns {
				nc.SetWriteDeadline(time.Now().Add(interval))
				nc.Write([]byte{'x'}) // fails once the server closed it
			}
		}
	}()
	return conns
}

// ended reads what each connection gets until the server closes it, at
// most within bound, and returns how many got status want and were then
// closed.
func ended(conns []net.Conn, want int, bound time.Duration) (n int, firstErr error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(bound)
	for _, nc := range conns {
		wg.Go(func() {
			nc.SetReadDeadline(deadline)
			br := bufio.NewReader(nc)
			resp, err := http.ReadResponse(br, nil)
			if err == nil {
				if resp.StatusCode != want {
					err = fmt.Errorf("status %d, want %d", resp.StatusCode, want)
				} else if _, err = io.Copy(io.Discard, resp.Body); err == nil {
					_, err = br.ReadByte() // the close
					if err == io.EOF {
						err = nil
					} else if err == nil {
						err = fmt.Errorf("bytes after the answer")
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				n++
			} else if firstErr == nil {
				firstErr = err
			}
		})
	}
	wg.Wait()
	return n, firstErr
}

// Slow body, not read: 1,000 connections send a POST whose 100,000-byte
// body comes a byte a second, to a handler that answers without reading
// it. Each gets its answer at once; the connector then discards the body
// as it comes, until DiscardTimeout (2 s here) closes the connection.
// While the bodies dribble, the epoll connector holds no goroutine for
// them: discarding is selector work. A well-behaved client is served
// throughout.
func TestSlowBodyDiscardedFlood(t *testing.T) {
	eachConnector(t, slowBodyConfig, func(t *testing.T, cfg connector.Config) {
		addr, c := serve(t, cfg)
		idle := runtime.NumGoroutine()
		stop := make(chan struct{})
		defer close(stop)
		start := time.Now()
		conns := dribble(t, addr, "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nx", slowBodyConns(), time.Second, stop)
		wharftest.WaitFor(t, "every slow connection accepted", func() bool { return c.Stats().Connections.Accepted >= int64(slowBodyConns()) })
		if !cfg.Portable {
			// The handlers' executor goroutines end (but for a few kept
			// idle) once they answered; the bodies still dribble for
			// DiscardTimeout, 2 s, and discarding them holds none. Within
			// a second the count must come down to that.
			bound := idle + max(50, slowBodyConns()/4) // one per connection would be 1,000
			n := runtime.NumGoroutine()
			for deadline := time.Now().Add(time.Second); n > bound && time.Now().Before(deadline); n = runtime.NumGoroutine() {
				time.Sleep(5 * time.Millisecond)
			}
			t.Logf("%d goroutines with %d bodies dribbling, %d before", n, slowBodyConns(), idle)
			if n > bound {
				t.Errorf("%d goroutines with %d bodies dribbling (%d before): discarding should hold none", n, slowBodyConns(), idle)
			}
		}
		wellBehaved(t, addr, 300*time.Millisecond, wellBehavedBound)
		n, err := ended(conns, 200, 10*time.Second)
		if n != slowBodyConns() {
			t.Errorf("%d of %d answered 200 and closed within 10 s; first failure: %v", n, slowBodyConns(), err)
		}
		t.Logf("%d slow bodies discarded and closed after %v", n, time.Since(start).Round(time.Millisecond))
		wharftest.WaitFor(t, "every slow connection closed at the server", func() bool { return c.Stats().Connections.Open == 0 })
	})
}

// Slow body, read: 1,000 connections send a POST whose body comes a byte
// a second to a handler that reads it. The body is slower than
// MinRequestDataRate (240 B/s), so after DataRateGrace (1 s here) each
// read fails with 408 and the connection closes, although a byte came
// within every ReadTimeout.
func TestSlowBodyReadFlood(t *testing.T) {
	eachConnector(t, slowBodyConfig, func(t *testing.T, cfg connector.Config) {
		addr, c := serve(t, cfg)
		stop := make(chan struct{})
		defer close(stop)
		start := time.Now()
		conns := dribble(t, addr, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nx", slowBodyConns(), time.Second, stop)
		wellBehaved(t, addr, 300*time.Millisecond, wellBehavedBound)
		n, err := ended(conns, http.StatusRequestTimeout, 10*time.Second)
		if n != slowBodyConns() {
			t.Errorf("%d of %d answered 408 and closed within 10 s; first failure: %v", n, slowBodyConns(), err)
		}
		t.Logf("%d slow bodies answered 408 after %v", n, time.Since(start).Round(time.Millisecond))
		wharftest.WaitFor(t, "every slow connection closed at the server", func() bool { return c.Stats().Connections.Open == 0 })
	})
}

// Slow reader: 1,000 connections ask for a 1 MiB response and read it at
// 1 KiB/s, through a 4 KiB receive buffer. That is slower than the
// MinResponseDataRate set here (8 KiB/s), so each response is aborted and
// its connection closed once its waiting outgrows what its bytes earn,
// although the client takes bytes within every WriteTimeout. A
// well-behaved client is served meanwhile.
func TestSlowReaderFlood(t *testing.T) {
	cfg := slowBodyConfig
	cfg.MinResponseDataRate = 8 << 10
	eachConnector(t, cfg, func(t *testing.T, cfg connector.Config) {
		// Accepted sockets inherit the listener's send buffer: 16 KiB, as
		// under memory pressure, so that the kernel cannot take the whole
		// response off the server's hands.
		lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) {
				syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 16<<10)
			})
		}}
		l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr, c := serveOn(t, cfg, l)
		d := wharftest.SmallReceiveBuffer(4 << 10)
		start := time.Now()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		whole := 0
		for range slowBodyConns() {
			nc, err := d.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			io.WriteString(nc, "GET /mib HTTP/1.1\r\nHost: a\r\n\r\n")
			wg.Go(func() {
				buf := make([]byte, 1<<10)
				var got int
				tick := time.NewTicker(time.Second) // a reader that takes 1 KiB/s
				defer tick.Stop()
				for {
					n, err := nc.Read(buf)
					got += n
					if err != nil {
						break
					}
					select {
					case <-stop:
						return
					case <-tick.C:
					}
				}
				if got >= len(mib) {
					mu.Lock()
					whole++
					mu.Unlock()
				}
			})
		}
		defer wg.Wait()
		defer close(stop)
		wharftest.WaitFor(t, "every slow reader accepted", func() bool { return c.Stats().Connections.Accepted >= int64(slowBodyConns()) })
		wellBehaved(t, addr, 300*time.Millisecond, wellBehavedBound)
		// The server ends each slow reader's response and closes its
		// connection (the client may read buffered bytes for a while
		// more: the kernel still holds them).
		for c.Stats().Connections.Open > 0 && time.Since(start) < 30*time.Second {
			time.Sleep(50 * time.Millisecond)
		}
		if open := c.Stats().Connections.Open; open > 0 {
			t.Fatalf("%d of %d slow readers still open at the server after %v", open, slowBodyConns(), time.Since(start).Round(time.Millisecond))
		}
		t.Logf("%d slow readers cut off by the server within %v", slowBodyConns(), time.Since(start).Round(time.Millisecond))
		mu.Lock()
		defer mu.Unlock()
		if whole > 0 {
			t.Errorf("%d slow readers got the whole response", whole)
		}
	})
}
