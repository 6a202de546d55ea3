package sse_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
)

// What Since returns for each Last-Event-ID, with a log of 3 that has
// seen 5 events of the topic (IDs 3, 4, 5 retained).
func TestMemoryLogSince(t *testing.T) {
	l := sse.NewMemoryLog(3, sse.WithFirstID(1))
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
				if want := map[string]string{"": "missed", "gap": "gap"}[missed]; ev.Type != want || ev.Data != "1" || ev.ID != "2" {
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

// A MissedEvent type no event can carry is refused by NewBroker: every
// missed event would fail to encode, and streams would send none.
func TestMissedEventInvalid(t *testing.T) {
	for _, missed := range []string{"a\nb", "gap\r"} {
		if _, err := sse.NewBroker(sse.Config{MissedEvent: missed}); !errors.Is(err, sse.ErrInvalidEvent) {
			t.Errorf("MissedEvent %q: %v, want ErrInvalidEvent", missed, err)
		}
	}
}

// A Last-Event-ID that is a number, but past any ID (beyond 2^64), is an
// ID the log never gave: missed, with the ID as sent, then everything
// retained. So is one that is no number, where the stream once started
// with the live events and lost silently what the client had missed.
func TestLastEventIDOutOfRange(t *testing.T) {
	b := newBroker(t, sse.Config{Retain: 2})
	for range 3 {
		b.Publish("t", sse.Event{Data: "d"})
	}
	s := serve(t, b)
	const huge = "99999999999999999999"
	c := open(t, s, "/events/t", huge)
	if ev := c.Next(t); ev.Type != "missed" || ev.Data != huge {
		t.Fatalf("first event %+v, want missed with %s", ev, huge)
	}
	for _, id := range []string{"2", "3"} {
		if ev := c.Next(t); ev.ID != id {
			t.Fatalf("got %+v, want ID %s", ev, id)
		}
	}
	other := open(t, s, "/events/t", "-1")
	b.Publish("t", sse.Event{Data: "live"})
	if ev := other.Next(t); ev.Type != "missed" || ev.Data != "-1" {
		t.Fatalf("a Last-Event-ID that is no number: got %+v first, want missed with -1", ev)
	}
	for _, id := range []string{"2", "3", "4"} {
		if ev := other.Next(t); ev.ID != id {
			t.Fatalf("got %+v, want ID %s", ev, id)
		}
	}
}

// A log numbers from above the time it was made, in microseconds, so that
// an ID from a log before a restart is older than every ID of the new
// one: Since reports it missed, whichever log numbered more events.
func TestMemoryLogRestart(t *testing.T) {
	ctx := context.Background()
	// A bubble's clock starts at midnight, 1 January 2000, UTC.
	const start = 946_684_800_000_000
	from1 := []sse.MemoryLogOption{sse.WithFirstID(1)}
	for _, tt := range []struct {
		name     string
		opts     []sse.MemoryLogOption
		first    uint64
		old, new int // events of the log before and after the restart
		down     time.Duration
		missed   bool
	}{
		{name: "more events after", first: start + 1, old: 3, new: 10, down: time.Second, missed: true},
		{name: "fewer events after", first: start + 1, old: 10, new: 3, down: time.Second, missed: true},
		{name: "none after", first: start + 1, old: 10, down: time.Second, missed: true},
		{name: "fewer events than microseconds up", first: start + 1, old: 999, new: 500, down: time.Millisecond, missed: true},
		// The limit: a log that gave an ID every microsecond of its life
		// ends where the next begins, and its last ID reads as "saw
		// nothing of the new log yet" (all of it is replayed, but not
		// reported missed).
		{name: "as many events as microseconds up", first: start + 1, old: 1000, new: 500, down: time.Millisecond},
		// From the same first ID in both, the old ID is one of the new
		// log's unless the new log has not reached it.
		{name: "from 1, more events after", opts: from1, first: 1, old: 3, new: 10, down: time.Second},
		{name: "from 1, fewer events after", opts: from1, first: 1, old: 10, new: 3, down: time.Second, missed: true},
		{name: "from 0 is from 1", opts: []sse.MemoryLogOption{sse.WithFirstID(0)}, first: 1, old: 3, new: 10, down: time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				before := sse.NewMemoryLog(0, tt.opts...)
				before.Open(func(string, sse.Event) {})
				var seen uint64
				for i := range tt.old {
					id, err := before.AppendWait(ctx, "t", sse.Event{})
					if err != nil || id != tt.first+uint64(i) {
						t.Fatalf("event %d: ID %d %v, want %d", i, id, err, tt.first+uint64(i))
					}
					seen = id
				}
				time.Sleep(tt.down)
				after := sse.NewMemoryLog(0, tt.opts...)
				after.Open(func(string, sse.Event) {})
				for range tt.new {
					after.Append("t", sse.Event{})
				}
				evs, _, missed, err := after.Since(ctx, "t", seen)
				if err != nil || missed != tt.missed {
					t.Errorf("an ID of the log before: missed %v %v, want %v", missed, err, tt.missed)
				}
				if tt.missed && len(evs) != tt.new {
					t.Errorf("replayed %d events, want every one retained, %d", len(evs), tt.new)
				}
			})
		})
	}
}

