package natssse_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// PublishWait returns the ID the streams send, on every instance; and
// PublishWaitFunc, raced from two instances with each other and with
// Publish on another topic of the stream, publishes events whose data
// holds their own ID: each returned ID is the one its event came with,
// and no two are one.
func TestPublishWait(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	a := start(t, modes.H1, nb, natssse.Config{FirstID: 1})
	b := start(t, modes.H1, nb, natssse.Config{FirstID: 1})
	onB := open(t, b.Server, "/events/t", "")
	ctx := t.Context()

	// On an empty stream, then after an event of another topic.
	id, err := a.b.PublishWaitFunc(ctx, "t", func(id string) (sse.Event, error) { return sse.Event{Data: id}, nil })
	if err != nil || id != "1" {
		t.Fatalf("the stream's first event: %q, %v", id, err)
	}
	if err := a.b.Publish("other", sse.Event{Data: "x"}); err != nil {
		t.Fatal(err)
	}
	<-a.js.PublishAsyncComplete() // stored, before B publishes
	id, err = b.b.PublishWait(ctx, "t", sse.Event{Event: "w", Data: "waited"})
	if err != nil || id != "3" {
		t.Fatalf("PublishWait after another topic's event: %q, %v", id, err)
	}
	for _, want := range []string{"1", "3"} {
		if ev := onB.Next(t); ev.ID != want {
			t.Fatalf("got %+v, want ID %s", ev, want)
		}
	}

	const perInstance = 40
	var (
		mu       sync.Mutex
		returned = map[string]bool{}
		wg       sync.WaitGroup
	)
	stop := make(chan struct{})
	wg.Go(func() { // the stream's other topic, busy meanwhile
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := a.b.Publish("other", sse.Event{Data: "x"}); err != nil {
				t.Error(err)
				return
			}
			<-a.js.PublishAsyncComplete()
		}
	})
	var pubs sync.WaitGroup
	for _, in := range []instance{a, b} {
		pubs.Go(func() {
			for range perInstance {
				id, err := in.b.PublishWaitFunc(ctx, "t", func(id string) (sse.Event, error) {
					return sse.Event{Event: "own", Data: "I am " + id}, nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if returned[id] {
					t.Errorf("the ID %s returned twice", id)
				}
				returned[id] = true
				mu.Unlock()
			}
		})
	}
	pubs.Wait()
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}
	for range 2 * perInstance {
		ev := onB.Next(t)
		if ev.Type != "own" || ev.Data != "I am "+ev.ID || !returned[ev.ID] {
			t.Fatalf("got %+v: not an event that holds its ID and whose ID was returned", ev)
		}
		delete(returned, ev.ID)
	}
}

// A log whose guess at the stream's last sequence is wrong (this one has
// no consumer, so it has seen nothing) is refused by the stream, stores
// nothing, and builds again for the ID the stream gives next.
func TestPublishWaitFuncRetries(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	l, js := newLog(t, nb, natssse.Config{FirstID: 1})
	ctx := context.Background()
	for range 3 {
		if _, err := js.Publish(ctx, "sse.other", nil); err != nil {
			t.Fatal(err)
		}
	}
	var tried []uint64
	id, err := l.AppendWaitFunc(ctx, "t", func(id uint64) (sse.Event, error) {
		tried = append(tried, id)
		return sse.Event{Data: fmt.Sprint(id)}, nil
	})
	if err != nil || id != 4 || fmt.Sprint(tried) != "[1 4]" {
		t.Fatalf("AppendWaitFunc: ID %d, %v, built for %v; want 4, built for [1 4]", id, err, tried)
	}
	evs, through, _, err := l.Since(ctx, "t", 0)
	if err != nil || through != 4 || len(evs) != 1 || evs[0].ID != "4" || evs[0].Data != "4" {
		t.Fatalf("the stream holds %+v through %d (%v), want one event 4 with data 4", evs, through, err)
	}
	// The log has learnt: its next guess is right the first time.
	tried = nil
	if id, err := l.AppendWaitFunc(ctx, "t", func(id uint64) (sse.Event, error) {
		tried = append(tried, id)
		return sse.Event{Data: strconv.FormatUint(id, 10)}, nil
	}); err != nil || id != 5 || len(tried) != 1 {
		t.Fatalf("the next AppendWaitFunc: ID %d, %v, built for %v", id, err, tried)
	}
	if id, err := l.AppendWait(ctx, "t", sse.Event{Data: strings.Repeat("x", 3)}); err != nil || id != 6 {
		t.Fatalf("AppendWait: %d, %v", id, err)
	}
}
