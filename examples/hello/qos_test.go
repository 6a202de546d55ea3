package main

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/examples/internal/exampletest"
)

// With -qos 1, a request that arrives while /sleep holds the only place
// waits -qos-wait and is answered 503 with Retry-After; once the place is
// free, requests go through again. /debug/vars stays outside the filter.
func TestQoSFlag(t *testing.T) {
	base, stop := exampletest.RunCommand(t, command.Run, "-qos", "1", "-qos-wait", "300ms")
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	client := exampletest.NewClient(t)
	var wg sync.WaitGroup
	wg.Add(1)
	var slept exampletest.Answer
	var sleepErr error
	go func() {
		defer wg.Done()
		// Long enough that a loaded machine's slow polling below still
		// finds the place held for the whole of /hello's 300 ms wait:
		// with 1,500 ms, a CI run under load found it only near the
		// end, and /hello got the freed place (200).
		slept, sleepErr = exampletest.Fetch(client, base+"/sleep?ms=5000")
	}()
	// Wait until /sleep holds the place (/debug/vars is not behind the filter).
	deadline := time.Now().Add(10 * time.Second)
	for !busy(t, client, base) {
		if time.Now().After(deadline) {
			t.Fatal("/sleep never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := client.Get(base + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("while full: %s Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
	wg.Wait()
	if sleepErr != nil || slept.Status != 200 {
		t.Errorf("/sleep: %d %q", slept.Status, slept.Body)
	}
	if a := exampletest.Get(t, client, base+"/hello"); a.Status != 200 {
		t.Errorf("after: %d %q", a.Status, a.Body)
	}
}

// busy reports whether a request is in progress besides the /debug/vars
// one asking.
func busy(t *testing.T, client *http.Client, base string) bool {
	var vars struct {
		Wharf struct{ Active int64 } `json:"wharf"`
	}
	a := exampletest.Get(t, client, base+"/debug/vars")
	if err := json.Unmarshal([]byte(a.Body), &vars); err != nil {
		t.Fatalf("/debug/vars: %v", err)
	}
	return vars.Wharf.Active >= 2
}
