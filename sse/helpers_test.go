package sse_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/ssewire"
	"github.com/wharf-go/wharf/sse"
)

// wait is the bound of every wait for something that should happen.
const wait = 20 * time.Second

// newBroker returns a Broker closed when the test ends.
func newBroker(t testing.TB, cfg sse.Config) *sse.Broker {
	t.Helper()
	b, err := sse.NewBroker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// route serves topic {topic} at /events/{topic}.
func route(b *sse.Broker) func(c *container.Container) {
	return func(c *container.Container) {
		c.HandleFunc("GET /events/{topic}", func(w api.Response, r *api.Request) error {
			return b.Serve(w, r, r.PathParam("topic"))
		})
	}
}

// serve serves b on the epoll connector (modes.H1) until the test ends.
func serve(t testing.TB, b *sse.Broker) *modes.Server {
	c := container.New()
	route(b)(c)
	return modes.Start(t, modes.H1, c)
}

// client reads one stream with the ssewire decoder, on a goroutine of
// its own, into events.
type client struct {
	resp   *http.Response
	cancel context.CancelFunc
	events chan ssewire.Event
	done   chan struct{} // closed when the reading ends
	stop   chan struct{} // closed by close
	err    error         // why it ended (nil: the stream ended cleanly); after done

	closeOnce sync.Once
	mu        sync.Mutex
	comments  int
}

// open opens a stream on path; lastID "" sends no Last-Event-ID.
func open(t testing.TB, s *modes.Server, path, lastID string) *client {
	t.Helper()
	c, err := tryOpen(s, path, lastID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return c
}

func tryOpen(s *modes.Server, path, lastID string) (*client, error) {
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", s.URL+path, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") ||
		resp.Header.Get("Cache-Control") != "no-cache" {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("status %d, Content-Type %q, Cache-Control %q", resp.StatusCode,
			resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	c := &client{resp: resp, cancel: cancel, events: make(chan ssewire.Event, 4096), done: make(chan struct{}), stop: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *client) read() {
	defer close(c.done)
	var d ssewire.Decoder
	buf := make([]byte, 32<<10)
	for {
		n, err := c.resp.Body.Read(buf)
		ferr := d.Feed(buf[:n], func(ev ssewire.Event) {
			select {
			case c.events <- ev:
			case <-c.stop: // closed: nobody reads them any more
			}
		})
		c.mu.Lock()
		c.comments = d.Comments
		c.mu.Unlock()
		if ferr != nil {
			c.err = ferr
			return
		}
		if err != nil {
			if err.Error() != "EOF" {
				c.err = err
			}
			return
		}
	}
}

// next returns the next event, failing the test if none comes.
func (c *client) next(t testing.TB) ssewire.Event {
	t.Helper()
	select {
	case ev := <-c.events:
		return ev
	case <-c.done:
		select {
		case ev := <-c.events:
			return ev
		default:
		}
		t.Fatalf("stream ended (%v) before the next event", c.err)
	case <-time.After(wait):
		t.Fatal("no event")
	}
	return ssewire.Event{}
}

// nextOr is next for goroutines other than the test's: nil if the
// stream ends first or nothing comes within the wait.
func (c *client) nextOr() *ssewire.Event {
	select {
	case ev := <-c.events:
		return &ev
	case <-c.done:
		select {
		case ev := <-c.events:
			return &ev
		default:
		}
	case <-time.After(wait):
	}
	return nil
}

// ended waits for the stream to end and returns why (nil: cleanly).
func (c *client) ended(t testing.TB) error {
	t.Helper()
	select {
	case <-c.done:
		return c.err
	case <-time.After(wait):
		t.Fatal("the stream did not end")
	}
	return nil
}

func (c *client) close() {
	c.closeOnce.Do(func() { close(c.stop) })
	c.cancel()
	c.resp.Body.Close()
	<-c.done
}
