package sse_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/sse"
)

// The seam between replay and live events, raced for real: publishers
// publish while clients keep reconnecting with random Last-Event-IDs,
// and every client must see after+1, after+2, ... — no gap, no
// duplicate — with each publisher's events in the order it published
// them. HTTP/1.1 (a connection per stream) and HTTP/2 (many streams on
// one connection).
func TestReplaySeamRace(t *testing.T) {
	const (
		publishers = 4
		maxEvents  = 200_000 // a bound; the publishers stop when the clients are done
		clients    = 12
		rounds     = 4
		span       = 40 // events each client reads per connection
	)
	for _, m := range []modes.Mode{modes.H1, modes.H2} {
		t.Run(string(m), func(t *testing.T) {
			b := newBroker(t, sse.Config{Retain: maxEvents, MaxQueue: maxEvents, Heartbeat: -1})
			c := container.New(modes.Options(m)...)
			route(b)(c)
			s := modes.Start(t, m, c)

			var published atomic.Uint64
			stop := make(chan struct{})
			var pubs, readers sync.WaitGroup
			for p := range publishers {
				pubs.Go(func() {
					for k := 0; published.Load() < maxEvents-publishers; k++ {
						select {
						case <-stop:
							return
						default:
						}
						if err := b.Publish("race", sse.Event{Data: fmt.Sprintf("%d-%d", p, k)}); err != nil {
							t.Error(err)
							return
						}
						published.Add(1)
					}
				})
			}
			for range clients {
				readers.Go(func() {
					for range rounds {
						if err := readRange(s, published.Load(), span); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			readers.Wait()
			close(stop)
			pubs.Wait()
		})
	}
}

// readRange opens a stream with a random Last-Event-ID at most seen, and
// checks the next span events.
func readRange(s *modes.Server, seen uint64, span int) error {
	after := seen - rand.Uint64N(min(seen, 500)+1)
	lastID := strconv.FormatUint(after, 10)
	c, err := tryOpen(s, "/events/race", lastID)
	if err != nil {
		return err
	}
	defer c.Close()
	want := after + 1
	lastK := map[string]int{}
	for range span {
		var ev = c.NextOr()
		if ev == nil {
			return fmt.Errorf("Last-Event-ID %q: stream ended (%v) before ID %d", lastID, c.Err(), want)
		}
		id, err := strconv.ParseUint(ev.ID, 10, 64)
		if err != nil {
			return err
		}
		if id != want {
			return fmt.Errorf("Last-Event-ID %q: got ID %d, want %d", lastID, id, want)
		}
		p, k, _ := strings.Cut(ev.Data, "-")
		ki, _ := strconv.Atoi(k)
		if prev, ok := lastK[p]; ok && ki <= prev {
			return fmt.Errorf("publisher %s: event %d after %d", p, ki, prev)
		}
		lastK[p] = ki
		want++
	}
	return nil
}
