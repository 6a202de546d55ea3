package connector_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Idle keep-alive connections and suspended requests hold no goroutine on
// the epoll connector, and a client that leaves a suspended request is
// noticed: the request fails once, listeners fire once.
func TestEpollHoldsNothingWhileWaiting(t *testing.T) {
	var errors, completes atomic.Int32
	c := container.New(container.WithConnector(connector.Config{Selectors: 1}))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error { _, err := w.WriteString("hi"); return err })
	c.HandleFunc("/wait", func(w api.Response, r *api.Request) error {
		k := continuation.Of(r)
		k.SetTimeout(time.Hour)
		k.AddListener(continuation.Listener{OnComplete: func(_ *api.Request, err error) {
			if err != nil {
				errors.Add(1)
			}
			completes.Add(1)
		}})
		return k.Suspend()
	})
	addr := listen(t, c)
	wharftest.WaitFor(t, "the server to start", func() bool {
		nc, err := net.Dial("tcp", addr)
		if err == nil {
			nc.Close()
		}
		return err == nil
	})
	wharftest.WaitFor(t, "the probe connection to close", func() bool { return c.Stats().Connections.Open == 0 })

	const n = 100
	base := runtime.NumGoroutine()
	conns := make([]net.Conn, n)
	for i := range conns {
		nc := wharftest.Dial(t, addr, 0)
		fmt.Fprint(nc, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
		buf := make([]byte, 256)
		if _, err := nc.Read(buf); err != nil {
			t.Fatal(err)
		}
		conns[i] = nc
	}
	wharftest.WaitFor(t, "idle connections", func() bool { return c.Stats().Connections.Idle == n })
	// Goroutines the executor keeps for its next tasks are nobody's.
	held := func() int {
		ex := c.Stats().Executor
		return runtime.NumGoroutine() - base - (ex.Workers - ex.Busy)
	}
	// A worker that has just run the last request may not count as idle
	// yet: wait for it rather than read once.
	wharftest.WaitFor(t, "idle connections to hold no goroutine", func() bool { return held() <= 2 })
	for _, nc := range conns {
		fmt.Fprint(nc, "GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	wharftest.WaitFor(t, "suspended requests", func() bool { return c.Stats().Suspended == n })
	wharftest.WaitFor(t, "goroutines to settle", func() bool { return held() <= 2 })

	for _, nc := range conns[:n/2] {
		nc.Close()
	}
	wharftest.WaitFor(t, "the departed clients' requests to end", func() bool { return completes.Load() == n/2 })
	time.Sleep(50 * time.Millisecond) // a second OnComplete would show now
	if completes.Load() != n/2 || errors.Load() != n/2 {
		t.Fatalf("%d completions (%d with an error) for %d departed clients", completes.Load(), errors.Load(), n/2)
	}
	if st := c.Stats(); st.Suspended != n/2 {
		t.Fatalf("suspended = %d, want %d", st.Suspended, n/2)
	}
}

// NonBlocking handlers run on the producing goroutine (PC), blocking ones
// through EPC or PEC; a NonBlocking handler whose write would have to wait
// fails instead of parking the producer, and the server keeps serving.
func TestEpollInvocationTypes(t *testing.T) {
	c := container.New(container.WithConnector(connector.Config{Selectors: 1, WriteTimeout: 5 * time.Second}), container.WithLogger(wharftest.DiscardLogger()))
	c.Handle("/fast", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("fast")
		return err
	}))
	c.HandleFunc("/slow", func(w api.Response, r *api.Request) error {
		time.Sleep(time.Millisecond)
		_, err := w.WriteString("slow")
		return err
	})
	flooded := make(chan error, 1)
	c.Handle("/flood", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		chunk := make([]byte, 1<<20)
		for range 64 {
			if _, err := w.Write(chunk); err != nil {
				flooded <- err
				return err
			}
		}
		flooded <- nil
		return nil
	}))
	addr := listen(t, c)
	for _, p := range []string{"/fast", "/slow", "/fast"} {
		_, bodies, _ := roundTrip(t, addr, "GET "+p+" HTTP/1.1\r\nHost: x\r\n\r\n", 1)
		if bodies[0] != p[1:] {
			t.Fatalf("%s answered %q", p, bodies[0])
		}
	}
	st := c.Stats().Connections.Strategy
	if st.PC != 2 || st.EPC+st.PEC != 1 {
		t.Fatalf("strategy %+v: want 2 PC (fast) and 1 EPC or PEC (slow)", st)
	}
	nc := wharftest.Dial(t, addr, 0)
	fmt.Fprint(nc, "GET /flood HTTP/1.1\r\nHost: x\r\n\r\n") // and never read
	select {
	case err := <-flooded:
		if err == nil {
			t.Fatal("64 MiB written by a NonBlocking handler to a client that reads nothing")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a NonBlocking handler blocked the producer")
	}
	_, bodies, _ := roundTrip(t, addr, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n", 1)
	if bodies[0] != "fast" {
		t.Fatalf("after the flood: %q", bodies[0])
	}
}

// A NonBlocking handler that suspends runs on the producer, but the task
// that finishes its response runs elsewhere and may wait for the client:
// it must never be failed by the producer's no-parking rule, not even when
// it starts before the producer is back in its loop.
func TestEpollInlineSuspendFinishedElsewhere(t *testing.T) {
	const size = 16 << 20 // more than the socket buffers hold
	// The hook holds the producer back after the handler returned, so the
	// resumed write surely happens while it is away.
	hold := func() { time.Sleep(20 * time.Millisecond) }
	cfg := connector.WithInlineReturnedHook(connector.Config{Selectors: 1}, hold)
	c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
	failed := make(chan error, 100)
	c.Handle("/big", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		k := continuation.Of(r)
		if k.IsResumed() {
			_, err := w.Write(make([]byte, size))
			if err != nil {
				failed <- err
			}
			return err
		}
		if err := k.Suspend(); err != nil {
			return err
		}
		ex := exchange.From(r)
		go func() {
			// Resume the moment the first task is over: this races with
			// the producer leaving the handler.
			for ex.State() == "Running" {
				runtime.Gosched()
			}
			k.Resume()
		}()
		return nil
	}))
	addr := listen(t, c)
	for range 10 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(nc, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
		time.Sleep(30 * time.Millisecond) // read late: the writer must wait
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		nc.Close()
		if err != nil || n != size {
			t.Fatalf("read %d bytes, %v; want %d", n, err, size)
		}
	}
	select {
	case err := <-failed:
		t.Fatalf("the resumed handler's write failed: %v", err)
	default:
	}
}

