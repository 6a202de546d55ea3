package http2_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// listen serves c on a fresh 127.0.0.1 port until the test ends.
func listen(t testing.TB, c *container.Container) string { return wharftest.Listen(t, c) }

// roundTrip is wharftest.RoundTrip.
var roundTrip = wharftest.RoundTrip
