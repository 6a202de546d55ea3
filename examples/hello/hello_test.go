package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/examples/internal/exampletest"
)

func TestEndpoints(t *testing.T) {
	base, _ := exampletest.Serve(t, newContainer())
	client := exampletest.NewClient(t)

	tests := []struct {
		path     string
		status   int
		body     string // exact body, if contains is empty
		contains string // substring the body must contain
	}{
		{path: "/hello", status: 200, body: "Hello, world!"},
		{path: "/hello?name=", status: 200, body: "Hello, world!"},
		{path: "/hello?name=Gopher", status: 200, body: "Hello, Gopher!"},
		{path: "/hello?name=%C3%A9t%C3%A9+x", status: 200, body: "Hello, été x!"},
		{path: "/hello/more", status: 404, contains: "404"},
		{path: "/nope", status: 404, contains: "404"},
		{path: "/", status: 404, contains: "404"},

		{path: "/sleep", status: 200, body: "slept 0 ms"},
		{path: "/sleep?ms=20", status: 200, body: "slept 20 ms"},
		{path: "/sleep?ms=-1", status: 400, contains: "ms must be"},
		{path: "/sleep?ms=60001", status: 400, contains: "ms must be"},
		{path: "/sleep?ms=abc", status: 400, contains: "ms must be"},
		{path: "/sleep?ms=1.5", status: 400, contains: "ms must be"},

		{path: "/delay?ms=50", status: 200, body: "delayed 50 ms"},
		{path: "/delay?ms=0", status: 200, body: "delayed 0 ms"},
		{path: "/delay", status: 200, body: "delayed 0 ms"},
		{path: "/delay?ms=-5", status: 400, contains: "ms must be"},
		{path: "/delay?ms=99999999999999999999", status: 400, contains: "ms must be"},

		// xorshift64 from Marsaglia's seed: 1 round gives the paper's first
		// output.
		{path: "/cpu?n=0", status: 200, body: "88172645463325252"},
		{path: "/cpu?n=1", status: 200, body: "8748534153485358512"},
		{path: "/cpu?n=2", status: 200, body: "3040900993826735515"},
		{path: "/cpu", status: 200, body: "1363160026601443621"},
		{path: "/cpu?n=1000", status: 200, body: "1363160026601443621"},
		{path: "/cpu?n=-1", status: 400, contains: "n must be"},
		{path: "/cpu?n=1000000001", status: 400, contains: "n must be"},
		{path: "/cpu?n=ten", status: 400, contains: "n must be"},

		{path: "/debug/pprof/", status: 200, contains: "goroutine"},
		{path: "/debug/pprof/cmdline", status: 200},
		{path: "/debug/pprof/symbol", status: 200, contains: "num_symbols"},
		{path: "/debug/pprof/goroutine?debug=1", status: 200, contains: "goroutine profile"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			a := exampletest.Get(t, client, base+tt.path)
			if a.Status != tt.status {
				t.Fatalf("status = %d, want %d (body %q)", a.Status, tt.status, a.Body)
			}
			switch {
			case tt.contains != "":
				if !strings.Contains(a.Body, tt.contains) {
					t.Errorf("body = %q, want it to contain %q", a.Body, tt.contains)
				}
			case tt.body != "" || tt.status != 200:
				if a.Body != tt.body {
					t.Errorf("body = %q, want %q", a.Body, tt.body)
				}
			}
			if tt.status == 200 && tt.body != "" {
				if ct := a.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
					t.Errorf("Content-Type = %q, want text/plain; charset=utf-8", ct)
				}
			}
		})
	}
}

// TestDelayWaits checks that /delay and /sleep take at least as long as
// asked, and not absurdly longer.
func TestDelayWaits(t *testing.T) {
	base, _ := exampletest.Serve(t, newContainer())
	client := exampletest.NewClient(t)
	for _, path := range []string{"/delay?ms=150", "/sleep?ms=150"} {
		start := time.Now()
		a := exampletest.Get(t, client, base+path)
		took := time.Since(start)
		if a.Status != 200 {
			t.Fatalf("%s: status %d (%q)", path, a.Status, a.Body)
		}
		if took < 150*time.Millisecond || took > 5*time.Second {
			t.Errorf("%s answered after %v, want about 150ms", path, took)
		}
	}
}

