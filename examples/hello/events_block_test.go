package main

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"github.com/wharf-go/wharf/sse"
)

// stallingLog is a log whose replay waits until the test lets it go, as
// natssse's does while its broker is slow or out of reach (Since is a
// round trip to JetStream).
type stallingLog struct {
	*sse.MemoryLog
	entered chan struct{}
	release chan struct{}
}

func (l *stallingLog) Since(ctx context.Context, topic string, after uint64) ([]sse.Event, uint64, bool, error) {
	close(l.entered)
	<-l.release
	return l.MemoryLog.Since(ctx, topic, after)
}

// TestEventsReplayDoesNotStallSelector: a stream opened with Last-Event-ID
// reads the log's replay in its dispatch; with a log that goes to the
// network (-nats), that wait must not hold up the other connections of
// the selector that read the request.
func TestEventsReplayDoesNotStallSelector(t *testing.T) {
	log := &stallingLog{MemoryLog: sse.NewMemoryLog(0), entered: make(chan struct{}), release: make(chan struct{})}
	released := false
	release := func() {
		if !released {
			released = true
			close(log.release)
		}
	}
	c, _ := buildContainer(log, container.WithConnector(connector.Config{Selectors: 1}))
	base, _ := exampletest.Serve(t, c)
	defer release()

	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /events/t HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	<-log.entered // the replay waits for its log

	client := exampletest.NewClient(t)
	client.Timeout = 5 * time.Second // a stalled selector never answers
	a, err := exampletest.Fetch(client, base+"/hello")
	if err != nil || a.Status != http.StatusOK {
		t.Fatalf("GET /hello while a replay waits for its log: %v, %v; want 200", a, err)
	}
	release()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The body is the stream, which does not end: conn.Close ends it.
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d, want 200", resp.StatusCode)
	}
}
