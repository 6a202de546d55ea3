package main

import (
	"net/http"
	"slices"
	"sync"

	"github.com/wharf-go/wharf/api"
)

// Post is one message on the board, as the API answers it.
type Post struct {
	ID          int64        `json:"id"`
	User        string       `json:"user"`
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment is a file attached to a post, served at URL.
type Attachment struct {
	URL  string `json:"url"`
	Size int64  `json:"size"`
}

// board holds the posts of this process, in memory: a restart loses them,
// and two instances each have their own (only sessions and the events,
// which number the posts, are shared).
type board struct {
	// publish publishes the event of a new post, which post makes for the
	// ID the event gets in the log, and returns that ID (postPublisher).
	// post may be called more than once, for different IDs.
	publish func(post func(id int64) Post) (int64, error)
	// unpublish publishes the event of post id's deletion, which takes
	// the post out of the replays of GET /events (postLog).
	unpublish func(id int64) error

	mu    sync.Mutex
	posts []*Post // oldest first; the log's IDs grow, so also sorted by id
}

// add makes a new post by user, publishes its event, and returns a copy of
// the post.
//
// A post's id is the ID of its event in the broker's log, and the event's
// data is the post's JSON, id included: so the data can only be made once
// the ID is known, and the ID only the log can give (with NATS, the
// stream's sequence, which JetStream assigns as it stores the message).
// The board therefore lets the log number the event first and builds the
// post, and the event's data, for that number (sse.Broker.PublishWaitFunc:
// the MemoryLog builds it under its topic lock; natssse publishes it on
// condition that the stream's sequence has not moved, and has it built
// again for the next number when another instance's event came first).
// Guessing the ID instead and publishing a fixed event would give some
// events a data that names another post's id; reserving IDs apart from
// the log, as a KV counter did, gave posts ids that were not their
// events'.
//
// The post is stored only once its event is, and both happen under the
// lock. So the posts are stored in the order of their ids (which the log
// makes increase); a post whose event is refused is not made (the handler
// answers 503); and a client that got the event from this instance and
// asks GET /api/posts/{id} here waits for the lock, and finds the post.
// With NATS the lock is held for the JetStream round trip: reads wait
// that long, which is an example's trade for that guarantee.
func (b *board) add(user, text string) (Post, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	newPost := func(id int64) Post {
		return Post{ID: id, User: user, Text: text, Attachments: []Attachment{}}
	}
	id, err := b.publish(newPost)
	if err != nil {
		return Post{}, err
	}
	p := newPost(id)
	b.posts = append(b.posts, &p)
	return p.clone(), nil
}

// all returns copies of every post, oldest first, so that callers encode
// them without holding the lock.
func (b *board) all() []Post {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Post, len(b.posts))
	for i, p := range b.posts {
		out[i] = p.clone()
	}
	return out
}

// get returns a copy of the post with id.
func (b *board) get(id int64) (Post, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i, ok := b.find(id); ok {
		return b.posts[i].clone(), true
	}
	return Post{}, false
}

// remove deletes post id if user wrote it, and returns its attachments,
// whose files the caller removes. As a post is made only once its event
// is published, it is deleted only once its deletion's is: otherwise its
// text would stay readable on GET /events.
func (b *board) remove(id int64, user string) ([]Attachment, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i, ok := b.find(id)
	if !ok {
		return nil, errNoPost
	}
	if b.posts[i].User != user {
		return nil, errNotAuthor
	}
	if err := b.unpublish(id); err != nil {
		return nil, &api.StatusError{Code: http.StatusServiceUnavailable, Err: err}
	}
	atts := b.posts[i].Attachments
	b.posts = slices.Delete(b.posts, i, i+1)
	return atts, nil
}

// authorOf returns who wrote post id.
func (b *board) authorOf(id int64) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i, ok := b.find(id)
	if !ok {
		return "", errNoPost
	}
	return b.posts[i].User, nil
}

// attach adds a to post id if user wrote it. The post may have been
// deleted while its upload was read, hence the second check after
// authorOf.
func (b *board) attach(id int64, user string, a Attachment) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	i, ok := b.find(id)
	if !ok {
		return errNoPost
	}
	if b.posts[i].User != user {
		return errNotAuthor
	}
	b.posts[i].Attachments = append(b.posts[i].Attachments, a)
	return nil
}

func (b *board) find(id int64) (int, bool) {
	return slices.BinarySearchFunc(b.posts, id, func(p *Post, id int64) int {
		switch {
		case p.ID < id:
			return -1
		case p.ID > id:
			return 1
		}
		return 0
	})
}

func (p *Post) clone() Post {
	c := *p
	c.Attachments = slices.Clone(p.Attachments)
	return c
}
