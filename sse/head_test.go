package sse_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/sse"
)

// A HEAD of a stream's path (which the container hands to GET's handler)
// gets the head a GET gets and ends, on every protocol: a stream opened
// for it would never end, since its body, heartbeats included, is never
// sent, so no write finds a client that left. It once stayed open: on
// HTTP/1.1 the keep-alive connection carried no further request, and on
// HTTP/2 the stream never ended, which Go's client waits for.
func TestHeadEndsAtOnce(t *testing.T) {
	// Wharf's own connectors, whose shutdown ends a stream left open, so
	// that the test fails rather than hangs without the fix (a net/http
	// server would wait for it).
	for _, m := range []modes.Mode{modes.H1, modes.H1Portable, modes.H1TLS, modes.H2, modes.H2C} {
		t.Run(string(m), func(t *testing.T) {
			b := newBroker(t, sse.Config{})
			c := container.New(modes.Options(m)...)
			route(b)(c)
			c.HandleFunc("GET /ping", func(w api.Response, r *api.Request) error {
				_, err := w.WriteString("pong")
				return err
			})
			headThenPing(t, modes.Start(t, m, c), b)
		})
	}
}

// headThenPing sends a HEAD of a stream and then a GET of /ping on the same
// client, whose connection is kept between them, and waits for b to hold no
// stream. Bounded: without the fix, each request waited for ever.
func headThenPing(t *testing.T, s *modes.Server, b *sse.Broker) {
	ctx, cancel := context.WithTimeout(t.Context(), wharftest.Patience)
	defer cancel()
	for _, tc := range []struct{ method, path string }{
		{http.MethodHead, "/events/t"},
		{http.MethodGet, "/ping"},
	} {
		req, _ := http.NewRequestWithContext(ctx, tc.method, s.URL+tc.path, nil)
		resp, err := s.Client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode != http.StatusOK:
			t.Fatalf("%s %s: %d", tc.method, tc.path, resp.StatusCode)
		case tc.method == http.MethodHead && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream"):
			t.Fatalf("HEAD: Content-Type %q", resp.Header.Get("Content-Type"))
		case tc.method == http.MethodHead && resp.ContentLength != -1:
			// A GET's stream has no length: a HEAD may not declare one
			// (RFC 9110 §8.6).
			t.Fatalf("HEAD: Content-Length %d", resp.ContentLength)
		case tc.method == http.MethodGet && string(body) != "pong":
			t.Fatalf("GET /ping: %q", body)
		}
	}
	wharftest.WaitFor(t, "no stream", func() bool { return b.Stats().Streams == 0 })
}

// Handler answers any method but GET and HEAD with a 405 and an Allow
// field, and opens no stream: mounted without a method, a POST once got a
// stream, its body unread.
func TestHandlerRefusesOtherMethods(t *testing.T) {
	b := newBroker(t, sse.Config{})
	c := container.New()
	c.Handle("/feed", b.Handler("t"))
	s := modes.Start(t, modes.H1, c)
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(method, s.URL+"/feed", strings.NewReader("x"))
		resp, err := s.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d, Allow %q; want 405, Allow \"GET, HEAD\"", method, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	if st := b.Stats(); st.Streams != 0 {
		t.Errorf("stats %+v, want no stream", st)
	}
}

// Handler's topic is the program's, fixed when it is mapped: one that is
// no topic panics there, naming it, rather than answer every stream 400,
// which an EventSource does not retry and the server does not log. A
// valid topic makes a Handler.
func TestHandlerRefusesInvalidTopic(t *testing.T) {
	b := newBroker(t, sse.Config{})
	for _, tc := range []struct {
		topic string
		ok    bool
	}{
		{"room.lobby", true},
		{"room/lobby", false},
		{"a b", false},
		{"", false},
		{"room.*", false},
	} {
		msg := func() (msg string) {
			defer func() {
				if p := recover(); p != nil {
					msg = p.(string)
				}
			}()
			if b.Handler(tc.topic) == nil {
				t.Errorf("Handler(%q) = nil", tc.topic)
			}
			return ""
		}()
		if tc.ok != (msg == "") {
			t.Errorf("Handler(%q) panic %q, want a panic: %v", tc.topic, msg, !tc.ok)
		}
		if !tc.ok && (!strings.Contains(msg, strconv.Quote(tc.topic)) || !strings.Contains(msg, "invalid topic")) {
			t.Errorf("Handler(%q) panic %q does not name the topic as invalid", tc.topic, msg)
		}
	}
}
