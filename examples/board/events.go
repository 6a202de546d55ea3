package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// postsTopic is the topic of GET /events: one "post" event per new post,
// and one "deleted" event per deleted post.
const postsTopic = "posts"

// deletedEvent is the type of the event of a deleted post, whose data is
// the post's id.
const deletedEvent = "deleted"

// eventsStream and eventsPrefix name the JetStream stream of the board's
// events, with NATS, and the first token of its subjects ("board.<topic>").
const (
	eventsStream = "WHARF_BOARD_EVENTS"
	eventsPrefix = "board"
)

// openEvents returns the broker of GET /events, which also numbers the
// posts (see board.add). Its log is a MemoryLog without NATS (js nil),
// which numbers a topic's events one after another from above the time
// it was made, in microseconds, so that a page coming back after a
// restart is told it missed posts; with NATS, a natssse.Log
// on the same connection as the sessions, shared by every instance, whose
// IDs are the JetStream stream's sequence numbers, increasing and unique
// across the instances, as an EventSource that reconnects to any instance
// must resume from them.
func openEvents(ctx context.Context, js jetstream.JetStream) (*sse.Broker, error) {
	if js == nil {
		return sse.NewBroker(sse.Config{Log: postLog{sse.NewMemoryLog(0)}})
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	l, err := natssse.New(ctx, js, natssse.Config{Stream: eventsStream, Prefix: eventsPrefix})
	if err != nil {
		return nil, err
	}
	b, err := sse.NewBroker(sse.Config{Log: postLog{l}})
	if err != nil {
		l.Close()
		return nil, err
	}
	return b, nil
}

// postLog is the board's event log: the log it wraps, whose replay leaves
// out the event of every post whose deletion it also holds. The log
// cannot forget one event, and anyone may read it back from
// Last-Event-ID 0; without this a deleted post's text would still be
// served, and a page that reconnects would show the post again. The
// deletion's event comes after the post's, so a replay that holds the
// post holds its deletion too (unless the post was deleted after the
// replay was read: then the deletion follows live).
type postLog struct{ sse.WaitLog }

func (l postLog) Since(ctx context.Context, topic string, after uint64) ([]sse.Event, uint64, bool, error) {
	evs, through, missed, err := l.WaitLog.Since(ctx, topic, after)
	deleted := make(map[string]bool)
	for _, ev := range evs {
		if ev.Event == deletedEvent {
			deleted[ev.Data] = true
		}
	}
	if len(deleted) > 0 {
		// A copy: the slice may be the log's own.
		evs = slices.DeleteFunc(slices.Clone(evs), func(ev sse.Event) bool {
			return ev.Event != deletedEvent && deleted[ev.ID]
		})
	}
	return evs, through, missed, err
}

// deletionPublisher returns the board's unpublish (see board.remove): it
// publishes the event of post id's deletion and waits until the log has
// it, at most 5 seconds, as postPublisher does.
func deletionPublisher(events *sse.Broker) func(id int64) error {
	return func(id int64) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := events.PublishWait(ctx, postsTopic, sse.Event{Event: deletedEvent, Data: strconv.FormatInt(id, 10)})
		return err
	}
}

// postPublisher returns the board's publish (see board.add): it publishes
// on events the event of the post that post makes for the ID the log
// gives that event, and returns the ID. It waits for the log at most 5
// seconds (one JetStream acknowledgment, or a few when other instances'
// posts take the IDs it tries first), and not for the client, which may
// leave: a post whose event is published must not fail for that.
func postPublisher(events *sse.Broker) func(post func(id int64) Post) (int64, error) {
	return func(post func(id int64) Post) (int64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		id, err := events.PublishWaitFunc(ctx, postsTopic, func(id string) (sse.Event, error) {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				return sse.Event{}, fmt.Errorf("the event log gave the ID %q: %w", id, err)
			}
			return postEvent(post(n))
		})
		if err != nil {
			return 0, err
		}
		return strconv.ParseInt(id, 10, 64)
	}
}

// postEvent is the event of a new post: its data is the post's JSON as
// GET /api/posts/{id} answers it (without the final newline).
func postEvent(p Post) (sse.Event, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return sse.Event{}, err
	}
	return sse.Event{Event: "post", Data: string(b)}, nil
}
