package sse

import (
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/internal/ssewire"
)

// Handler returns a Handler that opens a stream on topic (see Serve).
//
// It panics if topic is not one CheckTopic accepts ("room/lobby", "a b"),
// as the container's Handle panics on a malformed pattern: the topic is
// the program's, fixed at setup, and every stream would otherwise be
// answered 400, which an EventSource does not retry, while the server
// logs nothing (a 4xx is the client's fault). A topic taken from the
// request goes to Serve, which answers 400.
func (b *Broker) Handler(topic string) api.Handler {
	if err := CheckTopic(topic); err != nil {
		panic(err.Error() + ": Handler takes a topic of dot-separated tokens of letters, digits, '-' and '_' (\"room.lobby\")")
	}
	return api.HandlerFunc(func(w api.Response, r *api.Request) error { return b.Serve(w, r, topic) })
}

// Serve opens an event stream on topic as the answer to r and returns at
// once; the stream lives on in async mode, holding no goroutine, until the
// client leaves, the container shuts down, the Broker is closed, or the
// client reads too slowly. Call it from a handler's dispatch, after
// whatever checks the handler makes (a topic is not a secret).
//
// A HEAD request gets the head of a stream and ends at once. Any method
// but GET and HEAD is answered 405, with an Allow field.
//
// A request with a Last-Event-ID header first gets what it missed (see
// Log.Since), then the live events, with no gap and no duplicate between
// the two. Serve waits for Since there: a handler that calls it may be
// declared api.NonBlocking only with a log whose Since never waits (a
// MemoryLog's), not with one a round trip away (natssse's), which would
// hold up the event loop the request came in on. A Last-Event-ID that
// is empty (white space around it aside) is no ID: the stream starts
// with the live events. One that is not a decimal integer (another
// backend's UUID, say), or too large for any ID, is taken as an ID the
// log never gave: missed, then everything retained.
//
// It returns ErrInvalidTopic as a 400 (a topic is often taken from the
// path). A closed Broker answers a stream that ends at once with
// "retry: 1000", which an EventSource follows, and so does a log that
// fails to read the replay (a NATS outage), logged at Warn to
// Config.Logger: an EventSource gives up for good on any status but 200.
// A Broker closed while Serve opens the stream answers the same.
func (b *Broker) Serve(w api.Response, r *api.Request, topic string) error {
	b.ready()
	if err := CheckTopic(topic); err != nil {
		return &api.StatusError{Code: http.StatusBadRequest, Err: err}
	}
	switch r.Method() {
	case http.MethodGet, http.MethodHead:
	default:
		// An EventSource only GETs. A stream opened for a POST, say, would
		// leave its body unread and tell the client it was taken.
		w.Header().Set("Allow", "GET, HEAD")
		return api.Error(http.StatusMethodNotAllowed, "an event stream is read with GET")
	}
	if r.Method() == http.MethodHead {
		// The head a GET gets, and the end: a stream's body is never
		// sent for a HEAD, heartbeats included, so no write would find
		// a client that left and the stream would never end, holding
		// its connection (HTTP/1.1 carries no other request meanwhile).
		// Flushed, as a stream's head is, so that it declares no
		// Content-Length: a GET's body has none (RFC 9110 §8.6).
		setHead(w)
		return w.Flush()
	}
	if b.isClosed() {
		// An EventSource reconnects when a stream ends, but gives up for
		// good on an error status: end the stream at once instead, with
		// the time to wait, so that it comes back (to this instance once
		// it serves again, or to another behind the load balancer).
		setHead(w)
		_, err := w.Write(retryLater)
		return err
	}
	// Trimmed as a field value is (RFC 9110 §5.5): Wharf's connectors
	// trim it on every protocol, but a container mounted in another
	// server (net/http's, through the adapter) may hand it over as it
	// came, and " 41" would be taken for no ID, its client resumed with
	// the live events.
	sentID := strings.Trim(r.Header().Get("Last-Event-ID"), " \t")
	after, replay := lastEventID(sentID)
	a, err := async.Start(r)
	if err != nil {
		return err
	}
	a.SetTimeout(-1)
	a.SetOnShutdown(async.ShutdownExpire)
	setHead(w)
	s := &stream{b: b, topic: topic, a: a}
	s.pumpTask = s.pump
	a.AddListener(async.Listener{OnTimeout: s.onShutdown, OnComplete: s.onComplete})
	if s.out, err = a.SetWriteListener(s); err != nil {
		return err
	}
	// The seam: subscribe first, so that every event delivered from now
	// on is held in the queue, then read the log; the queue's events that
	// the replay has (IDs up to through) are dropped.
	if err := b.subscribe(s); err != nil {
		// Closed since the check above: ended as a closed Broker's
		// stream, which the client retries (a 503 would stop it).
		if _, err := w.Write(retryLater); err != nil {
			return err
		}
		s.stop()
		return nil
	}
	head := []*frame{heartbeat} // commits the response's head at once: the client sees the stream open
	var evs []Event
	var through uint64
	if replay {
		var missed bool
		evs, through, missed, err = b.log.Since(r.Context(), topic, after)
		if err != nil {
			// Every client reconnecting while the log is away would get
			// an error status and give up for good: end the stream as a
			// closed Broker's, which it retries, and tell the server
			// instead (but not of a client that left meanwhile, whose
			// context ended the read: nothing failed).
			if r.Context().Err() == nil {
				b.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "sse: reading the replay failed; the stream ends with a retry",
					slog.String("topic", topic), slog.String("last_event_id", sentID), slog.Any("err", err))
			}
			if _, err := w.Write(retryLater); err != nil {
				return err
			}
			s.stop() // completes the request once Serve returns; the stream leaves its topic then
			return nil
		}
		if missed && b.cfg.MissedEvent != "-" {
			// The data is the ID as the client sent it (a number past
			// any ID, or no number, included), a run of bytes that are
			// not UTF-8 in it made U+FFFD: the encoder refuses data
			// that is not UTF-8, and no missed event would go. A CR or
			// LF in it (no protocol lets one through a field value)
			// would only split the data into lines, each a "data:"
			// line: none can be another field. The ID is where the
			// stream stands: an EventSource takes it as its last, so
			// that, back before the replay's first event, it is not
			// told again of a loss it was told of, and is sent that
			// event (see resumeID).
			m, err := ssewire.Append(nil, ssewire.Event{Type: b.cfg.MissedEvent, Data: strings.ToValidUTF8(sentID, "\uFFFD"), ID: resumeID(evs, through)})
			if err == nil {
				head = append(head, &frame{b: m})
			}
		}
	}
	s.seam(head, evs, through)
	return nil
}

