package natssse_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// The missed event carries the ID a client resumes from without being
// told again, with nothing twice and nothing lost (sse's
// TestMissedEventResumes for MemoryLog), here where topics share one
// sequence: the ID before a replay's first event is another topic's
// message, or none, and Since takes it for the place it is, not for a
// lost message of the topic. With no ID on the missed event, a client
// whose replay was empty kept the lost ID and was told again at every
// reconnection.
func TestMissedEventResumes(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	in := start(t, modes.H1, nb, natssse.Config{Retain: 2, FirstID: 1})
	var lastPublished string // the stream's last message
	publish := func(topic string) string {
		t.Helper()
		id, err := in.b.PublishWait(t.Context(), topic, sse.Event{Data: topic})
		if err != nil {
			t.Fatal(err)
		}
		lastPublished = id
		return id
	}
	for _, tt := range []struct {
		name   string
		lastID func(ids []string) string // the first stream's Last-Event-ID, from the IDs published
		empty  bool                      // the topic is not published: nothing is retained
		// While the client is away, another topic is published before
		// the topic: the missed event's ID is no longer just before the
		// topic's next message.
		otherFirst bool
	}{
		// The topic's first, which the stream no longer keeps.
		{"no longer retained", func(ids []string) string { return ids[1] }, false, false},
		{"beyond the last", func([]string) string { return "999999" }, false, false},
		// Another topic's, before the topic's first.
		{"an ID of another topic", func(ids []string) string { return ids[0] }, false, false},
		// Beyond the stream's last (one made again, say).
		{"never published", func([]string) string { return "999999" }, true, false},
		{"never published then another topic", func([]string) string { return "999999" }, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			topic, other := "t-"+strings.ReplaceAll(tt.name, " ", "-"), "o-"+strings.ReplaceAll(tt.name, " ", "-")
			// other, then topic and other in turn, three each: the
			// stream keeps topic's second and third (Retain 2), and each
			// event of topic follows one of other's.
			var ids, kept []string
			if !tt.empty {
				ids = append(ids, publish(other))
				for i := range 3 {
					id := publish(topic)
					if i > 0 {
						kept = append(kept, id)
					}
					ids = append(ids, id, publish(other))
				}
			}
			resume := lastPublished // nothing retained: the stream's last
			if len(kept) > 0 {
				resume = ids[2] // the one before kept[0]: other's second
			}
			lastID := tt.lastID(ids)
			first := open(t, in.Server, "/events/"+topic, lastID)
			ev := first.Next(t)
			if ev.Type != "missed" || ev.Data != lastID || ev.ID != resume {
				t.Fatalf("first event %+v, want missed, data %s, ID %s", ev, lastID, resume)
			}
			var got []string
			for range kept {
				got = append(got, first.Next(t).ID)
			}
			if !slices.Equal(got, kept) {
				t.Fatalf("replay %q, want %q", got, kept)
			}
			first.Close()
			want := slices.Clone(kept)
			if tt.otherFirst {
				publish(other)
			}
			if tt.empty {
				want = append(want, publish(topic)) // while the client is away
			}
			// Back with the ID the missed event left it: as a client that
			// left before the replay's first event.
			second := open(t, in.Server, "/events/"+topic, ev.ID)
			want = append(want, publish(topic))
			live := want[len(want)-1]
			got = nil
			for len(got) == 0 || got[len(got)-1] != live {
				switch ev := second.Next(t); {
				case ev.Type == "missed":
					got = append(got, "missed:"+ev.Data)
				default:
					got = append(got, ev.ID)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("back with Last-Event-ID %s: %q, want %q", ev.ID, got, want)
			}
		})
	}
}

// A client sent the missed event of a topic with nothing retained, then
// away while the topic is published more than the stream keeps of it,
// is told on its return that it missed the first: the missed event's ID
// is a place Since can judge. It was 0, from which the log reports
// nothing missed (it cannot tell what was dropped), so that the client
// lost the topic's first event silently.
func TestMissedEventEmptyTopicThenDropped(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	in := start(t, modes.H1, nb, natssse.Config{Retain: 2, FirstID: 1})
	publish := func(topic string) string {
		t.Helper()
		id, err := in.b.PublishWait(t.Context(), topic, sse.Event{Data: topic})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	publish("other")
	first := open(t, in.Server, "/events/t", "999999") // an ID this stream never gave
	ev := first.Next(t)
	if ev.Type != "missed" || ev.Data != "999999" {
		t.Fatalf("first event %+v, want missed, data 999999", ev)
	}
	first.Close()
	var ids []string
	for range 3 { // the stream keeps the last two
		ids = append(ids, publish("t"))
	}
	second := open(t, in.Server, "/events/t", ev.ID)
	var got []string
	for len(got) == 0 || got[len(got)-1] != ids[2] {
		switch ev := second.Next(t); {
		case ev.Type == "missed":
			got = append(got, "missed:"+ev.Data)
		default:
			got = append(got, ev.ID)
		}
	}
	if want := []string{"missed:" + ev.ID, ids[1], ids[2]}; !slices.Equal(got, want) {
		t.Errorf("back with Last-Event-ID %s after %q were published: %q, want %q", ev.ID, ids, got, want)
	}
}
