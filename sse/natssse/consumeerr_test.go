package natssse_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// A consumer that nats.go cannot keep going (here its stream deleted
// under it) leaves live streams silent: that is said in the log, which
// nats.go does nowhere else.
func TestConsumerTroubleLogged(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	rec, logger := wharftest.NewLogRecorder()
	l, js := newLog(t, nb, natssse.Config{Stream: "TROUBLE", Logger: logger})
	if err := l.Open(func(string, sse.Event) {}); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := js.DeleteStream(t.Context(), "TROUBLE"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second) // nats.go notices within its heartbeat: about 11 s here
	for {
		for _, r := range rec.Records() {
			if strings.Contains(r.Message, "natssse: consuming the event stream") && r.Attrs["stream"].String() == "TROUBLE" && r.Attrs["err"].String() != "" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing logged 30 s after the stream went: %+v", rec.Records())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
