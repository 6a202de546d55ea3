package sse_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/ssewire"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
)

// On every protocol: events reach a stream framed as published; a client
// reconnecting with Last-Event-ID gets what it missed, then the live
// events; clients that leave are noticed and their streams removed.
func TestStreamEveryMode(t *testing.T) {
	var b *sse.Broker
	build := func(c *container.Container) {
		b = newBroker(t, sse.Config{Heartbeat: 20 * time.Millisecond})
		route(b)(c)
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		a := open(t, s, "/events/news", "")
		published := []sse.Event{
			{Data: "one"},
			{Event: "update", Data: "two\r\nlines\rand\nmore"},
			{Data: " three: ", Retry: 2 * time.Second},
		}
		for _, ev := range published {
			if err := b.Publish("news", ev); err != nil {
				t.Fatal(err)
			}
		}
		want := []ssewire.Event{
			{ID: "1", Data: "one"},
			{ID: "2", Type: "update", Data: "two\nlines\nand\nmore"},
			{ID: "3", Data: " three: ", Retry: 2 * time.Second},
		}
		for _, w := range want {
			if got := a.Next(t); got != w {
				t.Fatalf("got %+v, want %+v", got, w)
			}
		}

		r := open(t, s, "/events/news", "1")
		for _, w := range want[1:] {
			if got := r.Next(t); got != w {
				t.Fatalf("replayed %+v, want %+v", got, w)
			}
		}
		if err := b.Publish("news", sse.Event{Data: "four"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*wharftest.EventStream{a, r} {
			if got := c.Next(t); got.ID != "4" || got.Data != "four" {
				t.Fatalf("live after replay: %+v", got)
			}
		}
		if st := b.Stats(); st.Streams != 2 || st.Published != 4 || st.Delivered != 4+2+1 {
			t.Fatalf("stats %+v", st)
		}

		// Heartbeats keep an idle stream talking.
		wharftest.WaitFor(t, "heartbeats", func() bool {
			return a.Comments() >= 3
		})

		a.Close()
		wharftest.WaitFor(t, "the first stream removed", func() bool { return b.Stats().Streams == 1 })
		r.Close()
		wharftest.WaitFor(t, "every stream removed", func() bool { return b.Stats().Streams == 0 })
	})
}

// A container's Shutdown ends each stream cleanly (its response
// completes: the client reads the end of the body, not an error) and
// returns; the stream leaves its topic.
func TestShutdownEndsStreams(t *testing.T) {
	var b *sse.Broker
	build := func(c *container.Container) {
		b = newBroker(t, sse.Config{})
		route(b)(c)
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		c := open(t, s, "/events/t", "")
		if err := b.Publish("t", sse.Event{Data: "x"}); err != nil {
			t.Fatal(err)
		}
		c.Next(t)
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := s.Container.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if err := c.Ended(t); err != nil {
			t.Fatalf("the stream ended with %v, want a clean end", err)
		}
		wharftest.WaitFor(t, "the stream removed", func() bool { return b.Stats().Streams == 0 })
	})
}

