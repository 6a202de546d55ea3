package natsbus_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them:
// the embedded broker's and nats.go's included.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
