package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// eventStream is an open GET /events, read frame by frame.
type eventStream struct {
	t  *testing.T
	br *bufio.Reader
}

// listen opens base's /events, with Last-Event-ID lastID unless it is
// "". Reads fail after 20 s, so a missing event fails the test instead of
// hanging it.
func listen(t *testing.T, base, lastID string) *eventStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := newUser(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("GET /events: %s, Content-Type %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	return &eventStream{t: t, br: bufio.NewReader(resp.Body)}
}

// next returns the next event's frame as sent, its lines and the blank
// line that ends it, leaving out comments (the opening one, heartbeats).
func (s *eventStream) next() string {
	s.t.Helper()
	var frame strings.Builder
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			s.t.Fatalf("reading /events after %q: %v", frame.String(), err)
		}
		switch {
		case strings.HasPrefix(line, ":") && frame.Len() == 0:
			if blank, _ := s.br.ReadString('\n'); blank != "\n" {
				s.t.Fatalf("a comment followed by %q", blank)
			}
			continue
		case line == "\n":
			return frame.String() + line
		}
		frame.WriteString(line)
	}
}

// postFrame is what /events sends for a post: its event ID, its type and
// its JSON on one data line.
var postFrame = regexp.MustCompile(`^id: ([1-9][0-9]*)\nevent: post\ndata: (\{.*\})\n\n$`)

// parsePost checks frame against postFrame and returns its ID and data.
func parsePost(t *testing.T, frame string) (id, data string) {
	t.Helper()
	m := postFrame.FindStringSubmatch(frame)
	if m == nil {
		t.Fatalf("event %q: not id, event: post, one data line", frame)
	}
	return m[1], m[2]
}

// post makes a post as c on base and returns its ID.
func post(t *testing.T, c *http.Client, base, text string) int64 {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text})
	a := send(t, c, "POST", base+"/api/posts", http.Header{"Content-Type": {"application/json"}}, body)
	if a.Status != 201 {
		t.Fatalf("POST /api/posts %q: %v", text, a)
	}
	var p Post
	if err := json.Unmarshal([]byte(a.Body), &p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// getPost answers GET /api/posts/{id} on base, the body without its final
// newline: what the post's event must carry.
func getPost(t *testing.T, base string, id int64) string {
	t.Helper()
	a := send(t, newUser(t), "GET", base+"/api/posts/"+strconv.FormatInt(id, 10), nil, nil)
	if a.Status != 200 || !strings.HasSuffix(a.Body, "}\n") {
		t.Fatalf("GET /api/posts/%d: %v", id, a)
	}
	return strings.TrimSuffix(a.Body, "\n")
}

// Every new post is an event on /events: "id: <the post's id>",
// "event: post", and the post's JSON exactly as GET /api/posts/{id}
// answers it, whatever the text holds.
func TestEventsPost(t *testing.T) {
	b := startBoard(t)
	es := listen(t, b.base, "")
	c := newUser(t)
	login(t, c, b.base, "ann")
	var first int64
	for i, text := range []string{
		"hello",
		"two\nlines",            // one data line all the same: JSON escapes the newline
		"\r\nid: 99\n\ndata: x", // nothing a user writes makes a line of the frame
		"über <b>&amp;</b> \u2028 😀",
	} {
		id := post(t, c, b.base, text)
		if i == 0 {
			first = id
		}
		if id != first+int64(i) {
			t.Fatalf("post %d got ID %d after %d", i+1, id, first)
		}
		want := "id: " + strconv.FormatInt(id, 10) + "\nevent: post\ndata: " + getPost(t, b.base, id) + "\n\n"
		if got := es.next(); got != want {
			t.Errorf("event of post %d:\n got %q\nwant %q", id, got, want)
		}
	}
}

// A client that reconnects with Last-Event-ID gets the posts it missed, in
// order, then the new ones. One that sends 0 gets every post; one that
// sends an ID from before the board's log began, or one that is no ID
// of the log (another backend's), is told it missed posts,
// with the ID to come back with (the one before the first post), and gets
// every one.
func TestEventsReplay(t *testing.T) {
	b := startBoard(t)
	c := newUser(t)
	login(t, c, b.base, "ann")
	var ids []int64
	for _, text := range []string{"one", "two", "three"} {
		ids = append(ids, post(t, c, b.base, text))
	}
	for _, tc := range []struct {
		name   string
		lastID func(last int64) string
		from   func(last int64) int64 // the first post replayed; none past last
		missed bool
	}{
		{name: "after the first", lastID: func(int64) string { return strconv.FormatInt(ids[0], 10) }, from: func(int64) int64 { return ids[1] }},
		{name: "up to date", lastID: func(last int64) string { return strconv.FormatInt(last, 10) }, from: func(last int64) int64 { return last + 1 }},
		{name: "not an ID", lastID: func(int64) string { return "x" }, from: func(int64) int64 { return ids[0] }, missed: true}, // no ID of this log: its place unknown
		{name: "none seen", lastID: func(int64) string { return "0" }, from: func(int64) int64 { return ids[0] }},
		{name: "before the log", lastID: func(int64) string { return strconv.FormatInt(ids[0]-1, 10) }, from: func(int64) int64 { return ids[0] }},
		{name: "long before the log", lastID: func(int64) string { return "2" }, from: func(int64) int64 { return ids[0] }, missed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			last := ids[len(ids)-1]
			lastID := tc.lastID(last)
			es := listen(t, b.base, lastID)
			if tc.missed {
				if got, want := es.next(), "id: "+strconv.FormatInt(ids[0]-1, 10)+"\nevent: missed\ndata: "+lastID+"\n\n"; got != want {
					t.Fatalf("first event %q, want %q", got, want)
				}
			}
			for id := tc.from(last); id <= last; id++ {
				gotID, data := parsePost(t, es.next())
				if gotID != strconv.FormatInt(id, 10) || data != getPost(t, b.base, id) {
					t.Fatalf("replayed %s %s, want post %d", gotID, data, id)
				}
			}
			id := post(t, c, b.base, "new")
			ids = append(ids, id)
			if gotID, data := parsePost(t, es.next()); gotID != strconv.FormatInt(id, 10) || data != getPost(t, b.base, id) {
				t.Fatalf("after the replay: %s %s, want the new post %d", gotID, data, id)
			}
		})
	}
}

