package sse_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wharf-go/wharf/sse"
)

// PublishWait and PublishWaitFunc on the MemoryLog return the ID the
// stream sends, between events of Publish; PublishWaitFunc's event
// carries it in its data; what they refuse publishes nothing, and takes
// no ID.
func TestPublishWaitMemoryLog(t *testing.T) {
	b := newBroker(t, sse.Config{})
	s := serve(t, b)
	c := open(t, s, "/events/t", "")
	ctx := context.Background()

	var ids []string // the IDs the calls returned, in order
	if err := b.Publish("t", sse.Event{Data: "p"}); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, "") // Publish tells none
	id, err := b.PublishWait(ctx, "t", sse.Event{ID: "99", Data: "w"})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, id)
	id, err = b.PublishWaitFunc(ctx, "t", func(id string) (sse.Event, error) {
		return sse.Event{Event: "own", Data: "I am " + id}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, id)

	errBuild := errors.New("cannot build")
	for _, tt := range []struct {
		build func(string) (sse.Event, error)
		err   error
	}{
		{func(string) (sse.Event, error) { return sse.Event{}, errBuild }, errBuild},
		{func(string) (sse.Event, error) { return sse.Event{Event: "a\nb"}, nil }, sse.ErrInvalidEvent},
	} {
		if id, err := b.PublishWaitFunc(ctx, "t", tt.build); id != "" || !errors.Is(err, tt.err) {
			t.Fatalf("a build that fails: %q, %v; want %v", id, err, tt.err)
		}
	}
	if id, err := b.PublishWait(ctx, "t", sse.Event{Data: "\xff"}); id != "" || !errors.Is(err, sse.ErrInvalidEvent) {
		t.Fatalf("an invalid event: %q, %v", id, err)
	}
	if id, err = b.PublishWait(ctx, "t", sse.Event{Data: "after"}); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, id)

	for i, want := range []struct{ id, typ, data string }{
		{"1", "", "p"}, {"2", "", "w"}, {"3", "own", "I am 3"}, {"4", "", "after"},
	} {
		ev := c.Next(t)
		if ev.ID != want.id || ev.Type != want.typ || ev.Data != want.data {
			t.Fatalf("event %d: %+v, want %+v", i, ev, want)
		}
		if ids[i] != "" && ids[i] != ev.ID {
			t.Fatalf("call %d returned ID %s; its event came with %s", i, ids[i], ev.ID)
		}
	}
	if st := b.Stats(); st.Published != 4 {
		t.Fatalf("Published %d, want 4", st.Published)
	}
}

// A Log that does not say its IDs gets ErrUnsupported, not a guess; a
// closed Broker refuses as Publish does.
func TestPublishWaitRefuses(t *testing.T) {
	ctx := context.Background()
	plain := newBroker(t, sse.Config{Log: struct{ sse.Log }{sse.NewMemoryLog(0)}})
	if _, err := plain.PublishWait(ctx, "t", sse.Event{}); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("PublishWait on a plain Log: %v", err)
	}
	if err := plain.Publish("t", sse.Event{}); err != nil {
		t.Fatalf("Publish on a plain Log: %v", err)
	}

	b := newBroker(t, sse.Config{})
	if _, err := b.PublishWait(ctx, "a b", sse.Event{}); !errors.Is(err, sse.ErrInvalidTopic) {
		t.Fatalf("an invalid topic: %v", err)
	}
	b.Close()
	if _, err := b.PublishWait(ctx, "t", sse.Event{}); !errors.Is(err, sse.ErrClosed) {
		t.Fatalf("PublishWait after Close: %v", err)
	}
	if _, err := b.PublishWaitFunc(ctx, "t", func(string) (sse.Event, error) { return sse.Event{}, nil }); !errors.Is(err, sse.ErrClosed) {
		t.Fatalf("PublishWaitFunc after Close: %v", err)
	}
}
