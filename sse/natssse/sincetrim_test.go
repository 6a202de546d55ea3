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

// Since reads a replay one message at a time, while other instances keep
// appending: the stream may drop, by its per-topic limit, messages the
// replay has not read yet. A client whose last event was still retained
// when Since began must then be told it missed events, not handed a
// replay with a hole in it.
func TestSinceTrimmedWhileReading(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		appendAt int // before which "next message" request of Since the other instance appends
		appended int // how many events it appends then
		ids      string
		missed   bool
	}{
		// a holds 1 2 3, the client saw 1. Two more drop 1 and 2
		// before the replay reads 2: it reads 3 only.
		{"trimmed before read", 1, 2, "3", true},
		// Nothing appended meanwhile.
		{"quiet", 0, 0, "23", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nb := natstest.ForTestJetStream(t)
			other, _ := newLog(t, nb, natssse.Config{Retain: 3, FirstID: 1})
			for range 3 {
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
			trace := &jetstream.ClientTrace{RequestSent: func(_ string, req []byte) {
				if !strings.Contains(string(req), "next_by_subj") {
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
			ids := ""
			for _, ev := range evs {
				ids += ev.ID
			}
			if err != nil || ids != tt.ids || missed != tt.missed || through != 3 {
				t.Fatalf("Since(a, 1) = IDs %q through %d missed %v, %v; want %q through 3 missed %v", ids, through, missed, err, tt.ids, tt.missed)
			}
		})
	}
}
