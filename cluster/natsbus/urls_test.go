package natsbus_test

import (
	"context"
	"testing"

	"github.com/wharf-go/wharf/cluster/natsbus"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// Config.URL may list the servers of a NATS cluster, separated by commas:
// the Bus reaches whichever of them is up, and events cross it.
func TestURLList(t *testing.T) {
	live := natstest.ForTest(t)
	dead := natstest.ForTest(t)
	dead.Stop()
	tests := []struct {
		name, url string
	}{
		{"one server", live.URL},
		{"a dead server first", dead.URL + "," + live.URL},
		{"a dead server last", live.URL + "," + dead.URL},
		{"spaces after the commas", dead.URL + ", " + live.URL},
		{"a trailing comma", live.URL + ","},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := connect(t, tt.url, natsbus.Config{})
			b := connect(t, live.URL, natsbus.Config{})
			onB := subscribe(t, b, "list")
			wharftest.WaitFor(t, "the bus to reach a server of "+tt.url, func() bool { return a.Stats().Connected })
			if err := a.Publish(context.Background(), "list", []byte("x")); err != nil {
				t.Fatal(err)
			}
			wharftest.WaitFor(t, "the event across the broker", func() bool { return onB.len() == 1 })
		})
	}
}
