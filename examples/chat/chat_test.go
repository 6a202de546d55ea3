package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/examples/internal/exampletest"
)

// fixture is a served chat with its own client.
type fixture struct {
	room   *room
	c      *container.Container
	base   string
	stop   func()
	client *http.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	rm := newRoom()
	c := newContainer(rm)
	base, stop := exampletest.Serve(t, c)
	t.Cleanup(func() { rm.events.Close() })
	return &fixture{room: rm, c: c, base: base, stop: stop, client: exampletest.NewClient(t)}
}

func (f *fixture) do(req *http.Request) (exampletest.Answer, error) {
	return exampletest.Do(f.client, req)
}

func (f *fixture) get(path string) (exampletest.Answer, error) {
	return exampletest.Fetch(f.client, f.base+path)
}

func (f *fixture) post(path string, form url.Values) (exampletest.Answer, error) {
	return exampletest.PostForm(f.client, f.base+path, form)
}

// mustPost posts from the test goroutine and expects 200 {"ok":true}.
func (f *fixture) mustPost(t *testing.T, path string, kv ...string) {
	t.Helper()
	form := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	a, err := f.post(path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	if a.Status != 200 || a.Body != "{\"ok\":true}\n" {
		t.Fatalf("POST %s %v = %v, want 200 {\"ok\":true}", path, form, a)
	}
	if ct := a.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("POST %s: Content-Type %q", path, ct)
	}
}

// poll GETs /chat/poll and decodes the events; any goroutine may call it.
func (f *fixture) poll(member string, timeoutMS int) ([]event, error) {
	return f.pollCtx(context.Background(), member, timeoutMS)
}

func (f *fixture) pollCtx(ctx context.Context, member string, timeoutMS int) ([]event, error) {
	a, err := exampletest.FetchContext(ctx, f.client,
		fmt.Sprintf("%s/chat/poll?member=%s&timeout=%d", f.base, url.QueryEscape(member), timeoutMS))
	if err != nil {
		return nil, err
	}
	if a.Status != 200 {
		return nil, fmt.Errorf("poll %s: %v", member, a)
	}
	if ct := a.Header.Get("Content-Type"); ct != "application/json" {
		return nil, fmt.Errorf("poll %s: Content-Type %q", member, ct)
	}
	var evs []event
	if err := json.Unmarshal([]byte(a.Body), &evs); err != nil {
		return nil, fmt.Errorf("poll %s: %v in %q", member, err, a.Body)
	}
	if evs == nil {
		return nil, fmt.Errorf("poll %s: body %q is not an array", member, a.Body)
	}
	return evs, nil
}

type polled struct {
	evs  []event
	err  error
	took time.Duration
}

// pollAsync starts a poll and returns where its result arrives.
func (f *fixture) pollAsync(member string, timeoutMS int) <-chan polled {
	ch := make(chan polled, 1)
	go func() {
		start := time.Now()
		evs, err := f.poll(member, timeoutMS)
		ch <- polled{evs, err, time.Since(start)}
	}()
	return ch
}

// waitSuspended waits until exactly n requests are suspended.
func (f *fixture) waitSuspended(t *testing.T, n int64) {
	t.Helper()
	if st, ok := exampletest.WaitStats(f.c, 5*time.Second, func(st container.Stats) bool { return st.Suspended == n }); !ok {
		t.Fatalf("Stats().Suspended = %d, want %d", st.Suspended, n)
	}
}

func receive(t *testing.T, ch <-chan polled, within time.Duration) polled {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	case <-time.After(within):
		t.Fatalf("no poll answer within %v", within)
		return polled{}
	}
}

func TestSayResumesPoll(t *testing.T) {
	f := newFixture(t)
	f.mustPost(t, "/chat/join", "member", "alice")
	f.mustPost(t, "/chat/join", "member", "bob")
	f.mustPost(t, "/chat/join", "member", "bob") // joining twice is fine

	pending := f.pollAsync("alice", 10000)
	f.waitSuspended(t, 1)
	select {
	case r := <-pending:
		t.Fatalf("poll answered %v before anyone spoke", r)
	case <-time.After(50 * time.Millisecond):
	}

	f.mustPost(t, "/chat/say", "member", "bob", "text", "hi <alice> & \"all\"")
	r := receive(t, pending, 5*time.Second)
	want := []event{{From: "bob", Text: "hi <alice> & \"all\""}}
	if !reflect.DeepEqual(r.evs, want) {
		t.Errorf("alice's poll = %+v, want %+v", r.evs, want)
	}
	if r.took > 5*time.Second {
		t.Errorf("alice's poll took %v", r.took)
	}
	if n := f.c.Stats().Suspended; n != 0 {
		t.Errorf("Suspended = %d after the answer", n)
	}

	// Bob hears himself: his queued copy is answered at once.
	start := time.Now()
	evs, err := f.poll("bob", 10000)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(evs, want) || time.Since(start) > 2*time.Second {
		t.Errorf("bob's poll = %+v after %v, want %+v at once", evs, time.Since(start), want)
	}
	// Alice's queue was emptied by her poll.
	if evs, err := f.poll("alice", 0); err != nil || len(evs) != 0 {
		t.Errorf("alice's second poll = %+v, %v; want []", evs, err)
	}
}

