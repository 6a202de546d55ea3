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
	deadline := time.Now().Add(Patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
