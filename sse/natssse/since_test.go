package natssse_test

import (
	"context"
	"testing"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// What Since returns for each Last-Event-ID, on a stream that keeps 3
// messages per topic and holds a: 1..5 and b: 6 (a's 1 and 2 dropped).
func TestSince(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	l, js := newLog(t, nb, natssse.Config{Retain: 3, FirstID: 1})
	for _, topic := range []string{"a", "a", "a", "a", "a", "b"} {
		if err := l.Append(topic, sse.Event{Data: topic}); err != nil {
			t.Fatal(err)
		}
	}
	<-js.PublishAsyncComplete()
	for _, tt := range []struct {
		topic  string
		after  uint64
		ids    string
		missed bool
		thru   uint64
	}{
		{"a", 5, "", false, 5},
		{"a", 4, "5", false, 5},
		{"a", 3, "45", false, 5},
		{"a", 2, "345", false, 5}, // 2 is gone, but 3 follows it: nothing lost
		{"a", 1, "345", true, 5},  // 2 is gone
		{"a", 0, "345", false, 5}, // cannot tell what was dropped
		{"a", 9, "345", true, 5},  // beyond a's last
		{"b", 3, "6", false, 6},   // a's: nothing of b was dropped after it
		{"b", 5, "6", false, 6},   // another topic's, but b's next follows it (a missed event's ID)
		{"c", 0, "", false, 0},    // never published
		// Nothing of c retained: through is the stream's last, where a
		// missed event leaves its client; missed when a message after
		// the ID was dropped (one of c's, for all the log can tell).
		{"c", 3, "", false, 6}, // 3 is the stream's first: nothing dropped after it
		{"c", 2, "", false, 6},
		{"c", 1, "", true, 6}, // 2 is gone
		{"c", 6, "", false, 6},
		{"c", 9, "", true, 6}, // beyond the stream's last
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

// IDs are the stream's sequence, shared by the topics: a client's ID may
// be another topic's message, or one the stream dropped, as a missed
// event's is (the stream's last, for a topic with nothing retained),
// once other topics were published. Since reports events missed only
// when a message of the topic after the ID may have been dropped: the
// stream dropped messages after it (its first is past the next), or the
// topic is at its per-topic limit, which drops the topic's oldest. The
// stream keeps 3 per topic and holds x: 1, a: 3 4 5 (2 dropped), y: 6,
// c: 7 8.
func TestSinceFromAnotherTopicsID(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	l, js := newLog(t, nb, natssse.Config{Retain: 3, FirstID: 1})
	for _, topic := range []string{"x", "a", "a", "a", "a", "y", "c", "c"} {
		if err := l.Append(topic, sse.Event{Data: topic}); err != nil {
			t.Fatal(err)
		}
	}
	<-js.PublishAsyncComplete()
	for _, tt := range []struct {
		topic  string
		after  uint64
		ids    string
		missed bool
	}{
		{"c", 6, "78", false},  // y's, just before c's first
		{"c", 5, "78", false},  // a's: nothing of c lies after it but 7 and 8
		{"c", 1, "78", false},  // x's
		{"c", 2, "78", false},  // a's, dropped: the stream dropped nothing after it
		{"a", 1, "345", true},  // x's: a is at its limit, and dropped 2
		{"a", 2, "345", false}, // a's own, dropped, but a's 3 follows it
		{"a", 3, "45", false},  // a's own, retained
	} {
		evs, thru, missed, err := l.Since(context.Background(), tt.topic, tt.after)
		ids := ""
		for _, ev := range evs {
			ids += ev.ID
		}
		if err != nil || ids != tt.ids || missed != tt.missed {
			t.Errorf("%s after %d: IDs %q missed %v through %d %v; want %q %v", tt.topic, tt.after, ids, missed, thru, err, tt.ids, tt.missed)
		}
	}
}
