package main

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
)

// slowLog stands for the board's event log over a network: it numbers the
// events one after another, and each publication waits for the test to
// answer it, as one waits for JetStream's acknowledgment.
type slowLog struct {
	t    *testing.T
	b    *board
	mu   sync.Mutex
	next int64
	pubs chan publication
}

// publication is an event under way: a new post's, or a deletion's.
type publication struct {
	id      int64
	deleted bool
	answer  chan error // nil: published
}

var errRefused = errors.New("refused by the log")

// newSlowBoard returns a board on a slowLog, and the publications it makes.
func newSlowBoard(t *testing.T) (*board, <-chan publication) {
	l := &slowLog{t: t, next: 1, pubs: make(chan publication)}
	l.b = &board{
		publish: func(post func(int64) Post) (int64, error) {
			l.mu.Lock()
			id := l.next
			l.next++
			l.mu.Unlock()
			post(id)
			return id, l.roundTrip(id, false)
		},
		unpublish: func(id int64) error { return l.roundTrip(id, true) },
	}
	return l.b, l.pubs
}

func (l *slowLog) roundTrip(id int64, deleted bool) error {
	if !l.b.mu.TryLock() {
		l.t.Errorf("the board's lock is held across the publication of post %d's event (deleted: %v)", id, deleted)
		return errRefused
	}
	l.b.mu.Unlock()
	answer := make(chan error)
	l.pubs <- publication{id: id, deleted: deleted, answer: answer}
	return <-answer
}

// start runs f on a goroutine of its own and returns its result's channel.
func start[T any](f func() T) <-chan T {
	c := make(chan T, 1)
	go func() { c <- f() }()
	return c
}

// waiting fails the test if c has a result once the bubble is idle.
func waiting[T any](t *testing.T, what string, c <-chan T) {
	t.Helper()
	synctest.Wait()
	select {
	case v := <-c:
		t.Fatalf("%s returned %v before the publication under way ended", what, v)
	default:
	}
}

// addNow makes a post whose event the log accepts at once.
func addNow(t *testing.T, b *board, pubs <-chan publication, user, text string) Post {
	t.Helper()
	type added struct {
		p   Post
		err error
	}
	res := start(func() added { p, _, err := b.add(user, text); return added{p, err} })
	select {
	case pub := <-pubs:
		pub.answer <- nil
	case a := <-res:
		t.Fatalf("add %q ended before its event was published: %v", text, a.err)
	}
	a := <-res
	if a.err != nil {
		t.Fatalf("add %q: %v", text, a.err)
	}
	return a.p
}

// While a post's event is under way, which may take seconds with NATS,
// the board goes on serving every other request, other posts included,
// and a post whose event comes back after a later one's is still listed
// in the order of the ids.
func TestBoardPublishesWithoutItsLock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, pubs := newSlowBoard(t)
		first := addNow(t, b, pubs, "ann", "first")

		slow := start(func() error { _, _, err := b.add("bob", "slow"); return err })
		slowPub := <-pubs

		if p, ok := b.get(first.ID); !ok || p.Text != "first" {
			t.Errorf("get(%d) = %v, %v while a post was under way", first.ID, p, ok)
		}
		if err := b.mayAttach(first.ID, "ann"); err != nil {
			t.Errorf("mayAttach(%d) = %v", first.ID, err)
		}
		if err := b.attach(first.ID, "ann", Attachment{URL: "/attachments/a", Size: 1}); err != nil {
			t.Errorf("attach: %v", err)
		}
		fast := start(func() error { _, _, err := b.add("cat", "fast"); return err })
		(<-pubs).answer <- nil
		if err := <-fast; err != nil {
			t.Fatalf("a post made while another was under way: %v", err)
		}
		removed := start(func() error { _, err := b.remove(first.ID, "ann"); return err })
		if p := <-pubs; !p.deleted || p.id != first.ID {
			t.Fatalf("publication %+v, want the deletion of post %d", p, first.ID)
		} else {
			p.answer <- nil
		}
		if err := <-removed; err != nil {
			t.Fatalf("a deletion while a post was under way: %v", err)
		}

		slowPub.answer <- nil
		if err := <-slow; err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range b.all() {
			got = append(got, fmt.Sprint(p.ID, p.Text))
		}
		if want := []string{"2slow", "3fast"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("all() = %v, want %v", got, want)
		}
	})
}

