package session_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// memory store's timer and the servers of the end-to-end tests included.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
