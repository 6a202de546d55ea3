package natssse_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// Since reads a replay a message or a batch at a time, while other
// instances keep appending: the stream may drop, by its per-topic limit,
// messages the replay has not read yet. A client whose last event was
// still retained when Since began must then be told it missed events,
// not handed a replay with a hole in it.
func TestSinceTrimmedWhileReading(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		retain   int    // the stream's per-topic limit, and how many events a holds
		at       string // before the request whose subject or body has this, the other instance appends...
		appendAt int    // ...at the appendAt-th such request
		appended int    // how many events it appends then
		ids      string
		missed   bool
	}{
		// a holds 1 2 3, the client saw 1. Two more drop 1 and 2
		// before the replay reads 2: it reads 3 only.
		{"trimmed before read", 3, "next_by_subj", 1, 2, "3", true},
		// Nothing appended meanwhile.
		{"quiet", 3, "", 0, 0, "2 3", false},
		// a holds 1..20, the client saw 1. The replay reads 2..9 one at
		// a time, then 12 more drop 1..12 before its consumer starts
		// at 10: the consumer reads 13..20.
		{"trimmed before the consumer", 20, "CONSUMER.CREATE", 1, 12, "2 3 4 5 6 7 8 9 13 14 15 16 17 18 19 20", true},
		// The same, quiet: the consumer reads 10..20.
		{"quiet with a consumer", 20, "", 0, 0, "2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nb := natstest.ForTestJetStream(t)
			other, _ := newLog(t, nb, natssse.Config{Retain: tt.retain, FirstID: 1})
			for range tt.retain {
				if _, err := other.AppendWait(ctx, "a", sse.Event{Data: "a"}); err != nil {
					t.Fatal(err)
				}
			}

			// This instance, whose requests to the stream the test
			// watches (the trace is called on Since's goroutine, before
			// each request is sent).
			var (
				once sync.Once
				next int
			)
			trace := &jetstream.ClientTrace{RequestSent: func(subject string, req []byte) {
				if tt.at == "" || !strings.Contains(subject, tt.at) && !strings.Contains(string(req), tt.at) {
					return
				}
				if next++; next == tt.appendAt {
					once.Do(func() {
						for range tt.appended {
							if _, err := other.AppendWait(ctx, "a", sse.Event{Data: "a"}); err != nil {
								t.Error(err)
							}
						}
					})
				}
			}}
			nc, err := nats.Connect(nb.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			js, err := jetstream.New(nc, jetstream.WithClientTrace(trace))
			if err != nil {
				t.Fatal(err)
			}
			l, err := natssse.New(ctx, js, natssse.Config{})
			if err != nil {
				t.Fatal(err)
			}

			evs, through, missed, err := l.Since(ctx, "a", 1)
			var ids []string
			for _, ev := range evs {
				ids = append(ids, ev.ID)
			}
			if err != nil || strings.Join(ids, " ") != tt.ids || missed != tt.missed || through != uint64(tt.retain) {
				t.Fatalf("Since(a, 1) = IDs %q through %d missed %v, %v; want %q through %d missed %v", ids, through, missed, err, tt.ids, tt.retain, tt.missed)
			}
			if tt.at != "" && next < tt.appendAt {
				t.Fatalf("Since sent %d requests with %q, the test appends at the %d-th", next, tt.at, tt.appendAt)
			}
		})
	}
}

// A topic with nothing retained has the stream's last sequence as its
// through (the ID a missed event then carries): a message of the topic
// stored while Since reads the stream's state, at a sequence up to that
// last, is in the replay, not taken for delivered and dropped at the
// seam.
func TestSinceEmptyTopicAppendedWhileReading(t *testing.T) {
	ctx := context.Background()
	nb := natstest.ForTestJetStream(t)
	other, _ := newLog(t, nb, natssse.Config{FirstID: 1})
	if _, err := other.AppendWait(ctx, "a", sse.Event{Data: "a"}); err != nil {
		t.Fatal(err)
	}
	var armed, appended bool
	trace := &jetstream.ClientTrace{RequestSent: func(subject string, _ []byte) {
		if armed && !appended && strings.Contains(subject, "STREAM.INFO") {
			appended = true
			if _, err := other.AppendWait(ctx, "c", sse.Event{Data: "c"}); err != nil {
				t.Error(err)
			}
		}
	}}
	nc, err := nats.Connect(nb.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithClientTrace(trace))
	if err != nil {
		t.Fatal(err)
	}
	l, err := natssse.New(ctx, js, natssse.Config{})
	if err != nil {
		t.Fatal(err)
	}
	armed = true
	evs, through, missed, err := l.Since(ctx, "c", 1)
	var ids []string
	for _, ev := range evs {
		ids = append(ids, ev.ID)
	}
	if err != nil || strings.Join(ids, " ") != "2" || through != 2 || missed {
		t.Fatalf("Since(c, 1) = IDs %q through %d missed %v, %v; want [2] through 2, not missed", ids, through, missed, err)
	}
	if !appended {
		t.Fatal("Since read no stream state: the test appended nothing")
	}
}
