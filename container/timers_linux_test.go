package container_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// On the epoll connector a suspended request's timeout is filed in the
// timer wheel of the selector polling its connection (no runtime timer of
// its own), as an idle connection's idle timeout is; it expires on time,
// never early.
func TestSuspendTimeoutsInSelectorWheel(t *testing.T) {
	c := container.New()
	c.Handle("/delay", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsInitial() {
			ms, _ := strconv.Atoi(r.QueryValue("ms"))
			cont.SetTimeout(time.Duration(ms) * time.Millisecond)
			return cont.Suspend()
		}
		_, err := w.WriteString("delayed")
		return err
	}))
	s := modes.Start(t, modes.H1, c)
	addr := s.URL[len("http://"):]
	send := func(ms int) (net.Conn, time.Time) {
		t.Helper()
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		sent := time.Now()
		if _, err := io.WriteString(nc, "GET /delay?ms="+strconv.Itoa(ms)+" HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		return nc, sent
	}
	const n = 40
	for range n {
		send(60_000)
	}
	// A request counts as suspended from its Suspend call; its timeout is
	// filed once its dispatch returns, and its connection's idle timer
	// stopped just after: for a moment the count may read n-1 or n+1.
	// Waiting for both makes that moment pass; a timer kept or missing
	// for good still fails.
	for deadline := time.Now().Add(wharftest.Patience); ; time.Sleep(2 * time.Millisecond) {
		st := c.Stats()
		if st.Suspended == n && st.Connections.Timers == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the selectors' wheels hold %d timers with %d requests suspended, want %d and %d",
				st.Connections.Timers, st.Suspended, n, n)
		}
	}

	// Short waits expire on time, with the long ones still filed.
	const wait = 80 * time.Millisecond
	type short struct {
		nc   net.Conn
		sent time.Time
	}
	shorts := make([]short, n)
	for i := range shorts {
		shorts[i].nc, shorts[i].sent = send(int(wait / time.Millisecond))
	}
	for i, sh := range shorts {
		sh.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(sh.nc), nil)
		if err != nil {
			t.Fatalf("short wait %d: %v", i, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 100))
		resp.Body.Close()
		if took := time.Since(sh.sent); string(body) != "delayed" || took < wait {
			t.Fatalf("short wait %d: %q after %v, want %q after at least %v", i, body, took, "delayed", wait)
		}
	}
	// The answered connections are idle now: their idle timeouts are
	// filed beside the long polls' timeouts.
	wharftest.WaitFor(t, "the idle connections' timers", func() bool { return c.Stats().Connections.Timers == 2*n })
}

// A NonBlocking request's timeout runs where it fired, on the selector's
// producer (PC mode: no hand-over, no goroutine); a request that may block
// is handed to the executor, as before.
func TestExpiryRunsOnProducerWhenNonBlocking(t *testing.T) {
	stacks := make(chan string, 2)
	h := func(w api.Response, r *api.Request) error {
		cont := continuation.Of(r)
		if cont.IsInitial() {
			cont.SetTimeout(20 * time.Millisecond)
			return cont.Suspend()
		}
		buf := make([]byte, 64<<10)
		stacks <- string(buf[:runtime.Stack(buf, false)])
		_, err := w.WriteString("expired")
		return err
	}
	c := container.New()
	c.Handle("/nb", api.NonBlockingFunc(h))
	c.HandleFunc("/blocking", h)
	s := modes.Start(t, modes.H1, c)
	for _, tc := range []struct {
		path   string
		inline bool
	}{{"/nb", true}, {"/blocking", false}} {
		code, body, _ := get(t, s, tc.path)
		if code != 200 || body != "expired" {
			t.Fatalf("%s: %d %q", tc.path, code, body)
		}
		stack := <-stacks
		if onProducer := strings.Contains(stack, "connector.(*selector).Produce"); onProducer != tc.inline {
			t.Errorf("%s: the expired re-dispatch ran on the producer: %v, want %v; its stack:\n%s", tc.path, onProducer, tc.inline, stack)
		}
	}
}
