package main

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
)

func TestAnswer(t *testing.T) {
	base, _ := exampletest.Serve(t, newContainer())
	client := exampletest.NewClient(t)
	tests := []struct {
		query   string
		status  int
		body    string
		maxTime time.Duration // the answer must come sooner than this
	}{
		{"work=10&timeout=1000", 200, answerBody, 5 * time.Second},
		{"work=0&timeout=1000", 200, answerBody, 5 * time.Second},
		{"work=1000&timeout=10", 504, "timed out after 10 ms", 4 * time.Second},
		{"work=5000&timeout=10", 504, "timed out after 10 ms", 4 * time.Second},
		{"work=60000&timeout=50", 504, "timed out after 50 ms", 5 * time.Second},
		{"work=-1", 400, "400 Bad Request: work must be an integer between 0 and 60000\n", 5 * time.Second},
		{"work=60001", 400, "400 Bad Request: work must be an integer between 0 and 60000\n", 5 * time.Second},
		{"work=soon", 400, "400 Bad Request: work must be an integer between 0 and 60000\n", 5 * time.Second},
		{"timeout=0", 400, "400 Bad Request: timeout must be an integer between 1 and 60000\n", 5 * time.Second},
		{"timeout=1e3", 400, "400 Bad Request: timeout must be an integer between 1 and 60000\n", 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			start := time.Now()
			a, err := exampletest.Fetch(client, base+"/answer?"+tt.query)
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != tt.status || a.Body != tt.body {
				t.Errorf("got %d %q, want %d %q", a.Status, a.Body, tt.status, tt.body)
			}
			if ct := a.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if took > tt.maxTime {
				t.Errorf("answered after %v, want under %v", took, tt.maxTime)
			}
		})
	}
	if a, err := exampletest.Fetch(client, base+"/question"); err != nil || a.Status != 404 {
		t.Errorf("GET /question: %d %v, want 404", a.Status, err)
	}
}

// TestRace runs the race with work equal to timeout, many times and
// concurrently: each answer must be exactly one of the two, whole, with its
// own status, and no request may be left behind.
func TestRace(t *testing.T) {
	const (
		iterations = 200
		workers    = 8
	)
	c := newContainer()
	base, _ := exampletest.Serve(t, c)
	client := exampletest.NewClient(t)

	var (
		mu     sync.Mutex
		counts = map[int]int{}
		wg     sync.WaitGroup
		next   = make(chan int)
	)
	for range workers {
		wg.Go(func() {
			for range next {
				a, err := exampletest.Fetch(client, base+"/answer?work=5&timeout=5")
				if err != nil {
					t.Errorf("request failed: %v", err)
					continue
				}
				switch {
				case a.Status == 200 && a.Body == answerBody:
				case a.Status == 504 && a.Body == timeoutBody(5):
				default:
					t.Errorf("got %d %q: neither 200 %q nor 504 %q", a.Status, a.Body, answerBody, timeoutBody(5))
				}
				if cl := a.Header.Get("Content-Length"); cl != fmt.Sprint(len(a.Body)) {
					t.Errorf("Content-Length %q for a %d-byte body", cl, len(a.Body))
				}
				mu.Lock()
				counts[a.Status]++
				mu.Unlock()
			}
		})
	}
	for i := range iterations {
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("outcomes: %d × 200, %d × 504", counts[200], counts[504])

	// Every request completed: none is left active or suspended.
	if st, ok := exampletest.WaitStats(c, 5*time.Second, exampletest.Idle); !ok {
		t.Fatalf("after the race: Active = %d, Suspended = %d, want 0", st.Active, st.Suspended)
	}
}

// TestRun runs the command in-process: the listening line, an answer, and a
// graceful shutdown.
func TestRun(t *testing.T) {
	base, stop := exampletest.RunCommand(t, command.Run)
	client := exampletest.NewClient(t)
	if a, err := exampletest.Fetch(client, base+"/answer?work=1&timeout=5000"); err != nil || a.Status != 200 || a.Body != answerBody {
		t.Errorf("GET /answer: %d %q %v", a.Status, a.Body, err)
	}
	client.CloseIdleConnections()
	if err := stop(); err != nil {
		t.Errorf("run returned %v, want nil", err)
	}
}
