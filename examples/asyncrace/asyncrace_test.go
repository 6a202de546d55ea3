package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
	"github.com/wharf-go/wharf/internal/wharftest"
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

// TestRace runs the race many times and concurrently: each answer must be
// exactly one of the two, whole, with its own status, and no request may be
// left behind.
//
// The work and the timeout vary per request across the boundary. Most
// requests race for real, with work within 3 ms of a 5 ms timeout on either
// side, so either answer may come. One in four has the timeout a minute
// after the work ends (it must answer 200) and one in four the work a minute
// after the timeout (it must answer 504): with the test's deadline far
// shorter than a minute, both outcomes are certain over the run, and the
// test asserts that both occur.
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
		counts = map[int]int{} // all requests, by status
		racing = map[int]int{} // the racing ones, by status
		wg     sync.WaitGroup
		next   = make(chan int)
	)
	for range workers {
		wg.Go(func() {
			for i := range next {
				work, timeout, want := int64(5+i%7-3), int64(5), 0 // racing: 2-8 ms against 5 ms
				switch i % 4 {
				case 0:
					work, timeout, want = 0, 60000, 200
				case 1:
					work, timeout, want = 60000, 1, 504
				}
				a, err := exampletest.Fetch(client, fmt.Sprintf("%s/answer?work=%d&timeout=%d", base, work, timeout))
				if err != nil {
					t.Errorf("request failed: %v", err)
					continue
				}
				switch {
				case a.Status == 200 && a.Body == answerBody:
				case a.Status == 504 && a.Body == timeoutBody(timeout):
				default:
					t.Errorf("work %d, timeout %d: got %d %q: neither 200 %q nor 504 %q", work, timeout, a.Status, a.Body, answerBody, timeoutBody(timeout))
				}
				if want != 0 && a.Status != want {
					t.Errorf("work %d, timeout %d: got %d, want %d", work, timeout, a.Status, want)
				}
				if cl := a.Header.Get("Content-Length"); cl != fmt.Sprint(len(a.Body)) {
					t.Errorf("Content-Length %q for a %d-byte body", cl, len(a.Body))
				}
				mu.Lock()
				counts[a.Status]++
				if want == 0 {
					racing[a.Status]++
				}
				mu.Unlock()
			}
		})
	}
	for i := range iterations {
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("outcomes: %d × 200, %d × 504 (racing: %d × 200, %d × 504)", counts[200], counts[504], racing[200], racing[504])
	if counts[200] == 0 || counts[504] == 0 {
		t.Errorf("outcomes: %d × 200, %d × 504: both must occur", counts[200], counts[504])
	}

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

// A graceful shutdown does not wait for the business logic of the requests
// in flight, which may work a minute where the shutdown has ten seconds:
// they are expired at once, answer 504 through their timeout listener, and
// run returns nil.
func TestShutdownExpiresAnswers(t *testing.T) {
	base, stop := exampletest.RunCommand(t, command.Run)
	client := exampletest.NewClient(t)
	answered := make(chan exampletest.Answer, 1)
	go func() {
		a, err := exampletest.Fetch(client, base+"/answer?work=60000&timeout=60000")
		if err != nil {
			t.Errorf("GET /answer: %v", err)
		}
		answered <- a
	}()
	wharftest.WaitFor(t, "the request to start", func() bool {
		a, err := exampletest.Fetch(client, base+"/debug/vars")
		var vars struct{ Wharf struct{ Active int } }
		return err == nil && json.Unmarshal([]byte(a.Body), &vars) == nil && vars.Wharf.Active == 2 // and this one
	})
	if err := stop(); err != nil {
		t.Errorf("run returned %v, want nil", err)
	}
	if a := <-answered; a.Status != 503 || a.Body != "shutting down" {
		t.Errorf("the request in flight at shutdown: %v, want 503 shutting down", a)
	}
}