// panicType is a handler whose invocation type cannot be told: asking
// panics, on the selector when the epoll connector reads the head.
type panicType struct{}

func (panicType) Serve(w api.Response, r *api.Request) error { return nil }
func (panicType) InvocationType() api.InvocationType         { panic("no idea") }

// A panic while the selector handles an event closes that connection only:
// the selector goes on serving everyone else.
func TestSelectorSurvivesPanic(t *testing.T) {
	logs, logger := wharftest.NewLogRecorder()
	c := container.New(container.WithConnector(connector.Config{Selectors: 1}), container.WithLogger(logger))
	c.Handle("/panic", panicType{})
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("hello")
		return err
	})
	addr := listen(t, c)
	for range 3 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprint(nc, "GET /panic HTTP/1.1\r\nHost: x\r\n\r\n")
		b, _ := io.ReadAll(nc)
		nc.Close()
		if len(b) != 0 && !strings.HasPrefix(string(b), "HTTP/1.1 500") {
			t.Fatalf("/panic answered %q", b)
		}
		_, bodies, _ := roundTrip(t, addr, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", 1)
		if bodies[0] != "hello" {
			t.Fatalf("after a panic: %q", bodies[0])
		}
	}
	panics := 0
	for _, r := range logs.Records() {
		if strings.Contains(r.Message, "panic") {
			panics++
		}
	}
	if panics != 3 {
		t.Fatalf("%d panics logged, want 3", panics)
	}
}

