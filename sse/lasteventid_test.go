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
// allowed, as in any decimal); missed then everything retained for one
// it never gave (past the last, up to 2^64-1 and beyond), one it no
// longer holds, and a value that is no decimal number (a list, a sign,
// another backend's UUID, a byte that is not ASCII, the missed event's
// data then having U+FFFD for it), where the stream once started live
// and lost silently what the client had missed; the live events alone
// with no ID: no header, or white space only, which every protocol
// trims to the empty value an EventSource never sends (it sends no
// Last-Event-ID while its last event ID is empty). Each stream ends
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
				want   string // each event: its ID, or "missed:", its data, "@" and its ID
			}{
				{"4", "5"},
				{"3", "4 5"},
				{"1", "2 3 4 5"}, // 2 is the oldest retained: nothing missed
				{"0003", "4 5"},
				{"0", "missed:0@1 2 3 4 5"}, // everything retained, and 1 is gone
				{"5", "missed:5@1 2 3 4 5"},
				{"18446744073709551615", "missed:18446744073709551615@1 2 3 4 5"},
				{"18446744073709551616", "missed:18446744073709551616@1 2 3 4 5"},
				{"3, 4", "missed:3, 4@1 2 3 4 5"},
				{"+3", "missed:+3@1 2 3 4 5"},
				{"-1", "missed:-1@1 2 3 4 5"},
				{"550e8400-e29b-41d4-a716-446655440000", "missed:550e8400-e29b-41d4-a716-446655440000@1 2 3 4 5"},
				{"3\xff", "missed:3\uFFFD@1 2 3 4 5"},
				{"", "5"},
				{" \t", "5"},
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
						got = append(got, "missed:"+ev.Data+"@"+ev.ID)
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

// The missed event carries the ID the stream stands at: the one before
// its replay's first event, or, when nothing is retained, the topic's
// last (0 for a topic never published, which asks for everything). An
// EventSource takes it as its last event ID, so that one back with it is
// not told again and gets nothing twice, and nothing published while it
// was away is lost. It had no ID: a client whose replay was empty (a
// topic not published since a restart) kept the lost ID and was sent
// the missed event again at every reconnection.
func TestMissedEventResumes(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H2} {
		t.Run(string(m), func(t *testing.T) {
			b := newBroker(t, sse.Config{Retain: 4, Heartbeat: -1})
			c := container.New(modes.Options(m)...)
			route(b)(c)
			s := modes.Start(t, m, c)
			for i, tt := range []struct {
				name      string
				published int    // events of the topic before the first stream
				lastID    string // the first stream's Last-Event-ID
				resume    string // the ID its missed event carries
				replay    string // what follows the missed event
				away      int    // events published between the two streams
				then      string // what the second stream gets, with the missed event's ID, up to one live event
			}{
				{"never published", 0, "7", "0", "", 1, "1 2"},
				{"beyond the last", 2, "9", "0", "1 2", 1, "1 2 3 4"},
				{"no longer retained", 6, "1", "2", "3 4 5 6", 0, "3 4 5 6 7"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					topic := "t" + strconv.Itoa(i)
					for range tt.published {
						b.Publish(topic, sse.Event{Data: "d"})
					}
					first := open(t, s, "/events/"+topic, tt.lastID)
					ev := first.Next(t)
					if ev.Type != "missed" || ev.Data != tt.lastID || ev.ID != tt.resume {
						t.Fatalf("first event %+v, want missed, data %s, ID %s", ev, tt.lastID, tt.resume)
					}
					var got []string
					for range strings.Fields(tt.replay) {
						got = append(got, first.Next(t).ID)
					}
					if g := strings.Join(got, " "); g != tt.replay {
						t.Fatalf("replay %q, want %q", g, tt.replay)
					}
					first.Close()
					for range tt.away {
						b.Publish(topic, sse.Event{Data: "away"})
					}
					// Back with the ID the missed event left it: as a client
					// that left before the replay's first event.
					second := open(t, s, "/events/"+topic, ev.ID)
					live := strconv.Itoa(tt.published + tt.away + 1)
					if err := b.Publish(topic, sse.Event{Data: "live"}); err != nil {
						t.Fatal(err)
					}
					got = nil
					for len(got) == 0 || got[len(got)-1] != live {
						switch ev := second.Next(t); {
						case ev.Type == "missed":
							got = append(got, "missed:"+ev.Data)
						default:
							got = append(got, ev.ID)
						}
					}
					if g := strings.Join(got, " "); g != tt.then {
						t.Errorf("back with Last-Event-ID %s: %s, want %s", ev.ID, g, tt.then)
					}
				})
			}
		})
	}
}