// TestDelaySuspendsWithoutGoroutines sends many /delay requests at once and
// checks that all of them are suspended together (held by no goroutine,
// according to the container) before any answers, and that all then answer.
func TestDelaySuspendsWithoutGoroutines(t *testing.T) {
	const (
		n     = 50
		delay = 2000 // ms; long enough for all n to be suspended at once, even under -race on a busy machine
	)
	c := newContainer()
	base, _ := exampletest.Serve(t, c)
	client := exampletest.NewClient(t)

	type result struct {
		a    exampletest.Answer
		took time.Duration
		err  error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			start := time.Now()
			a, err := exampletest.Fetch(client, fmt.Sprintf("%s/delay?ms=%d", base, delay))
			results <- result{a: a, took: time.Since(start), err: err}
		}()
	}

	st, ok := exampletest.WaitStats(c, delay*time.Millisecond, func(st container.Stats) bool { return st.Suspended == n })
	if !ok {
		t.Errorf("Stats().Suspended = %d, want %d before the first request expires", st.Suspended, n)
	}

	want := fmt.Sprintf("delayed %d ms", delay)
	for range n {
		r := <-results
		if r.err != nil {
			t.Errorf("request failed: %v", r.err)
			continue
		}
		if r.a.Status != 200 || r.a.Body != want {
			t.Errorf("got %d %q, want 200 %q", r.a.Status, r.a.Body, want)
		}
		if r.took < delay*time.Millisecond {
			t.Errorf("answered after %v, before the %d ms delay", r.took, delay)
		}
	}
	// The container counts a request as done just after its last byte is
	// written, so the count may lag the client by a moment.
	if st, ok := exampletest.WaitStats(c, 5*time.Second, exampletest.Idle); !ok {
		t.Fatalf("after all answers: Suspended = %d, Active = %d, want 0, 0", st.Suspended, st.Active)
	}
}

// TestSleepHoldsNoSuspension contrasts /sleep: its requests are active but
// never suspended.
func TestSleepHoldsNoSuspension(t *testing.T) {
	const n = 10
	c := newContainer()
	base, _ := exampletest.Serve(t, c)
	client := exampletest.NewClient(t)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			a, err := exampletest.Fetch(client, base+"/sleep?ms=2000")
			if err != nil || a.Status != 200 {
				t.Errorf("/sleep?ms=2000: %d %q %v", a.Status, a.Body, err)
			}
		})
	}
	st, _ := exampletest.WaitStats(c, 2000*time.Millisecond, func(st container.Stats) bool { return st.Active == n })
	if st.Active != n || st.Suspended != 0 {
		t.Errorf("while sleeping: Active = %d, Suspended = %d, want %d, 0", st.Active, st.Suspended, n)
	}
	wg.Wait()
}

// The container's figures are served through expvar at /debug/vars.
func TestDebugVars(t *testing.T) {
	base, stop := exampletest.RunCommand(t, command.Run)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	client := exampletest.NewClient(t)
	exampletest.Get(t, client, base+"/hello")
	a := exampletest.Get(t, client, base+"/debug/vars")
	var vars struct {
		Memstats   json.RawMessage `json:"memstats"`
		Goroutines int             `json:"goroutines"`
		Wharf      struct {
			Requests    int64
			Connections struct{ Accepted int64 }
		} `json:"wharf"`
	}
	if err := json.Unmarshal([]byte(a.Body), &vars); err != nil {
		t.Fatalf("/debug/vars is not JSON: %v\n%s", err, a.Body)
	}
	if vars.Wharf.Requests < 2 || vars.Wharf.Connections.Accepted < 1 || len(vars.Memstats) == 0 || vars.Goroutines < 1 {
		t.Fatalf("/debug/vars = %s", a.Body)
	}
}