// A board alone that restarts has lost its posts, and a page that comes
// back with the ID of the last one it saw is told so ("missed"), however
// many posts the new board has had since: the log numbers its events from
// the time it started, not from 1 again.
func TestEventsAfterRestart(t *testing.T) {
	before := startBoard(t)
	c := newUser(t)
	login(t, c, before.base, "ann")
	seen := strconv.FormatInt(post(t, c, before.base, "before the restart"), 10)
	c.CloseIdleConnections()
	if err := before.stop(); err != nil {
		t.Fatal(err)
	}

	after := startBoard(t)
	login(t, c, after.base, "ann")
	var ids []int64
	for _, text := range []string{"one", "two", "three"} {
		ids = append(ids, post(t, c, after.base, text))
	}
	es := listen(t, after.base, seen)
	if got, want := es.next(), "id: "+strconv.FormatInt(ids[0]-1, 10)+"\nevent: missed\ndata: "+seen+"\n\n"; got != want {
		t.Fatalf("a page back after the restart got %q first, want %q", got, want)
	}
	for _, id := range ids {
		if gotID, _ := parsePost(t, es.next()); gotID != strconv.FormatInt(id, 10) {
			t.Fatalf("replayed %s, want every post of the new board (%d)", gotID, id)
		}
	}
}