// A reader that may have been sent an event already finds what it says:
// GET /api/posts/{id} of a post not stored yet, or of one being deleted,
// and GET /api/posts, wait for the publications under way and answer by
// their outcome.
func TestBoardReadersWaitForPublications(t *testing.T) {
	type outcome struct {
		listed, found bool
	}
	for _, tc := range []struct {
		name     string
		deletion bool  // the publication under way is post 1's deletion, else post 3's
		answer   error // the log's answer to it
		want     outcome
	}{
		{name: "post published", answer: nil, want: outcome{listed: true, found: true}},
		{name: "post refused", answer: errRefused, want: outcome{}},
		{name: "deletion published", deletion: true, answer: nil, want: outcome{}},
		{name: "deletion refused", deletion: true, answer: errRefused, want: outcome{listed: true, found: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b, pubs := newSlowBoard(t)
				addNow(t, b, pubs, "ann", "first")
				other := addNow(t, b, pubs, "ann", "second").ID
				id := int64(3)
				var done <-chan error
				if tc.deletion {
					id = 1
					done = start(func() error { _, err := b.remove(id, "ann"); return err })
				} else {
					done = start(func() error { _, _, err := b.add("ann", "third"); return err })
				}
				pub := <-pubs

				type got struct {
					p  Post
					ok bool
				}
				gets := start(func() got { p, ok := b.get(id); return got{p, ok} })
				alls := start(b.all)
				waiting(t, "get", gets)
				waiting(t, "all", alls)
				if p, ok := b.get(other); !ok {
					t.Errorf("get(%d) of a post with nothing under way: %v, %v", other, p, ok)
				}

				pub.answer <- tc.answer
				if err := <-done; (err == nil) != (tc.answer == nil) {
					t.Errorf("the publication ended with %v, the log answered %v", err, tc.answer)
				}
				g := <-gets
				listed := false
				for _, p := range <-alls {
					listed = listed || p.ID == id
				}
				if o := (outcome{listed: listed, found: g.ok}); o != tc.want {
					t.Errorf("post %d: %+v, want %+v", id, o, tc.want)
				}
			})
		})
	}
}

// A post is deleted once: a second deletion waits for the first, and is a
// 404 after it, or tries again when the log refused the first.
func TestBoardDeletesOnce(t *testing.T) {
	for _, tc := range []struct {
		name       string
		first      error // the log's answer to the first deletion
		secondSent bool  // whether the second publishes a deletion
		want       error
	}{
		{name: "first published", first: nil, want: errNoPost},
		{name: "first refused", first: errRefused, secondSent: true, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b, pubs := newSlowBoard(t)
				p := addNow(t, b, pubs, "ann", "first")
				first := start(func() error { _, err := b.remove(p.ID, "ann"); return err })
				pub := <-pubs
				second := start(func() error { _, err := b.remove(p.ID, "ann"); return err })
				waiting(t, "the second deletion", second)

				pub.answer <- tc.first
				if err := <-first; (err == nil) != (tc.first == nil) {
					t.Errorf("the first deletion: %v, the log answered %v", err, tc.first)
				}
				if tc.secondSent {
					(<-pubs).answer <- nil
				}
				if err := <-second; !errors.Is(err, tc.want) {
					t.Errorf("the second deletion: %v, want %v", err, tc.want)
				}
			})
		})
	}
}

// The files of all the posts together stay within maxAttachedBytes: an
// upload past it is refused, before its body is read once the board is
// full, and what a deletion or a dropped post frees may be used again.
// A deletion of a post that new posts dropped while its event was under
// way ends well.
func TestBoardAttachedBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, pubs := newSlowBoard(t)
		p1 := addNow(t, b, pubs, "ann", "first").ID
		p2 := addNow(t, b, pubs, "ann", "second").ID
		att := func(size int64) Attachment { return Attachment{URL: "/attachments/f", Size: size} }
		for _, step := range []struct {
			id   int64
			size int64 // 0: mayAttach
			want error
		}{
			{p1, maxAttachedBytes / 2, nil},
			{p1, maxAttachedBytes/2 - 1, nil},
			{p2, 2, errAttachmentsFull},
			{p2, 0, nil},
			{p2, 1, nil},
			{p2, 1, errAttachmentsFull},
			{p2, 0, errAttachmentsFull},
		} {
			var err error
			if step.size == 0 {
				err = b.mayAttach(step.id, "ann")
			} else {
				err = b.attach(step.id, "ann", att(step.size))
			}
			if !errors.Is(err, step.want) {
				t.Fatalf("a file of %d bytes on post %d with %d attached: %v, want %v", step.size, step.id, b.bytes, err, step.want)
			}
		}

		removed := start(func() error { _, err := b.remove(p1, "ann"); return err })
		(<-pubs).answer <- nil
		if err := <-removed; err != nil {
			t.Fatal(err)
		}
		if err := b.attach(p2, "ann", att(maxAttachedBytes/2)); err != nil {
			t.Fatalf("after the deletion of a post with half the bytes: %v", err)
		}

		// p2 is dropped by new posts while its deletion is under way.
		removed = start(func() error { _, err := b.remove(p2, "ann"); return err })
		deletion := <-pubs
		var dropped []Attachment
		for i := range maxPosts {
			res := start(func() error {
				_, d, err := b.add("bob", fmt.Sprint(i))
				dropped = append(dropped, d...)
				return err
			})
			(<-pubs).answer <- nil
			if err := <-res; err != nil {
				t.Fatal(err)
			}
		}
		if len(dropped) != 2 || b.bytes != 0 {
			t.Errorf("%d attachments dropped with post %d, %d bytes left; want 2 and 0", len(dropped), p2, b.bytes)
		}
		deletion.answer <- nil
		if err := <-removed; err != nil {
			t.Errorf("the deletion of a post dropped meanwhile: %v", err)
		}
		if n := len(b.all()); n != maxPosts {
			t.Errorf("%d posts kept, want %d", n, maxPosts)
		}
	})
}
