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
		{"b", 3, "6", true, 6},    // an ID of another topic
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