// Two instances sharing a broker share their events: a post made on A
// reaches B's /events, with A's JSON of the post; the event's ID is the
// shared log's, so a client resumes with it on either instance; and it is
// the post's id, as on a board alone, so the instances number their posts
// from the log's sequence, never giving one ID twice.
func TestEventsAcrossInstances(t *testing.T) {
	broker := freeAddr(t)
	a := startBoard(t, "-nats-embed", broker)
	b := startBoard(t, "-nats", "nats://"+broker)
	onB := listen(t, b.base, "")
	ca, cb := newUser(t), newUser(t)
	login(t, ca, a.base, "ann")
	login(t, cb, b.base, "bob")

	// An event of another topic in the board's stream moves its sequence
	// past what a count of the posts would say: the posts' ids must
	// follow the sequence, not count.
	nc, err := nats.Connect("nats://" + broker)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(t.Context(), eventsPrefix+".elsewhere", nil); err != nil {
		t.Fatal(err)
	}

	idA := post(t, ca, a.base, "made on A")
	evID, data := parsePost(t, onB.next())
	if want := getPost(t, a.base, idA); data != want {
		t.Fatalf("B's /events got %s, want A's post %s", data, want)
	}
	if evID != strconv.FormatInt(idA, 10) {
		t.Fatalf("A's post %d came as the event %s", idA, evID)
	}
	if got := send(t, cb, "GET", b.base+"/api/posts/"+strconv.FormatInt(idA, 10), nil, nil); got.Status != 404 {
		t.Errorf("A's post on B: %v, want 404 (posts stay where they were made)", got)
	}

	idB := post(t, cb, b.base, "made on B")
	if idB <= idA {
		t.Fatalf("B's post after A's %d got the ID %d", idA, idB)
	}
	evIDB, data := parsePost(t, onB.next())
	if want := getPost(t, b.base, idB); data != want || evIDB != strconv.FormatInt(idB, 10) {
		t.Fatalf("B's own post %d: event %s %s, want %s", idB, evIDB, data, want)
	}

	// A client of B that saw only A's post resumes on A with B's.
	onA := listen(t, a.base, evID)
	if gotID, data := parsePost(t, onA.next()); gotID != evIDB || data != getPost(t, b.base, idB) {
		t.Fatalf("resumed on A after %s: %s %s, want %s and B's post", evID, gotID, data, evIDB)
	}
}

// The log outlives an instance: a client of B that reconnects to B after
// its restart gets what was posted on A while B was down, as the page's
// EventSource does in TestBrowserEvents (which needs a browser).
func TestEventsAcrossRestart(t *testing.T) {
	broker := freeAddr(t)
	a := startBoard(t, "-nats-embed", broker)
	bArgs := []string{"-nats", "nats://" + broker, "-addr", freeAddr(t)}
	b := startBoard(t, bArgs...)
	c := newUser(t)
	login(t, c, a.base, "ann")

	onB := listen(t, b.base, "")
	post(t, c, a.base, "before")
	last, _ := parsePost(t, onB.next())
	if err := b.stop(); err != nil {
		t.Fatalf("B's shutdown: %v", err)
	}
	away := post(t, c, a.base, "while B was down")
	if b2 := startBoard(t, bArgs...); b2.base != b.base {
		t.Fatalf("B came back at %s, not %s", b2.base, b.base)
	}
	again := listen(t, b.base, last)
	if _, data := parsePost(t, again.next()); data != getPost(t, a.base, away) {
		t.Fatalf("B after its restart, from %s: %s, want the post made while it was down", last, data)
	}
}

