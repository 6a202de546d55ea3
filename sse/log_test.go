package sse_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
)

// twiceLog is a MemoryLog that delivers every event twice, and whose
// Since fails when failSince is set.
type twiceLog struct {
	*sse.MemoryLog
	failSince atomic.Bool
}

func (l *twiceLog) Open(deliver func(string, sse.Event)) error {
	return l.MemoryLog.Open(func(topic string, ev sse.Event) {
		deliver(topic, ev)
		deliver(topic, ev)
	})
}

var errBroken = errors.New("log broken")

func (l *twiceLog) Since(ctx context.Context, topic string, after uint64) ([]sse.Event, uint64, bool, error) {
	if l.failSince.Load() {
		return nil, 0, false, errBroken
	}
	return l.MemoryLog.Since(ctx, topic, after)
}

// A Log of one's own: a delivery the stream already has is dropped, and a
// replay the log cannot read is a 200 that ends (TestReplayFailureRetried)
// and leaves no stream behind.
func TestCustomLog(t *testing.T) {
	l := &twiceLog{MemoryLog: sse.NewMemoryLog(0, sse.WithFirstID(1))}
	b := newBroker(t, sse.Config{Log: l, Logger: wharftest.DiscardLogger()})
	s := serve(t, b)
	c := open(t, s, "/events/t", "")
	for range 3 {
		b.Publish("t", sse.Event{Data: "x"})
	}
	b.Publish("t", sse.Event{Data: "last"})
	for _, id := range []string{"1", "2", "3", "4"} {
		if ev := c.Next(t); ev.ID != id {
			t.Fatalf("got %+v, want ID %s", ev, id)
		}
	}

	l.failSince.Store(true)
	for _, tt := range []struct {
		path, lastID string
		status       int
	}{
		{"/events/t", "1", http.StatusOK},
		{"/events/a..b", "", http.StatusBadRequest},
	} {
		req, _ := http.NewRequest("GET", s.URL+tt.path, nil)
		if tt.lastID != "" {
			req.Header.Set("Last-Event-ID", tt.lastID)
		}
		resp, err := s.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s with Last-Event-ID %q: %d, want %d", tt.path, tt.lastID, resp.StatusCode, tt.status)
		}
	}
	c.Close()
	wharftest.WaitFor(t, "no stream", func() bool { return b.Stats().Streams == 0 })
}

// A replay the log cannot read (JetStream away for a moment) is answered
// as a closed Broker answers: a 200 event stream that ends at once with a
// retry, which an EventSource follows, where a 503 would make it give up
// for good. The server hears of it through Config.Logger; once the log
// reads again, the same Last-Event-ID gets its replay.
func TestReplayFailureRetried(t *testing.T) {
	var (
		b   *sse.Broker
		l   *twiceLog
		rec *wharftest.LogRecorder
	)
	build := func(c *container.Container) {
		l = &twiceLog{MemoryLog: sse.NewMemoryLog(0, sse.WithFirstID(1))}
		var logger *slog.Logger
		rec, logger = wharftest.NewLogRecorder()
		b = newBroker(t, sse.Config{Log: l, Logger: logger})
		route(b)(c)
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, data := range []string{"one", "two"} {
			if err := b.Publish("t", sse.Event{Data: data}); err != nil {
				t.Fatal(err)
			}
		}
		l.failSince.Store(true)
		req, _ := http.NewRequest("GET", s.URL+"/events/t", nil)
		req.Header.Set("Last-Event-ID", "1")
		resp, err := s.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || string(body) != "retry: 1000\n\n" {
			t.Fatalf("a replay the log failed: %d %q %q, want 200 text/event-stream \"retry: 1000\\n\\n\"",
				resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		wharftest.WaitFor(t, "no stream", func() bool { return b.Stats().Streams == 0 })
		logged := false
		for _, r := range rec.Records() {
			if err, ok := r.Attrs["err"].Any().(error); ok && errors.Is(err, errBroken) {
				logged = r.Level == slog.LevelWarn && r.Attrs["topic"].String() == "t" && r.Attrs["last_event_id"].String() == "1"
			}
		}
		if !logged {
			t.Errorf("the failure was not logged at Warn with its topic and Last-Event-ID: %+v", rec.Records())
		}

		l.failSince.Store(false)
		c := open(t, s, "/events/t", "1")
		if ev := c.Next(t); ev.ID != "2" || ev.Data != "two" {
			t.Fatalf("the retried replay: %+v, want event 2", ev)
		}
		c.Close()
	})
}
