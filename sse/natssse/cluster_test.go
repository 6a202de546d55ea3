package natssse_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/sse/natssse"
)

// instance is one server of the application: its own NATS connection,
// Log and Broker, and a container serving /events/{topic}.
type instance struct {
	*modes.Server
	b  *sse.Broker
	js jetstream.JetStream
}

func start(t *testing.T, m modes.Mode, nb *natstest.Broker, cfg natssse.Config) instance {
	t.Helper()
	l, js := newLog(t, nb, cfg)
	b, err := sse.NewBroker(sse.Config{Log: l, Heartbeat: 50 * time.Millisecond, MaxQueue: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	c := container.New(modes.Options(m)...)
	c.HandleFunc("GET /events/{topic}", func(w api.Response, r *api.Request) error {
		return b.Serve(w, r, r.PathParam("topic"))
	})
	return instance{Server: modes.Start(t, m, c), b: b, js: js}
}

// Two instances on two connections to one broker, in every mode: an event
// published on A reaches a stream on B; a client that read part of A's
// stream resumes on B, with the Last-Event-ID it got from A, exactly
// where it left off; IDs are the stream's sequence, increasing along a
// topic and shared with the other topics.
func TestAcrossInstances(t *testing.T) {
	for _, m := range modes.All {
		t.Run(string(m), func(t *testing.T) {
			nb := natstest.ForTestJetStream(t)
			a := start(t, m, nb, natssse.Config{FirstID: 1})
			b := start(t, m, nb, natssse.Config{FirstID: 1})

			onB := open(t, b.Server, "/events/news", "")
			onA := open(t, a.Server, "/events/news", "")
			var ids []string
			for i := range 6 {
				if err := a.b.Publish("news", sse.Event{Event: "n", Data: fmt.Sprintf("a%d\nline", i), Retry: time.Second}); err != nil {
					t.Fatal(err)
				}
				if err := a.b.Publish("other", sse.Event{Data: "elsewhere"}); err != nil {
					t.Fatal(err)
				}
				ev := onB.Next(t)
				if ev.Data != fmt.Sprintf("a%d\nline", i) || ev.Type != "n" || ev.Retry != time.Second {
					t.Fatalf("B got %+v", ev)
				}
				ids = append(ids, ev.ID)
			}
			for i, id := range ids {
				if want := strconv.Itoa(2*i + 1); id != want { // "other" takes every second number
					t.Fatalf("IDs %v", ids)
				}
			}
			// A's client reads three, leaves, and resumes on B.
			var last string
			for range 3 {
				last = onA.Next(t).ID
			}
			onA.Close()
			resumed := open(t, b.Server, "/events/news", last)
			for _, want := range ids[3:] {
				if ev := resumed.Next(t); ev.ID != want {
					t.Fatalf("resumed on B after %s: got %+v, want ID %s", last, ev, want)
				}
			}
			if err := a.b.Publish("news", sse.Event{Data: "live"}); err != nil {
				t.Fatal(err)
			}
			for _, c := range []*wharftest.EventStream{resumed, onB} {
				if ev := c.Next(t); ev.Data != "live" {
					t.Fatalf("live after the resume: %+v", ev)
				}
			}
			// A Last-Event-ID of another topic right before one of this
			// topic's: given what follows it, untold, as nothing of the
			// topic lies between (a missed event carries such an ID;
			// TestSince has one further back told).
			c := open(t, b.Server, "/events/news", "2")
			if ev := c.Next(t); ev.ID != "3" {
				t.Fatalf("an ID of another topic right before the topic's 3: %+v", ev)
			}
		})
	}
}

// The seam across instances, raced: publishers on both instances while
// clients reconnect to either with a random recent Last-Event-ID; each
// sees after+1, after+2, ... (one topic in the stream: its IDs are
// contiguous).
func TestSeamAcrossInstances(t *testing.T) {
	const (
		clients = 6
		rounds  = 3
		span    = 30
	)
	nb := natstest.ForTestJetStream(t)
	cfg := natssse.Config{Retain: 100_000, FirstID: 1}
	insts := []instance{start(t, modes.H1, nb, cfg), start(t, modes.H1, nb, cfg)}

	// A watcher's last ID says which IDs exist.
	watch := open(t, insts[0].Server, "/events/race", "")
	var latest atomic.Uint64
	stop := make(chan struct{})
	var pubs, readers sync.WaitGroup
	pubs.Go(func() {
		for {
			select {
			case ev := <-watch.Events():
				id, _ := strconv.ParseUint(ev.ID, 10, 64)
				latest.Store(id)
			case <-stop:
				return
			}
		}
	})
	for p, in := range insts {
		pubs.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := in.b.Publish("race", sse.Event{Data: fmt.Sprintf("%d-%d", p, k)}); err != nil {
					t.Error(err)
					return
				}
				if k%64 == 63 { // let the acknowledgments catch up
					select {
					case <-in.js.PublishAsyncComplete():
					case <-stop:
						return
					}
					// And pace the publisher (about 6,000 events a
					// second): what is raced is the seam, not the
					// readers' speed, and unpaced publishers outran a
					// replaying stream's queue (MaxQueue) without the
					// race detector to slow them.
					select {
					case <-time.After(10 * time.Millisecond):
					case <-stop:
						return
					}
				}
			}
		})
	}
	wharftest.WaitFor(t, "the condition", func() bool { return latest.Load() > 50 })
	stream, err := insts[0].js.Stream(t.Context(), "WHARF_SSE")
	if err != nil {
		t.Fatal(err)
	}
	for range clients {
		readers.Go(func() {
			for range rounds {
				// A recent ID: the stream's last, not the watcher's, which
				// a loaded machine leaves thousands behind, and a replay
				// from there (one request per event) outlasted the
				// client's 30 s for its head.
				last, err := stream.GetLastMsgForSubject(t.Context(), "sse.race")
				if err != nil {
					t.Error(err)
					return
				}
				seen := last.Sequence
				after := seen - rand.Uint64N(min(seen, 200)+1)
				c, err := tryOpen(insts[rand.IntN(2)].Server, "/events/race", strconv.FormatUint(after, 10))
				if err != nil {
					t.Error(err)
					return
				}
				for want := after + 1; want <= after+span; want++ {
					ev := c.NextOr()
					if ev == nil {
						t.Errorf("after %d: the stream ended (%v) before ID %d", after, c.Err(), want)
						break
					}
					if ev.ID != strconv.FormatUint(want, 10) {
						t.Errorf("after %d: got ID %s, want %d", after, ev.ID, want)
						break
					}
				}
				c.Close()
			}
		})
	}
	readers.Wait()
	close(stop)
	pubs.Wait()
}

func open(t *testing.T, s *modes.Server, path, lastID string) *wharftest.EventStream {
	t.Helper()
	return wharftest.OpenEvents(t, s.Client, s.URL+path, lastID)
}

func tryOpen(s *modes.Server, path, lastID string) (*wharftest.EventStream, error) {
	return wharftest.TryOpenEvents(s.Client, s.URL+path, lastID)
}
