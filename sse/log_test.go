package sse_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

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
// replay the log cannot read is a 503 (and leaves no stream behind).
func TestCustomLog(t *testing.T) {
	l := &twiceLog{MemoryLog: sse.NewMemoryLog(0, sse.WithFirstID(1))}
	b := newBroker(t, sse.Config{Log: l})
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
		{"/events/t", "1", http.StatusServiceUnavailable},
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
