package sse_test

import (
	"strconv"
	"strings"
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

// What a stream sends first for each form of Last-Event-ID, on HTTP/1.1
// and HTTP/2, with a log that keeps 3 events of the topic's 4 (IDs 2, 3
// and 4): the replay after a decimal ID the log holds (leading zeros
// allowed, as in any decimal), missed then everything retained for one
// it never gave (past the last, up to 2^64-1 and beyond) or no longer
// holds, and the live events alone for a value that is no decimal
// number (a list, a sign, a byte that is not ASCII). Each stream ends
// with the live event 5, published once it is open.
func TestLastEventIDForms(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H2} {
		t.Run(string(m), func(t *testing.T) {
			b := newBroker(t, sse.Config{Retain: 3, Heartbeat: -1})
			c := container.New(modes.Options(m)...)
			route(b)(c)
			s := modes.Start(t, m, c)
			for i, tt := range []struct {
				lastID string
				want   string // each event: its ID, or "missed:" and its data
			}{
				{"4", "5"},
				{"3", "4 5"},
				{"1", "2 3 4 5"}, // 2 is the oldest retained: nothing missed
				{"0003", "4 5"},
				{"0", "missed:0 2 3 4 5"}, // everything retained, and 1 is gone
				{"5", "missed:5 2 3 4 5"},
				{"18446744073709551615", "missed:18446744073709551615 2 3 4 5"},
				{"18446744073709551616", "missed:18446744073709551616 2 3 4 5"},
				{"3, 4", "5"},
				{"+3", "5"},
				{"3\xff", "5"},
			} {
				topic := "t" + strconv.Itoa(i) // IDs 1 to 4, then the live 5
				for range 4 {
					b.Publish(topic, sse.Event{Data: "d"})
				}
				es := open(t, s, "/events/"+topic, tt.lastID)
				if err := b.Publish(topic, sse.Event{Data: "live"}); err != nil {
					t.Fatal(err)
				}
				var got []string
				for len(got) == 0 || got[len(got)-1] != "5" {
					switch ev := es.Next(t); {
					case ev.Type == "missed":
						got = append(got, "missed:"+ev.Data)
					default:
						got = append(got, ev.ID)
					}
				}
				if g := strings.Join(got, " "); g != tt.want {
					t.Errorf("Last-Event-ID %q: %s, want %s", tt.lastID, g, tt.want)
				}
				es.Close()
			}
		})
	}
}