// "0" asks for everything retained (docs/events.md), as natssse.Log
// answers it: a log numbered from the clock that has dropped nothing must
// not report the client's 0 as missed.
func TestMemoryLogSinceZero(t *testing.T) {
	ctx := context.Background()
	l := sse.NewMemoryLog(3) // numbered from the clock
	l.Open(func(string, sse.Event) {})
	for range 3 {
		l.Append("t", sse.Event{})
	}
	evs, _, missed, err := l.Since(ctx, "t", 0)
	if err != nil || missed || len(evs) != 3 {
		t.Errorf("Since 0 with nothing dropped: %d events, missed %v, %v; want 3, not missed", len(evs), missed, err)
	}
	l.Append("t", sse.Event{}) // the first is dropped now
	evs, _, missed, err = l.Since(ctx, "t", 0)
	if err != nil || !missed || len(evs) != 3 {
		t.Errorf("Since 0 after a drop: %d events, missed %v, %v; want 3, missed", len(evs), missed, err)
	}
}

// A MemoryLog shared by two Brokers delivers every event to both, as
// Log.Open promises ("by this broker or another sharing it"), whichever
// call appends it: the second Open once replaced the first's delivery, so
// the first Broker's streams got nothing, not even its own publishers'.
func TestMemoryLogSharedByBrokers(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		append func(l *sse.MemoryLog) error
	}{
		{"Append", func(l *sse.MemoryLog) error { return l.Append("t", sse.Event{}) }},
		{"AppendWait", func(l *sse.MemoryLog) error {
			_, err := l.AppendWait(ctx, "t", sse.Event{})
			return err
		}},
		{"AppendWaitFunc", func(l *sse.MemoryLog) error {
			_, err := l.AppendWaitFunc(ctx, "t", func(uint64) (sse.Event, error) { return sse.Event{}, nil })
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := sse.NewMemoryLog(0, sse.WithFirstID(1))
			var got [2][]string
			for i := range got {
				l.Open(func(topic string, ev sse.Event) { got[i] = append(got[i], topic+":"+ev.ID) })
			}
			for range 2 {
				if err := tt.append(l); err != nil {
					t.Fatal(err)
				}
			}
			for i, ids := range got {
				if len(ids) != 2 || ids[0] != "t:1" || ids[1] != "t:2" {
					t.Errorf("delivery %d got %v, want [t:1 t:2]", i, ids)
				}
			}
		})
	}
}

// A closed Broker's delivery leaves its MemoryLog, which may outlive it
// (one shared by Brokers made and closed one after another): the log
// neither keeps it reachable, with what it holds, nor calls it on every
// Append. A Broker still open on the log keeps getting its events.
func TestMemoryLogDropsClosedBroker(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run("shared="+strconv.FormatBool(shared), func(t *testing.T) {
			l := sse.NewMemoryLog(0, sse.WithFirstID(1))
			var c *wharftest.EventStream
			if shared {
				c = open(t, serve(t, newBroker(t, sse.Config{Log: l})), "/events/t", "")
			}
			gone := func() weak.Pointer[sse.Broker] {
				b, err := sse.NewBroker(sse.Config{Log: l})
				if err != nil {
					t.Fatal(err)
				}
				if err := b.Close(); err != nil {
					t.Fatal(err)
				}
				return weak.Make(b)
			}()
			// Twice: the first collection leaves the Broker's sync.Pool,
			// used by Close, in the runtime's list of pools of the last
			// cycle, which holds it (and so the Broker) until the next.
			runtime.GC()
			runtime.GC()
			if gone.Value() != nil {
				t.Error("a closed Broker is still reachable from its MemoryLog")
			}
			if err := l.Append("t", sse.Event{Data: "after"}); err != nil {
				t.Fatal(err)
			}
			if c != nil {
				if ev := c.Next(t); ev.ID != "1" || ev.Data != "after" {
					t.Errorf("the Broker left open got %+v, want event 1", ev)
				}
			}
		})
	}
}
