package sse_test

import (
	"bufio"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
)

// A client that stops reading: its stream is ended once its queue is
// full, and counted, while Publish never waits for it and another
// client receives every event. On both HTTP/1.1 connectors: the epoll
// one writes without blocking and aborts the connection at once; the
// portable one's blocked write holds the slow stream's task until the
// write timeout (short here) ends it.
func TestSlowConsumer(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable} {
		t.Run(string(m), func(t *testing.T) {
			b := newBroker(t, sse.Config{MaxQueue: 8, Heartbeat: -1, Retain: 16})
			opts := append(modes.Options(m), container.WithConnector(connector.Config{WriteTimeout: time.Second}))
			c := container.New(opts...)
			route(b)(c)
			s := modes.Start(t, m, c)

			// The slow client: a raw connection that reads the head and
			// the first comment, then nothing.
			nc := s.DialHTTP1(t)
			defer nc.Close()
			io.WriteString(nc, "GET /events/slow HTTP/1.1\r\nHost: x\r\n\r\n")
			br := bufio.NewReader(nc)
			if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, "200") {
				t.Fatalf("status line %q, %v", line, err)
			}
			fast := open(t, s, "/events/slow", "")

			data := strings.Repeat("x", 32<<10)
			var n int
			for n = 1; b.Stats().Slow == 0; n++ {
				if n > 10_000 { // 320 MB: more than any socket buffer holds
					t.Fatal("the slow stream was never ended")
				}
				if err := b.Publish("slow", sse.Event{Data: data}); err != nil {
					t.Fatal(err)
				}
				// In step with the fast client, which so never queues.
				if ev := fast.Next(t); ev.ID != strconv.Itoa(n) || len(ev.Data) != len(data) {
					t.Fatalf("fast client: event %q of %d bytes, want %d", ev.ID, len(ev.Data), n)
				}
			}
			if err := b.Publish("slow", sse.Event{Data: "after"}); err != nil {
				t.Fatal(err)
			}
			if ev := fast.Next(t); ev.ID != strconv.Itoa(n) || ev.Data != "after" {
				t.Fatalf("fast client after the slow one ended: %+v", ev)
			}
			wharftest.WaitFor(t, "the slow stream removed", func() bool { return b.Stats().Streams == 1 })
			if st := b.Stats(); st.Slow != 1 || st.Opened != 2 {
				t.Fatalf("stats %+v", st)
			}
			// Its connection was closed: reading it ends (after what the
			// socket buffers held).
			if _, err := io.Copy(io.Discard, br); err != nil && !strings.Contains(err.Error(), "reset") {
				t.Fatalf("the slow connection: %v", err)
			}
		})
	}
}

// 200 idle streams on the epoll connector hold no goroutine: the count
// after they opened is the count before (raw connections, so that the
// clients add none either).
func TestIdleStreamsHoldNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the epoll connector is Linux's")
	}
	const streams = 200
	b := newBroker(t, sse.Config{})
	c := container.New()
	route(b)(c)
	s := modes.Start(t, modes.H1, c)

	// One stream first, so that the executor and selectors have started.
	warm := s.DialHTTP1(t)
	defer warm.Close()
	openRaw(t, warm)
	before := runtime.NumGoroutine()
	heap := heapInUse()

	for range streams {
		nc := s.DialHTTP1(t)
		defer nc.Close()
		openRaw(t, nc)
	}
	wharftest.WaitFor(t, "the streams open", func() bool { return b.Stats().Streams == streams+1 })
	// The tasks that opened them may still be returning to the pool:
	// wait for the count to settle where it was.
	var now int
	wharftest.WaitFor(t, "no goroutine per stream", func() bool {
		now = runtime.NumGoroutine()
		return now <= before+streams/20
	})
	t.Logf("goroutines: %d before, %d with %d more idle streams; heap %d bytes per stream, both ends of its connection included",
		before, now, streams, (heapInUse()-heap)/streams)
}

// heapInUse is the heap's live bytes, after a collection.
func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// openRaw asks for a stream on nc and reads its head and opening comment.
func openRaw(t *testing.T, nc io.ReadWriter) {
	t.Helper()
	io.WriteString(nc, "GET /events/idle HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(nc)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, ":") { // the opening comment, in its chunk
			return
		}
	}
}

// On HTTP/2 a slow stream and a fast one share a connection: the slow
// one's client never reads its body, so the server's writes wait on its
// flow-control window; it is ended and counted, while the fast stream on
// the same connection receives every event.
func TestSlowConsumerHTTP2(t *testing.T) {
	for _, m := range []modes.Mode{modes.H2, modes.H2C} {
		t.Run(string(m), func(t *testing.T) {
			b := newBroker(t, sse.Config{MaxQueue: 8, Heartbeat: -1, Retain: 16})
			opts := append(modes.Options(m), container.WithConnector(connector.Config{WriteTimeout: time.Second}))
			c := container.New(opts...)
			route(b)(c)
			s := modes.Start(t, m, c)

			slow, err := s.Client.Get(s.URL + "/events/slow") // never read
			if err != nil {
				t.Fatal(err)
			}
			defer slow.Body.Close()
			fast := open(t, s, "/events/slow", "")
			if slow.ProtoMajor != 2 || fast.Response().ProtoMajor != 2 {
				t.Fatalf("protocols %s, %s", slow.Proto, fast.Response().Proto)
			}

			data := strings.Repeat("x", 32<<10)
			var n int
			for n = 1; b.Stats().Slow == 0; n++ {
				if n > 10_000 {
					t.Fatal("the slow stream was never ended")
				}
				if err := b.Publish("slow", sse.Event{Data: data}); err != nil {
					t.Fatal(err)
				}
				if ev := fast.Next(t); ev.ID != strconv.Itoa(n) {
					t.Fatalf("fast client: event %q, want %d", ev.ID, n)
				}
			}
			for k := range 3 {
				if err := b.Publish("slow", sse.Event{Data: "after"}); err != nil {
					t.Fatal(err)
				}
				if ev := fast.Next(t); ev.ID != strconv.Itoa(n+k) || ev.Data != "after" {
					t.Fatalf("fast client after the slow one ended: %+v", ev)
				}
			}
			wharftest.WaitFor(t, "the slow stream removed", func() bool { return b.Stats().Streams == 1 })
			t.Logf("the slow stream ended after %d events of %d bytes", n-1, len(data))
		})
	}
}
