package sse_test

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/owner"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
)

// idleStreams opens n streams of topic t on b over the epoll connector's
// HTTP/1.1 and reads each up to its opening comment. It returns them and
// readTo, which reads a stream up to the end of a chunk ending an event
// or a comment ("\n\n" and the chunk's CRLF).
func idleStreams(t *testing.T, b *sse.Broker, n int) (conns []net.Conn, readTo func(net.Conn)) {
	c := container.New()
	route(b)(c)
	addr := wharftest.Listen(t, c)
	buf := make([]byte, 16<<10)
	readTo = func(nc net.Conn) {
		n := 0
		for !bytes.HasSuffix(buf[:n], []byte("\n\n\r\n")) {
			m, err := nc.Read(buf[n:])
			if err != nil {
				t.Fatal(err)
			}
			n += m
		}
	}
	conns = make([]net.Conn, n)
	for i := range conns {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		if _, err := nc.Write([]byte("GET /events/t HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		readTo(nc) // the head and the opening comment
		conns[i] = nc
	}
	return conns, readTo
}

// The allocations of an event fanned out to idle streams on the epoll
// connector's HTTP/1.1, each written at once on the publisher's goroutine:
// per event, its frame, the frame's bytes (one allocation, sized for a
// line of data) and the ID's text: three of the three allowed; per
// stream, the Response of the task that writes it, and nothing else (the
// task's function is made once a stream, the direct write takes no
// Response of its own, and a stream sent one event at a time keeps its
// queue's one slot). The ownership checks of tests add three a stream.
func TestFanoutAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	b := newBroker(t, sse.Config{Heartbeat: time.Hour})
	const streams = 10
	conns, readTo := idleStreams(t, b, streams)
	ev := sse.Event{Data: "hello"}
	fanOut := func() {
		if err := b.Publish("t", ev); err != nil {
			t.Fatal(err)
		}
		for _, nc := range conns {
			readTo(nc)
		}
	}
	for range 100 {
		fanOut()
	}
	got := testing.AllocsPerRun(1000, fanOut)
	limit := float64(3 + streams)
	if owner.Enabled() {
		limit += 3 * streams
	}
	t.Logf("%.2f allocations an event to %d streams", got, streams)
	if got > limit {
		t.Errorf("%.2f allocations an event to %d streams, want at most %v", got, streams, limit)
	}
}
