package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeChat is examples/chat's API in memory: enough to check that the
// load counts what it gets. fault, if set, says how many copies of a
// member's nth delivery to queue.
type fakeChat struct {
	mu      sync.Mutex
	queues  map[string]chan event
	polling atomic.Int64
	fault   func(member string, n int) int
	n       map[string]int
}

func newFakeChat(fault func(string, int) int) *fakeChat {
	return &fakeChat{queues: map[string]chan event{}, n: map[string]int{}, fault: fault}
}

func (f *fakeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	member := r.Form.Get("member")
	switch r.URL.Path {
	case "/chat/join":
		f.mu.Lock()
		f.queues[member] = make(chan event, 10000)
		f.mu.Unlock()
		w.Write([]byte(`{"ok":true}`))
	case "/chat/say":
		f.mu.Lock()
		for m, q := range f.queues {
			f.n[m]++
			copies := 1
			if f.fault != nil {
				copies = f.fault(m, f.n[m])
			}
			for range copies {
				q <- event{From: member, Text: r.Form.Get("text")}
			}
		}
		f.mu.Unlock()
		w.Write([]byte(`{"ok":true}`))
	case "/chat/poll":
		f.mu.Lock()
		q := f.queues[member]
		f.mu.Unlock()
		f.polling.Add(1)
		evs := []event{}
		select {
		case ev := <-q:
			evs = append(evs, ev)
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
		f.polling.Add(-1)
		json.NewEncoder(w).Encode(evs)
	case "/chat/stats":
		json.NewEncoder(w).Encode(map[string]any{"members": len(f.queues), "polling": f.polling.Load(), "bus": map[string]int64{"lost": 0}})
	default:
		http.NotFound(w, r)
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name              string
		fault             func(string, int) int // copies of a member's nth delivery; nil: 1
		wantLost, wantDup int64
	}{
		{"nothing lost", nil, 0, 0},
		// m3 misses its 2nd and 3rd deliveries: at most one message is
		// said in the warm-up, so both are measured ones.
		{"two lost", func(m string, n int) int {
			if m == "m3" && (n == 2 || n == 3) {
				return 0
			}
			return 1
		}, 2, 0},
		// m5 gets its 3rd delivery twice: a duplicate must not hide a loss.
		{"one duplicate", func(m string, n int) int {
			if m == "m5" && n == 3 {
				return 2
			}
			return 1
		}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := httptest.NewServer(newFakeChat(tt.fault))
			defer a.Close()
			r, err := run(context.Background(), Config{
				URLs: []string{a.URL}, Members: 10, Rate: 10, Duration: time.Second,
				Warmup: 150 * time.Millisecond, Drain: 300 * time.Millisecond, PollTimeout: time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			if r.Sent < 5 || r.Expected != r.Sent*10 || r.Lost != tt.wantLost || r.Received != r.Expected-tt.wantLost || r.Duplicates != tt.wantDup {
				t.Fatalf("report %+v: want %d lost", r, tt.wantLost)
			}
			if r.P50 <= 0 || r.Max < r.P99 || r.P99 < r.P50 {
				t.Fatalf("latencies %v %v %v", r.P50, r.P99, r.Max)
			}
		})
	}
}