// Broker.Close ends its streams cleanly, and refuses events and streams.
func TestBrokerClose(t *testing.T) {
	var b *sse.Broker
	build := func(c *container.Container) {
		b = newBroker(t, sse.Config{})
		route(b)(c)
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		c := open(t, s, "/events/t", "")
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Ended(t); err != nil {
			t.Fatalf("the stream ended with %v, want a clean end", err)
		}
		if err := b.Publish("t", sse.Event{}); !errors.Is(err, sse.ErrClosed) {
			t.Fatalf("Publish after Close: %v", err)
		}
		// An EventSource retries a stream that ends, and gives up on an
		// error status: a stream asked of a closed Broker is a 200 that
		// ends at once, telling the client when to come back.
		resp, err := s.Client.Get(s.URL + "/events/t")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || string(body) != "retry: 1000\n\n" {
			t.Fatalf("a stream after Close: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		wharftest.WaitFor(t, "no stream", func() bool { return b.Stats().Streams == 0 })
	})
}

// Close racing publishers and clients that open streams, with many
// streams open: each open stream ends cleanly, each publisher gets
// ErrClosed (or has published its share) and stops, and no stream is
// left in its topic; goleak, in TestMain, sees that nothing is left
// running either.
func TestBrokerCloseRacingPublishers(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H2} {
		t.Run(string(m), func(t *testing.T) {
			// Room for every event the publishers can make: a stream
			// ended as slow would not end cleanly.
			const most = 1000 // each publisher's
			b := newBroker(t, sse.Config{MaxQueue: 4 * most})
			c := container.New(modes.Options(m)...)
			route(b)(c)
			s := modes.Start(t, m, c)
			var streams []*wharftest.EventStream
			for range 20 {
				streams = append(streams, open(t, s, "/events/t", ""))
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for range most {
						if err := b.Publish("t", sse.Event{Data: "x"}); errors.Is(err, sse.ErrClosed) {
							return
						} else if err != nil {
							t.Errorf("Publish: %v", err)
							return
						}
					}
				})
			}
			wg.Go(func() {
				for range 5 {
					if es, err := tryOpen(s, "/events/t", "1"); err == nil {
						es.Close()
					}
				}
			})
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			for i, es := range streams {
				if err := es.Ended(t); err != nil {
					t.Errorf("stream %d ended with %v, want a clean end", i, err)
				}
			}
			wharftest.WaitFor(t, "no stream", func() bool { return b.Stats().Streams == 0 })
		})
	}
}

// closingHeader closes its Broker the first time the handler asks for its
// header: Serve does so (to set the stream's head) after its check that
// the Broker is open and before the stream subscribes, the window a Close
// from another goroutine can fall in.
type closingHeader struct {
	api.ResponseWrapper
	b    *sse.Broker
	once *sync.Once
}

func (w closingHeader) Header() http.Header {
	w.once.Do(func() { w.b.Close() })
	return w.Response.Header()
}

// A Broker closed while Serve opens a stream answers as a closed Broker
// does, a 200 that ends with a retry, which an EventSource follows: it
// once answered 503, on which an EventSource gives up for good.
func TestBrokerClosedWhileOpening(t *testing.T) {
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable, modes.H2, modes.H3} {
		t.Run(string(m), func(t *testing.T) {
			b := newBroker(t, sse.Config{})
			c := container.New(modes.Options(m)...)
			c.HandleFunc("GET /events/{topic}", func(w api.Response, r *api.Request) error {
				return b.Serve(closingHeader{api.ResponseWrapper{Response: w}, b, new(sync.Once)}, r, r.PathParam("topic"))
			})
			s := modes.Start(t, m, c)
			resp, err := s.Client.Get(s.URL + "/events/t")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || string(body) != "retry: 1000\n\n" {
				t.Fatalf("a stream whose Broker closed as it opened: %d %q %q, want 200 text/event-stream \"retry: 1000\\n\\n\"",
					resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			if st := b.Stats(); st.Streams != 0 || st.Opened != 0 {
				t.Fatalf("stats %+v, want no stream", st)
			}
		})
	}
}

// Behind filters/gzip, which a site puts in front of everything, a stream
// goes out uncompressed and live on every protocol: its head is flushed
// before any event, which the filter passes through, and its events go
// through the request's Output, which the filter does not wrap. A replay
// larger than the filter's MinSize included.
func TestStreamBehindGzip(t *testing.T) {
	var b *sse.Broker
	build := func(c *container.Container) {
		b = newBroker(t, sse.Config{})
		c.Filter("/*", gzip.New(gzip.Config{}))
		route(b)(c)
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		data := strings.Repeat("compressible ", 10)
		for range 50 { // about 7 KiB to replay
			if err := b.Publish("news", sse.Event{Data: data}); err != nil {
				t.Fatal(err)
			}
		}
		a := open(t, s, "/events/news", "1")
		if a.Response().Uncompressed || a.Response().Header.Get("Content-Encoding") != "" {
			t.Fatalf("the stream was compressed: %v", a.Response().Header)
		}
		for i := 2; i <= 50; i++ {
			if got := a.Next(t); got.Data != data {
				t.Fatalf("replayed event %d: %+v", i, got)
			}
		}
		if err := b.Publish("news", sse.Event{Data: "live"}); err != nil {
			t.Fatal(err)
		}
		if got := a.Next(t); got.Data != "live" {
			t.Fatalf("live event: %+v", got)
		}
	})
}
