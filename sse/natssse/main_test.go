package natssse_test

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/sse/natssse"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// consumers, the NATS connections and the servers included.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newLog connects to nb, closing the connection when the test ends, and
// returns a Log made with cfg on it, and its JetStream.
func newLog(t *testing.T, nb *natstest.Broker, cfg natssse.Config) (*natssse.Log, jetstream.JetStream) {
	t.Helper()
	js := nb.JetStream(t)
	l, err := natssse.New(t.Context(), js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l, js
}
