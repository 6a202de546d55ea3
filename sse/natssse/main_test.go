package natssse_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// consumers, the NATS connections and the servers included.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
