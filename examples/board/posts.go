package main

import (
	"slices"
	"sync"
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
// and two instances each have their own (only sessions, the post IDs and
// the events are shared).
type board struct {
	// ids numbers the posts when instances share it (see openEvents);
	// nil means nextID does, 1, 2, 3, ...
	ids func() (int64, error)
	// publish sends a new post's event; nil means no events.
	publish func(Post) error

	mu     sync.Mutex
	posts  []*Post // oldest first; ids only grow, so also sorted by id
	nextID int64
}

func newBoard() *board { return &board{nextID: 1} }

// add stores a new post by user, publishes its event, and returns a copy
// of it. Both happen under the lock, so that the events go out in the
// order of the posts' IDs, and a post whose event is refused is not made
// (nor its ID used, when the board numbers its posts): so a page that
// shows a post has had, or will have, its event, and without NATS the
// events' IDs are the posts' IDs.
func (b *board) add(user, text string) (Post, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.nextID
	if b.ids != nil {
		var err error
		if id, err = b.ids(); err != nil {
			return Post{}, err
		}
	}
	p := &Post{ID: id, User: user, Text: text, Attachments: []Attachment{}}
	if b.publish != nil {
		if err := b.publish(p.clone()); err != nil {
			return Post{}, err
		}
	}
	b.nextID = id + 1
	b.posts = append(b.posts, p)
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
// whose files the caller removes.
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