// A deleted post is gone from /events too: a replay, from before the post
// or from 0 (everything the log keeps, open to anyone), leaves its event
// out, and every stream, live or replayed, is sent an event "deleted"
// with its id, so that a page showing it drops it. With NATS the post is
// made and deleted on A and read back on B, which never stored it.
func TestEventsDeletedPost(t *testing.T) {
	for _, tc := range []struct {
		name string
		nats bool
	}{
		{name: "alone"},
		{name: "across instances", nats: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a, b instance
			if tc.nats {
				broker := freeAddr(t)
				a = startBoard(t, "-nats-embed", broker)
				b = startBoard(t, "-nats", "nats://"+broker)
			} else {
				a = startBoard(t)
				b = a
			}
			live := listen(t, b.base, "")
			c := newUser(t)
			login(t, c, a.base, "ann")
			kept := post(t, c, a.base, "kept")
			secret := post(t, c, a.base, "my password is hunter2")
			if got := send(t, c, "DELETE", a.base+"/api/posts/"+strconv.FormatInt(secret, 10), nil, nil); got.Status != 204 {
				t.Fatalf("DELETE: %v", got)
			}
			last := post(t, c, a.base, "last")

			deleted := regexp.MustCompile(`^id: [1-9][0-9]*\nevent: deleted\ndata: ` + strconv.FormatInt(secret, 10) + `\n\n$`)
			for _, s := range []struct {
				name   string
				es     *eventStream
				frames []string // the post events' ids, "deleted" for the deletion's
			}{
				{"replay from 0", listen(t, b.base, "0"), []string{fmt.Sprint(kept), "deleted", fmt.Sprint(last)}},
				{"replay from the post before", listen(t, b.base, fmt.Sprint(kept)), []string{"deleted", fmt.Sprint(last)}},
				{"live", live, []string{fmt.Sprint(kept), fmt.Sprint(secret), "deleted", fmt.Sprint(last)}},
			} {
				for _, want := range s.frames {
					frame := s.es.next()
					if want == "deleted" {
						if !deleted.MatchString(frame) {
							t.Fatalf("%s: got %q, want the deletion of post %d", s.name, frame, secret)
						}
						continue
					}
					if id, data := parsePost(t, frame); id != want {
						t.Fatalf("%s: got post %s (%s), want post %s", s.name, id, data, want)
					}
				}
			}
		})
	}
}

// The README's first instance runs the broker, whose JetStream store goes
// with it: when it restarts, the board's stream is made anew. Its IDs must
// still be above every ID the old one gave, as a board alone's are after
// a restart: B keeps the posts it made before, which share its list with
// the new ones, and a page that comes back with an old ID must be told it
// missed posts, not resumed at a new post that has the same number.
func TestEventsAfterBrokerRestart(t *testing.T) {
	broker := freeAddr(t)
	aArgs := []string{"-nats-embed", broker}
	a := startBoard(t, aArgs...)
	b := startBoard(t, "-nats", "nats://"+broker)
	c := newUser(t)
	login(t, c, b.base, "ann")
	before := post(t, c, b.base, "before the broker's restart")
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	startBoard(t, aArgs...)

	// The sessions went with the store: log in again, once B's
	// connection is back.
	login(t, c, b.base, "ann")
	after := post(t, c, b.base, "after")
	if after <= before {
		t.Fatalf("the post after the restart got the ID %d, the one before %d", after, before)
	}
	for _, id := range []int64{before, after} {
		if got := send(t, c, "GET", b.base+"/api/posts/"+strconv.FormatInt(id, 10), nil, nil); got.Status != 200 {
			t.Errorf("GET /api/posts/%d on B: %v", id, got)
		}
	}
	seen := strconv.FormatInt(before, 10)
	es := listen(t, b.base, seen)
	if got, want := es.next(), "id: "+strconv.FormatInt(after-1, 10)+"\nevent: missed\ndata: "+seen+"\n\n"; got != want {
		t.Fatalf("a page back with the ID of the post before: %q first, want %q", got, want)
	}
	if id, _ := parsePost(t, es.next()); id != strconv.FormatInt(after, 10) {
		t.Fatalf("then post %s, want %d", id, after)
	}
}

// A deletion's event takes an ID of the log as a post's does: a board
// alone numbers its events one after another, and so its posts one after
// another only until one is deleted, and the log's last maxPosts events,
// which a reconnecting page is sent, are posts and deletions together.
func TestEventsDeletionTakesAnID(t *testing.T) {
	b := startBoard(t)
	live := listen(t, b.base, "")
	c := newUser(t)
	login(t, c, b.base, "ann")
	first := post(t, c, b.base, "first")
	if got := send(t, c, "DELETE", b.base+"/api/posts/"+strconv.FormatInt(first, 10), nil, nil); got.Status != 204 {
		t.Fatalf("DELETE: %v", got)
	}
	second := post(t, c, b.base, "second")
	if second != first+2 {
		t.Errorf("posts %d and %d, a deletion between them: want %d", first, second, first+2)
	}
	live.next() // the first post
	want := fmt.Sprintf("id: %d\nevent: deleted\ndata: %d\n\n", first+1, first)
	if got := live.next(); got != want {
		t.Errorf("the deletion's event %q, want %q", got, want)
	}
}
