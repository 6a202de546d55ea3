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
// and two instances each have their own (only sessions are shared).
type board struct {
	mu     sync.Mutex
	posts  []*Post // oldest first; ids only grow, so also sorted by id
	nextID int64
}

func newBoard() *board { return &board{nextID: 1} }

// add stores a new post by user and returns a copy of it. The single place
// where posts appear is where a live feed would hook in.
func (b *board) add(user, text string) Post {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := &Post{ID: b.nextID, User: user, Text: text, Attachments: []Attachment{}}
	b.nextID++
	b.posts = append(b.posts, p)
	return p.clone()
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
