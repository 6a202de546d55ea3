package wharftest

import (
	"testing"
	"time"
)

// Patience bounds every wait of WaitFor: a liveness check ("did not hang"),
// never a timing assertion.
const Patience = 10 * time.Second

// WaitFor polls cond until it holds, and fails t if it does not within
// Patience.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Poll(cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// RunQueued runs, on the calling goroutine and one at a time, the
// functions an exchange configured with Execute: func(f func()) { queue
// <- f } hands over, until done is closed: the test holds each loop in
// the channel, and decides when it runs.
func RunQueued(queue <-chan func(), done <-chan struct{}) {
	for {
		select {
		case f := <-queue:
			f()
		case <-done:
			return
		}
	}
}
