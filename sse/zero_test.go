package sse_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/sse"
)

// A zero Broker (var b sse.Broker, &sse.Broker{}) is NewBroker(Config{})'s,
// set up by whichever of its methods is called first: each, called first,
// works, and the Broker then carries events to its streams (or, closed,
// refuses them). Publish used to panic on a nil log, and Close on a nil
// pool's conversion.
func TestZeroBroker(t *testing.T) {
	bg := context.Background()
	firsts := []struct {
		name   string
		first  func(t *testing.T, b *sse.Broker, s *modes.Server)
		closed bool // first closes the Broker
	}{
		{name: "Publish", first: func(t *testing.T, b *sse.Broker, _ *modes.Server) {
			if err := b.Publish("t", sse.Event{Data: "before"}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "PublishWait", first: func(t *testing.T, b *sse.Broker, _ *modes.Server) {
			if id, err := b.PublishWait(bg, "t", sse.Event{Data: "before"}); err != nil || id == "" {
				t.Fatalf("PublishWait: %q, %v", id, err)
			}
		}},
		{name: "PublishWaitFunc", first: func(t *testing.T, b *sse.Broker, _ *modes.Server) {
			_, err := b.PublishWaitFunc(bg, "t", func(id string) (sse.Event, error) { return sse.Event{Data: id}, nil })
			if err != nil {
				t.Fatal(err)
			}
		}},
		{name: "Stats", first: func(t *testing.T, b *sse.Broker, _ *modes.Server) {
			if st := b.Stats(); st != (sse.Stats{}) {
				t.Fatalf("a zero Broker's stats: %+v", st)
			}
		}},
		{name: "Serve", first: func(t *testing.T, b *sse.Broker, s *modes.Server) {
			open(t, s, "/serve/t", "").Close()
		}},
		{name: "Handler", first: func(t *testing.T, b *sse.Broker, s *modes.Server) {
			open(t, s, "/handler", "").Close()
		}},
		{name: "Close", closed: true, first: func(t *testing.T, b *sse.Broker, _ *modes.Server) {
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range firsts {
		t.Run(tc.name, func(t *testing.T) {
			b := new(sse.Broker)
			t.Cleanup(func() { b.Close() })
			c := container.New()
			c.HandleFunc("GET /serve/{topic}", func(w api.Response, r *api.Request) error {
				return b.Serve(w, r, r.PathParam("topic"))
			})
			c.Handle("GET /handler", b.Handler("t"))
			s := modes.Start(t, modes.H1, c)
			tc.first(t, b, s)

			if tc.closed {
				if err := b.Publish("t", sse.Event{}); !errors.Is(err, sse.ErrClosed) {
					t.Fatalf("Publish after Close: %v", err)
				}
				resp, err := s.Client.Get(s.URL + "/handler")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || string(body) != "retry: 1000\n\n" {
					t.Fatalf("a stream after Close: %d %q", resp.StatusCode, body)
				}
				return
			}
			es := open(t, s, "/handler", "")
			id, err := b.PublishWait(bg, "t", sse.Event{Data: "live"})
			if err != nil {
				t.Fatal(err)
			}
			if got := es.Next(t); got.ID != id || got.Data != "live" {
				t.Fatalf("got %+v, want ID %s and data \"live\"", got, id)
			}
			// At least the live stream: one the first call opened and
			// closed may not have been seen gone yet.
			if st := b.Stats(); st.Streams < 1 || st.Delivered < 1 {
				t.Fatalf("stats %+v", st)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if err := es.Ended(t); err != nil {
				t.Fatalf("the stream ended with %v, want a clean end", err)
			}
		})
	}
}

// A zero Broker's first use may come from several goroutines at once:
// one sets it up, the others wait for it (the race detector checks).
func TestZeroBrokerConcurrentFirstUse(t *testing.T) {
	var b sse.Broker
	defer b.Close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := b.Publish("t", sse.Event{Data: "x"}); err != nil {
				t.Error(err)
			}
			b.Stats()
		})
	}
	wg.Wait()
	if st := b.Stats(); st.Published != 8 {
		t.Fatalf("stats %+v, want 8 published", st)
	}
}
