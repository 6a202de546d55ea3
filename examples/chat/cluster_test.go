package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/wharf-go/wharf/cluster"
	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// process is one chat command running in-process, as the README's three
// commands run it.
type process struct {
	t      *testing.T
	base   string
	stop   func() error
	client *http.Client
}

// statsAnswer is GET /chat/stats.
type statsAnswer struct {
	Members int           `json:"members"`
	Polling int           `json:"polling"`
	Bus     cluster.Stats `json:"bus"`
}

func (p *process) stats() statsAnswer {
	p.t.Helper()
	var st statsAnswer
	a := exampletest.Get(p.t, p.client, p.base+"/chat/stats")
	if err := json.Unmarshal([]byte(a.Body), &st); err != nil {
		p.t.Fatalf("stats %v: %v", a, err)
	}
	return st
}

func (p *process) post(path string, kv ...string) exampletest.Answer {
	p.t.Helper()
	form := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	a, err := exampletest.PostForm(p.client, p.base+path, form)
	if err != nil || a.Status != 200 {
		p.t.Fatalf("POST %s %v: %v %v", path, form, a, err)
	}
	return a
}

// poll returns the events the member's poll answers, waiting up to
// timeout.
func (p *process) poll(member string, timeout time.Duration) []event {
	p.t.Helper()
	a := exampletest.Get(p.t, p.client, p.base+"/chat/poll?member="+member+"&timeout="+strconv.FormatInt(timeout.Milliseconds(), 10))
	var evs []event
	if err := json.Unmarshal([]byte(a.Body), &evs); err != nil || a.Status != 200 {
		p.t.Fatalf("poll: %v %v", a, err)
	}
	return evs
}

// Three chat processes share one room through a broker embedded in the
// first: a message said on any of them reaches members polling on the
// others. When the broker goes (with the first process), a message still
// reaches its own process's members, say warns that the others missed it,
// the bus counts it lost, and the others' polls expire on time.
func TestClusterRoom(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	brokerAddr := l.Addr().String()
	l.Close()

	var ps [3]*process
	for i := range ps {
		args := []string{"-nats", "nats://" + brokerAddr}
		if i == 0 {
			args = []string{"-nats-embed", brokerAddr}
		}
		base, stop := exampletest.RunCommand(t, command.Run, args...)
		ps[i] = &process{t: t, base: base, stop: stop, client: exampletest.NewClient(t)}
	}
	stopped := [3]bool{}
	defer func() {
		for i := len(ps) - 1; i >= 0; i-- { // the broker's process last
			if !stopped[i] {
				ps[i].stop()
			}
		}
	}()
	names := []string{"ann", "bob", "cat"}
	for i, p := range ps {
		p.post("/chat/join", "member", names[i])
	}
	wharftest.WaitFor(t, "the processes to reach the broker", func() bool {
		return ps[0].stats().Bus.Connected && ps[1].stats().Bus.Connected && ps[2].stats().Bus.Connected
	})
	// Subscriptions reach the broker on three connections: say until both
	// others have heard, then start from empty queues.
	wharftest.WaitFor(t, "messages to cross between the processes", func() bool {
		ps[0].post("/chat/say", "member", "ann", "text", "warm-up")
		return len(ps[1].poll("bob", 50*time.Millisecond)) > 0 && len(ps[2].poll("cat", 50*time.Millisecond)) > 0
	})
	// Start from empty queues: a warm-up message may still be on its way,
	// so drain until a short poll comes back empty everywhere.
	for quiet := 0; quiet < 3; {
		quiet++
		for i, p := range ps {
			if len(p.poll(names[i], 50*time.Millisecond)) > 0 {
				quiet = 0
			}
		}
	}

	// Polls suspended on two processes are resumed by a say on the third.
	got := make(chan []event, 2)
	for i := 1; i <= 2; i++ {
		go func() { got <- ps[i].poll(names[i], 10*time.Second) }()
	}
	wharftest.WaitFor(t, "the polls to suspend", func() bool { return ps[1].stats().Polling == 1 && ps[2].stats().Polling == 1 })
	ps[0].post("/chat/say", "member", "ann", "text", "hello from 1")
	for range 2 {
		if evs := <-got; len(evs) != 1 || evs[0] != (event{From: "ann", Text: "hello from 1"}) {
			t.Fatalf("a poll on another process answered %+v", evs)
		}
	}
	if evs := ps[0].poll("ann", 0); len(evs) != 1 || evs[0].Text != "hello from 1" {
		t.Fatalf("the speaker's own poll answered %+v", evs)
	}

	// The broker goes away with the first process.
	if err := ps[0].stop(); err != nil {
		t.Fatalf("stopping the broker's process: %v", err)
	}
	stopped[0] = true
	wharftest.WaitFor(t, "the second process to see the broker gone", func() bool { return !ps[1].stats().Bus.Connected })
	a := ps[1].post("/chat/say", "member", "bob", "text", "into the void")
	var warned struct {
		OK      bool   `json:"ok"`
		Warning string `json:"warning"`
	}
	if json.Unmarshal([]byte(a.Body), &warned); !warned.OK || warned.Warning == "" {
		t.Fatalf("say during the outage answered %v, want ok with a warning", a)
	}
	if evs := ps[1].poll("bob", 0); len(evs) != 1 || evs[0].Text != "into the void" {
		t.Fatalf("the speaker's process did not deliver locally: %+v", evs)
	}
	if evs := ps[2].poll("cat", 300*time.Millisecond); len(evs) != 0 {
		t.Fatalf("a message crossed with no broker: %+v", evs)
	}
	if st := ps[1].stats().Bus; st.Lost != 1 {
		t.Fatalf("the bus counted %d lost messages, want 1 (%+v)", st.Lost, st)
	}
}
