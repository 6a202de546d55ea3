package natssse_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/sse/natssse"
)

// sinceLog is a Log on a connection of its own, whose messages out count
// the requests of its Since, and a JetStream on another connection that
// appends for it.
func sinceLog(t testing.TB, nb *natstest.Broker, cfg natssse.Config) (*natssse.Log, *nats.Conn, jetstream.JetStream) {
	t.Helper()
	other := nb.JetStream(t)
	if _, err := natssse.New(t.Context(), other, cfg); err != nil {
		t.Fatal(err)
	}
	nc, js := nb.Connect(t)
	l, err := natssse.New(t.Context(), js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l, nc, other
}

// publish appends n events of each topic in turn: with FirstID 1, the
// k-th topic's events are at the sequences k+1, k+1+len(topics), ...
func publish(t testing.TB, js jetstream.JetStream, prefix string, n int, topics ...string) {
	t.Helper()
	for i := range n {
		for _, topic := range topics {
			if _, err := js.PublishAsync(prefix+"."+topic, []byte(strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-t.Context().Done():
		t.Fatal("publishing did not complete")
	}
}

// A replay of hundreds of events costs a handful of requests to the
// broker, not one per event, leaves no consumer behind, and returns
// exactly what it did: a's events after the ID, in order, through a's
// last, when they are interleaved with b's.
func TestSinceRequestsPerReplay(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	l, nc, other := sinceLog(t, nb, natssse.Config{FirstID: 1})
	publish(t, other, "sse", 500, "a", "b") // a: 1, 3, ..., 999; b: 2, 4, ..., 1000
	ctx := t.Context()
	before := nc.Stats().OutMsgs
	evs, through, missed, err := l.Since(ctx, "a", 1)
	requests := nc.Stats().OutMsgs - before
	if err != nil || through != 999 || missed || len(evs) != 499 {
		t.Fatalf("Since(a, 1) = %d events through %d missed %v, %v; want 499 through 999, not missed", len(evs), through, missed, err)
	}
	for i, ev := range evs {
		if want := strconv.Itoa(3 + 2*i); ev.ID != want || ev.Data != strconv.Itoa(i+1) {
			t.Fatalf("event %d: ID %s data %q, want ID %s data %q", i, ev.ID, ev.Data, want, strconv.Itoa(i+1))
		}
	}
	// The last message, 8 single reads, the consumer's creation, one
	// pull, its deletion and the client's message: 13. One request per
	// event made it 501.
	if requests > 16 {
		t.Errorf("a replay of %d events sent %d requests to the broker", len(evs), requests)
	}
	t.Logf("a replay of %d events: %d requests", len(evs), requests)
	s, err := other.Stream(ctx, "WHARF_SSE")
	if err != nil {
		t.Fatal(err)
	}
	if info, err := s.Info(ctx); err != nil || info.State.Consumers != 0 {
		t.Errorf("after Since, the stream has %v consumers (%v), want none", info.State.Consumers, err)
	}
}

// What Since returns for Last-Event-IDs on either side of the switch from
// single reads to a consumer, on two interleaved topics: a at the odd
// sequences 1..199, b at the even ones 2..200, with the stream keeping
// every event. An ID of b's, right before one of a's, is missed nothing:
// no message of a lies between the two (a missed event carries such an
// ID, so that its client is not told again).
func TestSinceAcrossReadingStrategies(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	l, _, other := sinceLog(t, nb, natssse.Config{FirstID: 1})
	publish(t, other, "sse", 100, "a", "b")
	for _, after := range []uint64{0, 1, 2, 5, 9, 12, 15, 16, 17, 18, 19, 20, 21, 25, 100, 101, 150, 189, 190, 191, 197, 198, 199, 200, 201, 500} {
		var want []string
		for seq := uint64(1); seq <= 199; seq += 2 {
			if seq > after || after > 199 {
				want = append(want, strconv.FormatUint(seq, 10))
			}
		}
		wantMissed := after > 199
		evs, through, missed, err := l.Since(t.Context(), "a", after)
		var ids []string
		for _, ev := range evs {
			ids = append(ids, ev.ID)
		}
		if err != nil || !slices.Equal(ids, want) || missed != wantMissed || through != 199 {
			t.Errorf("Since(a, %d) = %v through %d missed %v, %v; want %v through 199 missed %v", after, ids, through, missed, err, want, wantMissed)
		}
	}
}

// A stream that refuses the replay's consumer (its MaxConsumers is
// reached) still gives the whole replay, read one event at a time.
func TestSinceWithoutConsumer(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	js := nb.JetStream(t)
	ctx := t.Context()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WHARF_SSE", Subjects: []string{"sse.>"}, MaxConsumers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "full", AckPolicy: jetstream.AckNonePolicy}); err != nil {
		t.Fatal(err)
	}
	l, err := natssse.New(ctx, js, natssse.Config{})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, js, "sse", 40, "a")
	evs, through, missed, err := l.Since(ctx, "a", 0)
	if err != nil || through != 40 || missed || len(evs) != 40 {
		t.Fatalf("Since(a, 0) = %d events through %d missed %v, %v; want 40 through 40", len(evs), through, missed, err)
	}
	for i, ev := range evs {
		if ev.ID != strconv.Itoa(i+1) {
			t.Fatalf("event %d has ID %s", i, ev.ID)
		}
	}
}

// BenchmarkSince replays 10, 100 and 1,000 events of a topic from an
// embedded broker; reqs/op is the messages Since's connection sent.
func BenchmarkSince(b *testing.B) {
	nb := natstest.ForTestJetStream(b)
	l, nc, other := sinceLog(b, nb, natssse.Config{FirstID: 1, Retain: 1000})
	publish(b, other, "sse", 1000, "t")
	for _, n := range []uint64{10, 100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			before := nc.Stats().OutMsgs
			for b.Loop() {
				evs, _, _, err := l.Since(ctx, "t", 1000-n)
				if err != nil || uint64(len(evs)) != n {
					b.Fatalf("Since: %d events, %v; want %d", len(evs), err, n)
				}
			}
			b.ReportMetric(float64(nc.Stats().OutMsgs-before)/float64(b.N), "reqs/op")
		})
	}
}