// retryLater is the whole body of a stream a closed Broker answers: come
// back in a second.
var retryLater = []byte("retry: 1000\n\n")

// resumeID is the ID a missed event carries, ahead of the replay evs
// read up to through: the ID just before the replay's first event, or
// through when the replay is empty, the last ID the seam counts as sent.
// Without it, a client whose replay is empty keeps the ID it was told is
// lost and is told again at every reconnection; with it, it resumes from
// there, with no gap, as the live events all come after through, and no
// duplicate. A Log's Since takes either as a place that lost nothing
// (see Log.Since): the ID just before the first event it retains after
// it, or its through, beyond which every event comes live; through is
// the one before the log's first ID for a topic a MemoryLog never
// numbered (not 0, which asks for everything retained, and so could not
// tell a client back after a restart what it lost). ""
// (no id field: the client keeps its last) when the first event's ID is
// not one a Log gives.
func resumeID(evs []Event, through uint64) string {
	if len(evs) == 0 {
		return strconv.FormatUint(through, 10)
	}
	first, err := strconv.ParseUint(evs[0].ID, 10, 64)
	if err != nil || first == 0 {
		return ""
	}
	return strconv.FormatUint(first-1, 10)
}

// lastEventID reads v, the Last-Event-ID header's value, trimmed: replay
// is false when it is empty, which is no ID. An EventSource sends no
// Last-Event-ID while its last event ID is empty (the HTML Standard's
// reconnection sets the header only for one that is not), so an empty
// value is what a client with no ID sends, or one told "id:" with
// nothing, which resets its ID to none. Any other value that is not an
// ID a Log gives (no decimal number: a list, a sign, another backend's
// UUID; or one past 2^64-1) is an ID this log never gave: the client's
// position cannot be known, and starting it live would lose silently
// what it missed, so it is read as one past every ID, which Since
// reports missed, as it does one beyond the topic's last.
func lastEventID(v string) (after uint64, replay bool) {
	if v == "" {
		return 0, false
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return math.MaxUint64, true
	}
	return id, true
}
