package natssse_test

import (
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// A Log shared by two Brokers of one process (Log.Open: "by this broker
// or another sharing it", as a MemoryLog is shared) delivers to each until
// the last of them is closed. Broker.Close closes its log: the first
// Broker's Close stopped the consumer the second Open had started, so the
// second Broker's streams heard nothing more, and the first Open's
// consumer was never stopped.
func TestLogSharedByBrokers(t *testing.T) {
	nb := natstest.ForTestJetStream(t)
	l, _ := newLog(t, nb, natssse.Config{})
	var brokers [2]*sse.Broker
	for i := range brokers {
		b, err := sse.NewBroker(sse.Config{Log: l, Heartbeat: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		brokers[i] = b
	}
	first, second := brokers[0], brokers[1]
	c := container.New(modes.Options(modes.H1)...)
	c.HandleFunc("GET /events/{topic}", func(w api.Response, r *api.Request) error {
		return second.Serve(w, r, r.PathParam("topic"))
	})
	s := modes.Start(t, modes.H1, c)
	stream := open(t, s, "/events/t", "")
	for _, data := range []string{"before", "after the first Broker's Close"} {
		if data != "before" {
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if err := second.Publish("t", sse.Event{Data: data}); err != nil {
			t.Fatal(err)
		}
		if ev := stream.Next(t); ev.Data != data {
			t.Fatalf("got %+v, want %q", ev, data)
		}
	}
}
