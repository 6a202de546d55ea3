package main

import (
	"net/http"
	"slices"
	"strconv"
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

// What one process keeps, whoever posts: without a bound, one user
// posting in a loop would fill its memory, and GET /api/posts, which
// answers every post, would grow with it; one attaching in a loop would
// fill the disk.
const (
	// maxPosts is how many posts are kept, as many events as the log
	// replays (posts and deletions: fewer posts, once some are deleted):
	// a new post past it drops the oldest, its files with it.
	maxPosts = 1000
	// maxPostAttachments is how many files one post may hold.
	maxPostAttachments = 4
	// maxAttachedBytes bounds the files of all the posts together.
	maxAttachedBytes = 1 << 30
)

var (
	errTooManyAttachments = api.Error(http.StatusConflict, "a post holds at most "+strconv.Itoa(maxPostAttachments)+" files")
	errAttachmentsFull    = api.Error(http.StatusInsufficientStorage, "the board's files fill the "+strconv.Itoa(maxAttachedBytes>>30)+" GiB it keeps: try again once posts are deleted")
)

// Attachment is a file attached to a post, served at URL.
type Attachment struct {
	URL  string `json:"url"`
	Size int64  `json:"size"`
}

// board holds the posts of this process, in memory: a restart loses them,
// and two instances each have their own (only sessions and the events,
// which number the posts, are shared).
//
// Publishing an event is a round trip to the log (with NATS, up to 5
// seconds when JetStream is slow), so no lock is held across one: the
// lock guards the posts, and the publications under way are listed beside
// them, for the readers that must wait for their outcome (see add).
type board struct {
	// publish publishes the event of a new post, which post makes for the
	// ID the event gets in the log, and returns that ID (postPublisher).
	// post may be called more than once, for different IDs.
	publish func(post func(id int64) Post) (int64, error)
	// unpublish publishes the event of post id's deletion, which takes
	// the post out of the replays of GET /events (postLog).
	unpublish func(id int64) error

	mu    sync.Mutex
	posts []*Post // by id, which the log makes increase: oldest first
	bytes int64   // the size of every post's attachments, together
	// adding has a channel per post whose event is being published, and
	// deleting one per post whose deletion's event is; each is closed
	// once the outcome is stored.
	adding   []chan struct{}
	deleting []deletion
}

type deletion struct {
	id   int64
	done chan struct{}
}

// add makes a new post by user, publishes its event, and returns a copy of
// the post, and the attachments of the posts it dropped to keep maxPosts,
// whose files the caller removes.
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
// The post is stored only once its event is, in the place its id gives it
// among the posts (two posts published at once may come back in either
// order), and a post whose event is refused is not made (the handler
// answers 503). Its event may reach the streams before PublishWaitFunc
// returns, so a reader that may have seen it waits for the posts under
// way, not for a lock: GET /api/posts/{id} when it does not find the
// post, as a client that got the event from this instance must find it,
// and GET /api/posts, which the page reads after opening its
// EventSource. Other requests, and other posts, do not wait.
func (b *board) add(user, text string) (Post, []Attachment, error) {
	done := make(chan struct{})
	b.mu.Lock()
	b.adding = append(b.adding, done)
	b.mu.Unlock()
	defer close(done)

	newPost := func(id int64) Post {
		return Post{ID: id, User: user, Text: text, Attachments: []Attachment{}}
	}
	id, err := b.publish(newPost)

	b.mu.Lock()
	defer b.mu.Unlock()
	b.adding = slices.DeleteFunc(b.adding, func(c chan struct{}) bool { return c == done })
	if err != nil {
		return Post{}, nil, err
	}
	p := newPost(id)
	i, _ := b.find(id)
	b.posts = slices.Insert(b.posts, i, &p)
	var dropped []Attachment
	if n := len(b.posts) - maxPosts; n > 0 {
		for _, old := range b.posts[:n] {
			dropped = append(dropped, old.Attachments...)
			b.bytes -= old.size()
		}
		b.posts = slices.Delete(b.posts, 0, n)
	}
	return p.clone(), dropped, nil
}

// all returns copies of every post, oldest first, so that callers encode
// them without holding the lock. It waits for the publications under way
// first: a page that opened its EventSource before it asked may have been
// sent their events already.
func (b *board) all() []Post {
	b.mu.Lock()
	wait := make([]chan struct{}, 0, len(b.adding)+len(b.deleting))
	wait = append(wait, b.adding...)
	for _, d := range b.deleting {
		wait = append(wait, d.done)
	}
	b.mu.Unlock()
	for _, c := range wait {
		<-c
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Post, len(b.posts))
	for i, p := range b.posts {
		out[i] = p.clone()
	}
	return out
}

// get returns a copy of the post with id. A client may ask for it as soon
// as its event arrives, before the post is stored, or ask for a post whose
// deletion it was sent: so get waits, once, for the posts under way when
// it does not find the post, and for the post's deletion under way when
// it does.
func (b *board) get(id int64) (Post, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i, ok := b.find(id)
	var wait []chan struct{}
	if ok {
		if d, deleting := b.deletionOf(id); deleting {
			wait = []chan struct{}{d}
		}
	} else {
		wait = slices.Clone(b.adding)
	}
	if len(wait) > 0 {
		b.mu.Unlock()
		for _, c := range wait {
			<-c
		}
		b.mu.Lock()
		i, ok = b.find(id)
	}
	if !ok {
		return Post{}, false
	}
	return b.posts[i].clone(), true
}

// remove deletes post id if user wrote it, and returns its attachments,
// whose files the caller removes. As a post is made only once its event
// is published, it is deleted only once its deletion's is: otherwise its
// text would stay readable on GET /events. A second deletion of the post
// waits for the outcome of the first, so that one deletion's event is
// published, and a failed one can be tried again.
func (b *board) remove(id int64, user string) ([]Attachment, error) {
	b.mu.Lock()
	for {
		d, deleting := b.deletionOf(id)
		if !deleting {
			break
		}
		b.mu.Unlock()
		<-d
		b.mu.Lock()
	}
	i, ok := b.find(id)
	if !ok {
		b.mu.Unlock()
		return nil, errNoPost
	}
	if b.posts[i].User != user {
		b.mu.Unlock()
		return nil, errNotAuthor
	}
	done := make(chan struct{})
	b.deleting = append(b.deleting, deletion{id: id, done: done})
	b.mu.Unlock()
	defer close(done)

	err := b.unpublish(id)

	b.mu.Lock()
	defer b.mu.Unlock()
	b.deleting = slices.DeleteFunc(b.deleting, func(d deletion) bool { return d.done == done })
	if err != nil {
		return nil, &api.StatusError{Code: http.StatusServiceUnavailable, Err: err}
	}
	// No other deletion took it out, but new posts may have dropped it
	// meanwhile, its files with it. An attachment added meanwhile goes
	// with it.
	i, ok = b.find(id)
	if !ok {
		return nil, nil
	}
	atts := b.posts[i].Attachments
	b.bytes -= b.posts[i].size()
	b.posts = slices.Delete(b.posts, i, i+1)
	return atts, nil
}

// deletionOf returns the channel of post id's deletion under way, if any.
func (b *board) deletionOf(id int64) (chan struct{}, bool) {
	for _, d := range b.deleting {
		if d.id == id {
			return d.done, true
		}
	}
	return nil, false
}

// mayAttach reports why user may not attach a file to post id, if they
// may not: the post is not theirs, holds maxPostAttachments files, or the
// board's files fill maxAttachedBytes.
func (b *board) mayAttach(id int64, user string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, err := b.attachable(id, user, 0)
	return err
}

// attach adds a to post id if user wrote it and the limits allow it. The
// post may have been deleted, or filled, while its upload was read, hence
// the second check after mayAttach.
func (b *board) attach(id int64, user string, a Attachment) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, err := b.attachable(id, user, a.Size)
	if err != nil {
		return err
	}
	p.Attachments = append(p.Attachments, a)
	b.bytes += a.Size
	return nil
}

// attachable returns post id if user may attach a file of size bytes to
// it. b.mu is held.
func (b *board) attachable(id int64, user string, size int64) (*Post, error) {
	i, ok := b.find(id)
	switch {
	case !ok:
		return nil, errNoPost
	case b.posts[i].User != user:
		return nil, errNotAuthor
	case len(b.posts[i].Attachments) >= maxPostAttachments:
		return nil, errTooManyAttachments
	case b.bytes+size > maxAttachedBytes, size == 0 && b.bytes >= maxAttachedBytes:
		return nil, errAttachmentsFull
	}
	return b.posts[i], nil
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

// size is the size of p's attachments, together.
func (p *Post) size() int64 {
	var n int64
	for _, a := range p.Attachments {
		n += a.Size
	}
	return n
}

func (p *Post) clone() Post {
	c := *p
	c.Attachments = slices.Clone(p.Attachments)
	return c
}