func TestQueuedEventsAnsweredInOrder(t *testing.T) {
	f := newFixture(t)
	f.mustPost(t, "/chat/join", "member", "a")
	f.mustPost(t, "/chat/join", "member", "b")
	f.mustPost(t, "/chat/say", "member", "a", "text", "one")
	f.mustPost(t, "/chat/say", "member", "b", "text", "two")
	f.mustPost(t, "/chat/say", "member", "a", "text", "")
	evs, err := f.poll("a", 10000)
	if err != nil {
		t.Fatal(err)
	}
	want := []event{{"a", "one"}, {"b", "two"}, {"a", ""}}
	if !reflect.DeepEqual(evs, want) {
		t.Errorf("poll = %+v, want %+v", evs, want)
	}
}

func TestPollTimeout(t *testing.T) {
	f := newFixture(t)
	f.mustPost(t, "/chat/join", "member", "a")
	for _, ms := range []int{0, 1, 150} {
		start := time.Now()
		a, err := f.get(fmt.Sprintf("/chat/poll?member=a&timeout=%d", ms))
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != 200 || a.Body != "[]\n" {
			t.Errorf("timeout=%d: %v, want 200 \"[]\\n\"", ms, a)
		}
		if took < time.Duration(ms)*time.Millisecond || took > time.Duration(ms)*time.Millisecond+3*time.Second {
			t.Errorf("timeout=%d answered after %v", ms, took)
		}
	}
	if n := f.c.Stats().Suspended; n != 0 {
		t.Errorf("Suspended = %d after the polls expired", n)
	}
	// The expired poll unregistered itself: a later say queues, and the
	// next poll gets it at once.
	f.mustPost(t, "/chat/say", "member", "a", "text", "later")
	if evs, err := f.poll("a", 10000); err != nil || !reflect.DeepEqual(evs, []event{{"a", "later"}}) {
		t.Errorf("poll after say = %+v, %v", evs, err)
	}
}

func TestSecondPollReplacesFirst(t *testing.T) {
	f := newFixture(t)
	f.mustPost(t, "/chat/join", "member", "a")
	first := f.pollAsync("a", 20000)
	f.waitSuspended(t, 1)
	second := f.pollAsync("a", 20000)

	r := receive(t, first, 5*time.Second)
	if len(r.evs) != 0 {
		t.Errorf("superseded poll = %+v, want []", r.evs)
	}
	f.waitSuspended(t, 1) // the second one waits
	select {
	case r := <-second:
		t.Fatalf("second poll answered %+v before anyone spoke", r)
	case <-time.After(50 * time.Millisecond):
	}
	f.mustPost(t, "/chat/say", "member", "a", "text", "x")
	r = receive(t, second, 5*time.Second)
	if !reflect.DeepEqual(r.evs, []event{{"a", "x"}}) {
		t.Errorf("second poll = %+v", r.evs)
	}
}

func TestLeave(t *testing.T) {
	f := newFixture(t)
	f.mustPost(t, "/chat/join", "member", "a")
	f.mustPost(t, "/chat/join", "member", "b")
	pending := f.pollAsync("a", 20000)
	f.waitSuspended(t, 1)
	f.mustPost(t, "/chat/leave", "member", "a")
	if r := receive(t, pending, 5*time.Second); len(r.evs) != 0 {
		t.Errorf("poll of a leaving member = %+v, want []", r.evs)
	}
	if a, err := f.get("/chat/poll?member=a"); err != nil || a.Status != 404 {
		t.Errorf("poll after leave: %v %v, want 404", a, err)
	}
	// b no longer sends to a; a may join again and starts afresh.
	f.mustPost(t, "/chat/say", "member", "b", "text", "bye")
	f.mustPost(t, "/chat/join", "member", "a")
	if evs, err := f.poll("a", 0); err != nil || len(evs) != 0 {
		t.Errorf("rejoined member's poll = %+v, %v; want []", evs, err)
	}
}

