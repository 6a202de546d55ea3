package sse_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/wharf-go/wharf/sse"
)

// What Since returns for each Last-Event-ID, with a log of 3 that has
// seen 5 events of the topic (IDs 3, 4, 5 retained).
func TestMemoryLogSince(t *testing.T) {
	l := sse.NewMemoryLog(3)
	var delivered []string
	l.Open(func(topic string, ev sse.Event) { delivered = append(delivered, topic+":"+ev.ID) })
	for range 5 {
		l.Append("a", sse.Event{})
	}
	l.Append("b", sse.Event{})
	if len(delivered) != 6 || delivered[4] != "a:5" || delivered[5] != "b:1" {
		t.Fatalf("delivered %v", delivered)
	}
	for _, tt := range []struct {
		topic  string
		after  uint64
		ids    string
		missed bool
		thru   uint64
	}{
		{"a", 5, "", false, 5},
		{"a", 4, "5", false, 5},
		{"a", 2, "345", false, 5},
		{"a", 1, "345", true, 5}, // 2 is gone
		{"a", 0, "345", true, 5}, // 1 and 2 are gone
		{"a", 9, "345", true, 5}, // an ID from before a restart
		{"b", 0, "1", false, 1},  // nothing gone yet
		{"c", 0, "", false, 0},   // never published
		{"c", 3, "", true, 0},    // an ID this log never gave
	} {
		evs, thru, missed, err := l.Since(context.Background(), tt.topic, tt.after)
		ids := ""
		for _, ev := range evs {
			ids += ev.ID
		}
		if err != nil || ids != tt.ids || missed != tt.missed || thru != tt.thru {
			t.Errorf("%s after %d: IDs %q missed %v through %d %v; want %q %v %d", tt.topic, tt.after, ids, missed, thru, err, tt.ids, tt.missed, tt.thru)
		}
	}
}

func TestCheckTopic(t *testing.T) {
	for topic, ok := range map[string]bool{
		"a": true, "chat.room-1": true, "A_b.c.d": true,
		"": false, ".a": false, "a.": false, "a..b": false, "a b": false,
		"a*": false, "a>": false, "é": false, string(make([]byte, 256)): false,
	} {
		if err := sse.CheckTopic(topic); (err == nil) != ok || err != nil && !errors.Is(err, sse.ErrInvalidTopic) {
			t.Errorf("CheckTopic(%q) = %v", topic, err)
		}
	}
}

func TestPublishRefuses(t *testing.T) {
	b := newBroker(t, sse.Config{})
	for _, tt := range []struct {
		topic string
		ev    sse.Event
		err   error
	}{
		{"a b", sse.Event{}, sse.ErrInvalidTopic},
		{"t", sse.Event{Event: "x\ny"}, sse.ErrInvalidEvent},
		{"t", sse.Event{Data: "\xff"}, sse.ErrInvalidEvent},
		{"t", sse.Event{Retry: -1}, sse.ErrInvalidEvent},
		{"t", sse.Event{ID: "x\ny", Data: "the ID is the log's"}, nil},
	} {
		if err := b.Publish(tt.topic, tt.ev); !errors.Is(err, tt.err) {
			t.Errorf("Publish(%q, %+v) = %v, want %v", tt.topic, tt.ev, err, tt.err)
		}
	}
	if st := b.Stats(); st.Published != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// A client whose events are gone from the log is told, then gets what is
// retained.
func TestMissedEvent(t *testing.T) {
	for _, missed := range []string{"", "-", "gap"} {
		t.Run(strconv.Quote(missed), func(t *testing.T) {
			b := newBroker(t, sse.Config{Retain: 2, MissedEvent: missed})
			for range 4 {
				b.Publish("t", sse.Event{Data: "d"})
			}
			s := serve(t, b)
			c := open(t, s, "/events/t", "1")
			if missed != "-" {
				ev := c.Next(t)
				if want := map[string]string{"": "missed", "gap": "gap"}[missed]; ev.Type != want || ev.Data != "1" || ev.ID != "" {
					t.Fatalf("missed event %+v", ev)
				}
			}
			for _, id := range []string{"3", "4"} {
				if ev := c.Next(t); ev.ID != id {
					t.Fatalf("got %+v, want ID %s", ev, id)
				}
			}
		})
	}
}
