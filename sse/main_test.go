package sse_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// servers, the streams' timers and the clients included.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
