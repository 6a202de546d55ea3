package main

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listen opens /chat/events for member, with Last-Event-ID lastID unless
// it is "", and returns a function that reads the next event's frame
// (comments left out). Reads fail after 20 s instead of hanging.
func (f *fixture) listen(t *testing.T, member, lastID string) func() string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", f.base+"/chat/events?member="+url.QueryEscape(member), nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("GET /chat/events: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	return func() string {
		t.Helper()
		var frame strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("reading /chat/events after %q: %v", frame.String(), err)
			}
			switch {
			case strings.HasPrefix(line, ":") && frame.Len() == 0:
				br.ReadString('\n') // the comment's blank line
				continue
			case line == "\n":
				return frame.String() + line
			}
			frame.WriteString(line)
		}
	}
}

// A member listening on /chat/events gets what the others say, each
// message an event of the default type whose data is its JSON as a poll
// answers it; its polls are not queued the messages meanwhile; and a
// reconnect with Last-Event-ID gets what it missed.
func TestEvents(t *testing.T) {
	f := newFixture(t)
	f.mustPost(t, "/chat/join", "member", "ann")
	f.mustPost(t, "/chat/join", "member", "bob")
	next := f.listen(t, "bob", "")
	// The process's log numbers the messages from the time it was made
	// (see sse.MemoryLog): one after another from the first's ID.
	var first uint64
	id := func(i int) string { return strconv.FormatUint(first+uint64(i), 10) }
	for i, tc := range []struct{ text, data string }{
		{"hello", `{"from":"ann","text":"hello"}`},
		{"two\nlines", `{"from":"ann","text":"two\nlines"}`},
		{"\n\nid: 9\ndata: x", `{"from":"ann","text":"\n\nid: 9\ndata: x"}`},
		{"<b>über</b>", `{"from":"ann","text":"\u003cb\u003eüber\u003c/b\u003e"}`},
	} {
		f.mustPost(t, "/chat/say", "member", "ann", "text", tc.text)
		got := next()
		if i == 0 {
			v, _, _ := strings.Cut(strings.TrimPrefix(got, "id: "), "\n")
			first, _ = strconv.ParseUint(v, 10, 64)
		}
		if want := "id: " + id(i) + "\ndata: " + tc.data + "\n\n"; got != want {
			t.Errorf("said %q: bob's stream got %q, want %q", tc.text, got, want)
		}
	}
	if evs, err := f.poll("bob", 0); err != nil || len(evs) != 0 {
		t.Errorf("bob's poll while he listens: %v %v, want nothing queued", evs, err)
	}
	if evs, err := f.poll("ann", 0); err != nil || len(evs) != 4 {
		t.Errorf("ann's poll (she does not listen): %v %v, want her 4 messages", evs, err)
	}

	// A reconnect after the second message gets the third and fourth,
	// then what is said next.
	again := f.listen(t, "bob", id(1))
	f.mustPost(t, "/chat/say", "member", "bob", "text", "back")
	for _, want := range []string{
		"id: " + id(2) + "\ndata: {\"from\":\"ann\",\"text\":\"\\n\\nid: 9\\ndata: x\"}\n\n",
		"id: " + id(3) + "\ndata: {\"from\":\"ann\",\"text\":\"\\u003cb\\u003eüber\\u003c/b\\u003e\"}\n\n",
		"id: " + id(4) + "\ndata: {\"from\":\"bob\",\"text\":\"back\"}\n\n",
	} {
		if got := again(); got != want {
			t.Errorf("after Last-Event-ID %s: %q, want %q", id(1), got, want)
		}
	}
}

// Once the stream is over, the member's messages are queued for its polls
// again.
func TestEventsThenPoll(t *testing.T) {
	f := newFixture(t)
	f.mustPost(t, "/chat/join", "member", "ann")
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", f.base+"/chat/events?member=ann", nil)
	resp, err := f.client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /chat/events: %v %v", resp, err)
	}
	cancel()
	resp.Body.Close()
	// The server notices the client left; until then ann's messages go
	// to her stream only.
	deadline := time.Now().Add(10 * time.Second)
	for f.streams("ann") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stream is still counted 10 s after its client left")
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.mustPost(t, "/chat/say", "member", "ann", "text", "queued")
	if evs, err := f.poll("ann", 0); err != nil || len(evs) != 1 || evs[0].Text != "queued" {
		t.Errorf("poll after the stream: %v %v", evs, err)
	}
}

// streams returns how many event streams the room counts for member.
func (f *fixture) streams(member string) int {
	f.room.mu.Lock()
	defer f.room.mu.Unlock()
	return f.room.members[member].streams
}

func TestEventsErrors(t *testing.T) {
	f := newFixture(t)
	f.mustPost(t, "/chat/join", "member", "ann")
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/chat/events", 400},
		{"GET", "/chat/events?member=nobody", 404},
		{"POST", "/chat/events?member=ann", 405},
	} {
		req, _ := http.NewRequest(tc.method, f.base+tc.path, nil)
		a, err := f.do(req)
		if err != nil || a.Status != tc.status || !strings.HasPrefix(a.Body, `{"error":`) {
			t.Errorf("%s %s: %v %v, want %d with a JSON error", tc.method, tc.path, a, err, tc.status)
		}
	}
}