func TestErrors(t *testing.T) {
	f := newFixture(t)
	f.mustPost(t, "/chat/join", "member", "a")
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name        string
		method      string
		path        string
		form        url.Values
		contentType string
		status      int
		errContains string // in the JSON "error" field
		allow       string
	}{
		{name: "join without member", method: "POST", path: "/chat/join", form: form(), status: 400, errContains: "member is required"},
		{name: "join empty member", method: "POST", path: "/chat/join", form: form("member", ""), status: 400, errContains: "member is required"},
		{name: "join with GET", method: "GET", path: "/chat/join?member=x", status: 405, errContains: "use POST", allow: "POST"},
		{name: "join with JSON body", method: "POST", path: "/chat/join", contentType: "application/json", status: 415, errContains: "x-www-form-urlencoded"},
		{name: "poll unknown member", method: "GET", path: "/chat/poll?member=nobody", status: 404, errContains: `unknown member "nobody"`},
		{name: "poll without member", method: "GET", path: "/chat/poll", status: 400, errContains: "member is required"},
		{name: "poll negative timeout", method: "GET", path: "/chat/poll?member=a&timeout=-1", status: 400, errContains: "timeout"},
		{name: "poll huge timeout", method: "GET", path: "/chat/poll?member=a&timeout=60001", status: 400, errContains: "timeout"},
		{name: "poll bad timeout", method: "GET", path: "/chat/poll?member=a&timeout=1s", status: 400, errContains: "timeout"},
		{name: "poll with POST", method: "POST", path: "/chat/poll?member=a", form: form(), status: 405, allow: "GET"},
		{name: "say unknown member", method: "POST", path: "/chat/say", form: form("member", "nobody", "text", "x"), status: 404, errContains: "unknown member"},
		{name: "say without member", method: "POST", path: "/chat/say", form: form("text", "x"), status: 400, errContains: "member is required"},
		{name: "leave unknown member", method: "POST", path: "/chat/leave", form: form("member", "nobody"), status: 404, errContains: "unknown member"},
		{name: "unknown chat path", method: "GET", path: "/chat/nope", status: 404, errContains: "Not Found"},
		{name: "chat context root", method: "GET", path: "/chat", status: 404, errContains: "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.form != nil {
				body = strings.NewReader(tt.form.Encode())
			} else if tt.contentType != "" {
				body = strings.NewReader(`{"member":"x"}`)
			}
			req, err := http.NewRequest(tt.method, f.base+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.contentType != "":
				req.Header.Set("Content-Type", tt.contentType)
			case tt.form != nil:
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			a, err := f.do(req)
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != tt.status {
				t.Fatalf("status %d, want %d (body %q)", a.Status, tt.status, a.Body)
			}
			if ct := a.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(a.Body), &e); err != nil || e.Error == "" {
				t.Fatalf("body %q is not a JSON error (%v)", a.Body, err)
			}
			if !strings.Contains(e.Error, tt.errContains) {
				t.Errorf("error %q, want it to contain %q", e.Error, tt.errContains)
			}
			if got := a.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestPage(t *testing.T) {
	f := newFixture(t)
	a, err := f.get("/")
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != 200 || a.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %d %q", a.Status, a.Header.Get("Content-Type"))
	}
	for _, s := range []string{"<title>Wharf chat</title>", "/chat/poll", "/chat/say", "/chat/join", "/chat/leave"} {
		if !strings.Contains(a.Body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if a.Body != string(indexHTML) {
		t.Errorf("page differs from static/index.html")
	}
	if a, err := f.get("/index.htm"); err != nil || a.Status != 404 {
		t.Errorf("GET /index.htm = %v %v, want 404", a, err)
	}
}

// TestShutdownExpiresPolls checks that a graceful shutdown answers waiting
// polls with [] instead of cutting them off.
func TestShutdownExpiresPolls(t *testing.T) {
	f := newFixture(t)
	f.mustPost(t, "/chat/join", "member", "a")
	f.mustPost(t, "/chat/join", "member", "b")
	pa := f.pollAsync("a", 60000)
	pb := f.pollAsync("b", 60000)
	f.waitSuspended(t, 2)
	start := time.Now()
	f.stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	for _, p := range []<-chan polled{pa, pb} {
		if r := receive(t, p, 5*time.Second); len(r.evs) != 0 {
			t.Errorf("poll during shutdown = %+v, want []", r.evs)
		}
	}
}

// TestRace has 20 members polling in loops, with poll timeouts from 1 ms to
// 60 s so that resumes race with expiry, while every member says 5 things,
// all members at once, with small random pauses. Every member must receive
// every message exactly once, and soon: a wakeup lost between a poll's
// check of its queue and its suspension would leave a 60 s poll waiting
// with messages queued.
func TestRace(t *testing.T) {
	const (
		n      = 20 // members
		rounds = 5  // messages per member
		total  = n * rounds
	)
	f := newFixture(t)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("m%02d", i)
		f.mustPost(t, "/chat/join", "member", names[i])
	}
	timeouts := []int{1, 2, 5, 20, 100, 60000, 60000, 60000}

	var wg sync.WaitGroup
	got := make([][]event, n)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, name := range names {
		wg.Go(func() {
			for len(got[i]) < total {
				evs, err := f.pollCtx(ctx, name, timeouts[i%len(timeouts)])
				if ctx.Err() != nil {
					t.Errorf("%s: got %d of %d messages within 20 s (a lost wakeup?)", name, len(got[i]), total)
					return
				}
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				got[i] = append(got[i], evs...)
			}
		})
	}
	var says sync.WaitGroup
	ready := make(chan struct{})
	for _, name := range names {
		says.Go(func() {
			<-ready
			for k := range rounds {
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				text := fmt.Sprintf("%s says %d", name, k)
				a, err := f.post("/chat/say", url.Values{"member": {name}, "text": {text}})
				if err != nil || a.Status != 200 {
					t.Errorf("say from %s: %v %v", name, a, err)
				}
			}
		})
	}
	close(ready)
	says.Wait()
	wg.Wait()

	for i, name := range names {
		count := map[event]int{}
		last := map[string]int{}
		for _, ev := range got[i] {
			count[ev]++
			// Messages of one sender arrive in the order they were sent.
			var k int
			if _, err := fmt.Sscanf(ev.Text, ev.From+" says %d", &k); err != nil {
				t.Errorf("%s received a mangled event %+v", name, ev)
				continue
			}
			if prev, ok := last[ev.From]; ok && k <= prev {
				t.Errorf("%s received %q after message %d", name, ev.Text, prev)
			}
			last[ev.From] = k
		}
		for _, from := range names {
			for k := range rounds {
				ev := event{From: from, Text: fmt.Sprintf("%s says %d", from, k)}
				if count[ev] != 1 {
					t.Errorf("%s received %q %d times, want once", name, ev.Text, count[ev])
				}
			}
		}
		if len(got[i]) != total {
			t.Errorf("%s received %d events, want %d", name, len(got[i]), total)
		}
	}
	// Nothing more is queued for anyone.
	for _, name := range names {
		if evs, err := f.poll(name, 0); err != nil || len(evs) != 0 {
			t.Errorf("%s: left over %+v %v", name, evs, err)
		}
	}
}

// A poll whose client leaves while it waits is forgotten: the room drops
// its waiter when the request completes, however it ends, and the stats
// no longer count it as waiting. The messages said meanwhile wait for
// the next poll.
func TestAbandonedPollForgotten(t *testing.T) {
	f := newFixture(t)
	f.mustPost(t, "/chat/join", "member", "ann")
	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() {
		_, err := f.pollCtx(ctx, "ann", 60000)
		left <- err
	}()
	f.waitSuspended(t, 1)
	cancel()
	if err := <-left; err == nil {
		t.Fatal("the cancelled poll answered")
	}
	if st, ok := exampletest.WaitStats(f.c, 5*time.Second, exampletest.Idle); !ok {
		t.Fatalf("after the client left: Active = %d, Suspended = %d, want 0", st.Active, st.Suspended)
	}
	a, err := f.get("/chat/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Members, Polling int }
	if err := json.Unmarshal([]byte(a.Body), &st); err != nil {
		t.Fatalf("/chat/stats %v: %v", a, err)
	}
	if st.Members != 1 || st.Polling != 0 {
		t.Errorf("/chat/stats after the poll's client left: %d members, %d polling; want 1, 0", st.Members, st.Polling)
	}
	f.mustPost(t, "/chat/say", "member", "ann", "text", "still here")
	evs, err := f.poll("ann", 0)
	if err != nil || !reflect.DeepEqual(evs, []event{{From: "ann", Text: "still here"}}) {
		t.Errorf("next poll: %v %v", evs, err)
	}
}
