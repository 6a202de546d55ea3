package sse_test

import (
	"testing"
	"time"

	"github.com/wharf-go/wharf/sse"
)

// A silent stream stays silent no longer than Config.Heartbeat (give or
// take a tick's delay): it sends a comment every period, not every other
// one. (The heartbeat's own write is not the stream's traffic: counting it
// made the next tick skip the stream, so a silent stream spoke every two
// periods, and a Heartbeat chosen under a proxy's idle timeout was not.)
func TestHeartbeatEveryPeriod(t *testing.T) {
	const period = 300 * time.Millisecond
	b := newBroker(t, sse.Config{Heartbeat: period})
	s := serve(t, b)
	c := open(t, s, "/events/quiet", "")
	defer c.Close()
	start := c.Comments() // the opening comment
	time.Sleep(10*period + period/2)
	if got := c.Comments() - start; got < 8 {
		t.Errorf("%d heartbeats in 10 periods of silence, want about 10 (at least 8)", got)
	}
}
