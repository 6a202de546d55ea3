package sse_test

import (
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
)

// wait is the bound of every wait for something that should happen.
const wait = 20 * time.Second

// newBroker returns a Broker closed when the test ends.
//
// Its default log numbers events from 1, not from the clock, so that a
// test can name the IDs; TestMemoryLogRestart and the examples cover the
// clock's numbering.
func newBroker(t testing.TB, cfg sse.Config) *sse.Broker {
	t.Helper()
	if cfg.Log == nil {
		cfg.Log = sse.NewMemoryLog(cfg.Retain, sse.WithFirstID(1))
	}
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

// open opens a stream on path; lastID "" sends no Last-Event-ID.
func open(t testing.TB, s *modes.Server, path, lastID string) *wharftest.EventStream {
	t.Helper()
	return wharftest.OpenEvents(t, s.Client, s.URL+path, lastID)
}

// tryOpen is open for goroutines other than the test's.
func tryOpen(s *modes.Server, path, lastID string) (*wharftest.EventStream, error) {
	return wharftest.TryOpenEvents(s.Client, s.URL+path, lastID)
}