// A NonBlocking handler that suspends while a goroutine of its own reads
// the body: the producer must not wait for that reader, which waits for the
// producer to report the body's bytes.
func TestEpollInlineSuspendWithBodyReader(t *testing.T) {
	// The hook holds the producer back after the handler returned, so the
	// reader surely waits inside the body when the producer goes on.
	hold := func() { time.Sleep(20 * time.Millisecond) }
	cfg := connector.WithInlineReturnedHook(connector.Config{Selectors: 1, ReadTimeout: time.Minute}, hold)
	c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
	c.Handle("/upload", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
		k := continuation.Of(r)
		if k.IsResumed() {
			_, err := fmt.Fprintf(w, "read %v", r.Attribute("n"))
			return err
		}
		k.SetTimeout(20 * time.Second)
		if err := k.Suspend(); err != nil {
			return err
		}
		go func() {
			b, _ := io.ReadAll(r.Body())
			k.Resume(api.Attr{Key: "n", Value: len(b)})
		}()
		// The reader starts reading while this dispatch is still on the
		// producer: suspending lifted the no-parking rule, so it waits for
		// the body instead of failing.
		time.Sleep(20 * time.Millisecond)
		return nil
	}))
	addr := listen(t, c)
	nc := wharftest.Dial(t, addr, 10*time.Second)
	fmt.Fprint(nc, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n")
	time.Sleep(50 * time.Millisecond) // the reader is waiting for the body now
	fmt.Fprint(nc, "abcdef")
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "read 6" {
		t.Fatalf("answer %q", b)
	}
}

// What a NonBlocking dispatch leaves queued behind its suspension (a
// re-dispatch after a Resume it caused, an async task, the finish after a
// Complete) runs on the executor, never on the event loop that ran the
// dispatch: suspending lifted the loop's no-parking rule, so I/O there
// would park the only goroutine that can wake it, stalling the selector
// until the write or read timeout (a minute here, past the test's bound).
// Each case must get its whole answer: an 8 MiB response, which cannot fit
// the socket buffer, or a body that arrives after the dispatch returned.
func TestEpollWorkAfterSuspendLeavesTheLoop(t *testing.T) {
	big := strings.Repeat("x", 8<<20)
	tests := []struct {
		name    string
		handler api.Handler
		body    string // sent 50 ms after the head, if any
		want    string
	}{
		{"re-dispatch after a resume in the dispatch", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
			k := continuation.Of(r)
			if !k.IsInitial() {
				_, err := w.WriteString(big)
				return err
			}
			if err := k.Suspend(); err != nil {
				return err
			}
			return k.Resume()
		}), "", big},
		{"async task writing", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			return a.Dispatch(func(w api.Response) {
				w.WriteString(big)
				a.Complete()
			})
		}), "", big},
		{"async task reading a late body", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
			a, err := async.Start(r)
			if err != nil {
				return err
			}
			return a.Dispatch(func(w api.Response) {
				b, err := io.ReadAll(r.Body())
				fmt.Fprintf(w, "read %d %v", len(b), err)
				a.Complete()
			})
		}), "abcdef", "read 6 <nil>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := connector.Config{Selectors: 1, WriteTimeout: time.Minute, ReadTimeout: time.Minute}
			c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
			c.Handle("/x", tt.handler)
			nc := wharftest.Dial(t, listen(t, c), 10*time.Second)
			if tt.body == "" {
				fmt.Fprint(nc, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
			} else {
				fmt.Fprintf(nc, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n", len(tt.body))
				time.Sleep(50 * time.Millisecond) // the task is reading by now
				fmt.Fprint(nc, tt.body)
			}
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			if err != nil || string(b) != tt.want {
				t.Fatalf("got %d bytes (%.20q), %v; want %d bytes", len(b), b, err, len(tt.want))
			}
		})
	}
}

// The selectors' strategies share the executor's workers: on a bounded
// executor their reserved goroutines together leave it one worker at
// least, so that a Blocking request is never queued behind reservations
// that wait a second for work.
func TestSelectorsShareReservedWorkers(t *testing.T) {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 2, MinWorkers: -1})
	t.Cleanup(func() { ex.Close(context.Background()) })
	c := container.New(container.WithConnector(connector.Config{Selectors: 3}), container.WithExecutor(ex),
		container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error { _, err := w.WriteString("hello"); return err })
	addr := wharftest.Listen(t, c)
	if resps, _, _ := roundTrip(t, addr, "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 1); resps[0].StatusCode != 200 {
		t.Fatalf("status %d", resps[0].StatusCode)
	}
	if got := c.Stats().Connections.Strategy.ReservedLimit; got != 1 {
		t.Fatalf("3 selectors on 2 workers may reserve %d, want 1", got)
	}
}
