package wharftest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/ssewire"
)

// eventWait bounds a wait for an event or for a stream's end: twice
// Patience, as events may cross a broker (NATS) on a loaded machine.
const eventWait = 2 * Patience

// EventStream is a client of one text/event-stream response, read with
// the ssewire decoder on a goroutine of its own: the tests of package sse
// and of its logs read streams through it.
type EventStream struct {
	resp   *http.Response
	cancel context.CancelFunc
	events chan ssewire.Event
	done   chan struct{} // closed when the reading ends
	stop   chan struct{} // closed by Close: nobody takes events any more
	err    error         // why it ended (nil: cleanly); read after done

	closeOnce sync.Once
	mu        sync.Mutex
	comments  int
}

// OpenEvents opens the stream at url through c, with Last-Event-ID lastID
// unless it is "", failing the test if the answer is not a stream; the
// stream is closed when the test ends.
func OpenEvents(t testing.TB, c *http.Client, url, lastID string) *EventStream {
	t.Helper()
	s, err := TryOpenEvents(c, url, lastID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// TryOpenEvents is OpenEvents for goroutines other than the test's: the
// caller closes the stream.
func TryOpenEvents(c *http.Client, url, lastID string) (*EventStream, error) {
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := c.Do(req)
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
	s := &EventStream{resp: resp, cancel: cancel, events: make(chan ssewire.Event, 4096),
		done: make(chan struct{}), stop: make(chan struct{})}
	go s.read()
	return s, nil
}

func (s *EventStream) read() {
	defer close(s.done)
	var d ssewire.Decoder
	buf := make([]byte, 32<<10)
	for {
		n, err := s.resp.Body.Read(buf)
		ferr := d.Feed(buf[:n], func(ev ssewire.Event) {
			select {
			case s.events <- ev:
			case <-s.stop:
			}
		})
		s.mu.Lock()
		s.comments = d.Comments
		s.mu.Unlock()
		if ferr != nil {
			s.err = ferr
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.err = err
			}
			return
		}
	}
}

// Next returns the next event, failing the test if none comes within
// eventWait or the stream ends first.
func (s *EventStream) Next(t testing.TB) ssewire.Event {
	t.Helper()
	ev := s.NextOr()
	if ev == nil {
		t.Fatalf("no event (the stream: %v, ended: %v)", s.errIfDone(), s.isDone())
	}
	return *ev
}

// NextOr is Next for goroutines other than the test's: nil if the stream
// ends first or nothing comes within eventWait.
func (s *EventStream) NextOr() *ssewire.Event {
	select {
	case ev := <-s.events:
		return &ev
	case <-s.done:
		select {
		case ev := <-s.events:
			return &ev
		default:
		}
	case <-time.After(eventWait):
	}
	return nil
}

// Response is the stream's response (its head; the body is the reader's).
func (s *EventStream) Response() *http.Response { return s.resp }

// Events is where the events arrive, for a test that takes them in a
// select of its own.
func (s *EventStream) Events() <-chan ssewire.Event { return s.events }

// Ended waits for the stream to end and returns why (nil: cleanly).
func (s *EventStream) Ended(t testing.TB) error {
	t.Helper()
	select {
	case <-s.done:
		return s.err
	case <-time.After(eventWait):
		t.Fatal("the stream did not end")
	}
	return nil
}

// Err returns why the stream ended, or nil while it is open.
func (s *EventStream) Err() error { return s.errIfDone() }

// Comments returns how many comment lines (heartbeats) came so far.
func (s *EventStream) Comments() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.comments
}

// Close ends the stream and waits for its reader. Any goroutine may call
// it, more than once.
func (s *EventStream) Close() {
	s.closeOnce.Do(func() { close(s.stop) })
	s.cancel()
	s.resp.Body.Close()
	<-s.done
}

func (s *EventStream) isDone() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *EventStream) errIfDone() error {
	if s.isDone() {
		return s.err
	}
	return nil
}
