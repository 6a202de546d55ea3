package sse_test

import (
	"strconv"
	"testing"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/sse"
)

// A Last-Event-ID with white space around it is the ID (RFC 9110 §5.5: a
// field's value excludes it), on every protocol: HTTP/2 and HTTP/3 hand a
// value over untrimmed, and the stream once took " 2" for no ID, so its
// client got the live events and silently missed the one after 2.
func TestLastEventIDWhitespace(t *testing.T) {
	var b *sse.Broker
	build := func(c *container.Container) {
		b = newBroker(t, sse.Config{})
		route(b)(c)
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for i, lastID := range []string{" 2", "2\t", " \t2 "} {
			topic := "t" + strconv.Itoa(i)
			for range 3 {
				b.Publish(topic, sse.Event{Data: "before"})
			}
			c := open(t, s, "/events/"+topic, lastID)
			b.Publish(topic, sse.Event{Data: "live"})
			for _, want := range []string{"3", "4"} {
				if ev := c.Next(t); ev.ID != want {
					t.Fatalf("Last-Event-ID %q: got %+v, want ID %s (the replay after 2, then the live event)", lastID, ev, want)
				}
			}
			c.Close()
		}
	})
}
