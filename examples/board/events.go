package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// postsTopic is the topic of GET /events: one "post" event per new post.
const postsTopic = "posts"

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
		return sse.NewBroker(sse.Config{})
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	l, err := natssse.New(ctx, js, natssse.Config{Stream: eventsStream, Prefix: eventsPrefix})
	if err != nil {
		return nil, err
	}
	b, err := sse.NewBroker(sse.Config{Log: l})
	if err != nil {
		l.Close()
		return nil, err
	}
	return b, nil
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
