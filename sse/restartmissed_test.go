package sse_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/sse"
)

// What Since says of a topic a MemoryLog never numbered: its last ID is
// the one before the log's first, where a missed event leaves its
// client, and every other ID but 0 (no ID: everything retained) is one
// the log never gave.
func TestMemoryLogSinceNeverPublished(t *testing.T) {
	l := sse.NewMemoryLog(3, sse.WithFirstID(100))
	for _, tt := range []struct {
		after  uint64
		missed bool
	}{
		{0, false},
		{99, false}, // a missed event's ID
		{5, true},   // from before the log: a log before a restart
		{98, true},
		{100, true}, // beyond the last
		{150, true},
	} {
		evs, thru, missed, err := l.Since(context.Background(), "never", tt.after)
		if err != nil || len(evs) != 0 || missed != tt.missed || thru != 99 {
			t.Errorf("after %d: %d events, missed %v, through %d, %v; want none, %v, 99", tt.after, len(evs), missed, thru, err, tt.missed)
		}
	}
}

// A client sent the missed event of a topic its instance had not
// published yet, then away while the instance publishes the topic and
// restarts, is told on its return that it missed events: the missed
// event's ID is the one before its log's first, an ID of the log before
// the restart. It was 0, which asks for everything retained and, from
// the new log, is told nothing missed: the events published before the
// restart were lost silently.
func TestMissedEventAcrossRestart(t *testing.T) {
	var before, after *sse.Broker
	var cur atomic.Pointer[sse.Broker]
	build := func(c *container.Container) {
		// Numbered as two logs made a while apart are, from the clock.
		before = newBroker(t, sse.Config{Log: sse.NewMemoryLog(0, sse.WithFirstID(1000)), Heartbeat: -1})
		after = newBroker(t, sse.Config{Log: sse.NewMemoryLog(0, sse.WithFirstID(2000)), Heartbeat: -1})
		cur.Store(before)
		c.HandleFunc("GET /events/{topic}", func(w api.Response, r *api.Request) error {
			return cur.Load().Serve(w, r, r.PathParam("topic"))
		})
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		first := open(t, s, "/events/t", "5") // an ID of a log before this one
		ev := first.Next(t)
		if ev.Type != "missed" || ev.Data != "5" {
			t.Fatalf("first event %+v, want missed, data 5", ev)
		}
		if ev.ID != "999" {
			t.Errorf("the missed event's ID %q, want 999", ev.ID)
		}
		first.Close()
		for range 2 { // while the client is away: lost in the restart
			if err := before.Publish("t", sse.Event{Data: "lost"}); err != nil {
				t.Fatal(err)
			}
		}
		cur.Store(after) // the restart
		if err := after.Publish("t", sse.Event{Data: "new"}); err != nil {
			t.Fatal(err)
		}
		second := open(t, s, "/events/t", ev.ID)
		if got := second.Next(t); got.Type != "missed" || got.Data != ev.ID || got.ID != "1999" {
			t.Fatalf("back with Last-Event-ID %s after a restart: %+v, want missed, data %s, ID 1999", ev.ID, got, ev.ID)
		}
		if got := second.Next(t); got.ID != "2000" || got.Data != "new" {
			t.Fatalf("after the missed event: %+v, want 2000", got)
		}
	})
}
