package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// postsTopic is the topic of GET /events: one "post" event per new post.
const postsTopic = "posts"

// The NATS names the board uses besides the session bucket: the
// JetStream stream of its events (subjects "board.<topic>") and the KV
// bucket whose revisions number the posts of every instance.
const (
	eventsStream = "WHARF_BOARD_EVENTS"
	eventsPrefix = "board"
	idsBucket    = "wharf_board_post_ids"
)

// openEvents returns the broker of GET /events and the source of post
// IDs that goes with it, and what closes the broker (after the container
// has shut down, which ended its streams).
//
// Without NATS (js nil) the log is a MemoryLog and the posts are numbered
// 1, 2, 3, ... by the board itself: as the board publishes each post once,
// in the order of their IDs, while it holds its lock, and makes no post
// whose event was refused, the log's numbers are the posts' IDs.
//
// With NATS, the log is a natssse.Log on the same connection as the
// sessions, shared by every instance, and its IDs are the JetStream
// stream's sequence numbers, which no instance can choose: an
// EventSource that reconnects to any instance must resume from them. The
// posts are numbered by a KV bucket instead (each post's ID is the
// revision of a Put), so that no two instances give the same ID to two
// posts and a page can tell the posts it shows apart by their IDs.
func openEvents(ctx context.Context, js jetstream.JetStream) (*sse.Broker, func() (int64, error), error) {
	if js == nil {
		b, err := sse.NewBroker(sse.Config{})
		return b, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	l, err := natssse.New(ctx, js, natssse.Config{Stream: eventsStream, Prefix: eventsPrefix})
	if err != nil {
		return nil, nil, err
	}
	b, err := sse.NewBroker(sse.Config{Log: l})
	if err != nil {
		l.Close()
		return nil, nil, err
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      idsBucket,
		Description: "Wharf board: the revisions of its key number the posts",
		History:     1,
	})
	if err != nil {
		b.Close()
		return nil, nil, fmt.Errorf("opening the post ID bucket: %w", err)
	}
	nextID := func() (int64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rev, err := kv.Put(ctx, "last", nil)
		if err != nil {
			return 0, fmt.Errorf("numbering a post: %w", err)
		}
		return int64(rev), nil
	}
	return b, nextID, nil
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
