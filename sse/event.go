package sse

import (
	"fmt"
	"strconv"
	"time"

	"github.com/wharf-go/wharf/internal/ssewire"
)

// Event is one Server-Sent Event.
type Event struct {
	// ID is assigned by the Log when the event is published (Publish
	// overwrites it): the topic's sequence number, in decimal. Clients
	// send the last one they received back as Last-Event-ID.
	ID string
	// Event is the event's type; "" sends none, and the client
	// dispatches a "message".
	Event string
	// Data is the payload. Each of its lines (split at CR, LF and CRLF)
	// goes out as a "data:" line; the client sees them joined by LF.
	Data string
	// Retry, when positive, tells the client how long to wait before it
	// reconnects (sent in whole milliseconds).
	Retry time.Duration
}

func (ev Event) wire() ssewire.Event {
	return ssewire.Event{ID: ev.ID, Type: ev.Event, Data: ev.Data, Retry: ev.Retry}
}

// check reports whether ev can be sent, ID aside (the Log sets it).
func (ev Event) check() error {
	w := ev.wire()
	w.ID = ""
	if err := ssewire.Check(w); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	return nil
}

// frame is what a stream writes: an event encoded once for every stream
// of its topic, or a comment. The bytes are never changed after they are
// made, so any number of streams may queue the same frame.
type frame struct {
	seq uint64 // the event's ID; 0 for a comment
	b   []byte
}

// heartbeat is the comment a silent stream sends, shared by all.
var heartbeat = &frame{b: []byte(":\n\n")}

// encode makes the frame of an event whose ID the log assigned.
func encode(ev Event) (*frame, error) {
	seq, err := strconv.ParseUint(ev.ID, 10, 64)
	if err != nil || seq == 0 {
		return nil, fmt.Errorf("%w: the log gave the ID %q, not a positive decimal", ErrInvalidEvent, ev.ID)
	}
	b, err := ssewire.Append(nil, ev.wire())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	return &frame{seq: seq, b: b}, nil
}

// CheckTopic reports whether topic can name a topic: one or more tokens
// separated by dots, each of ASCII letters, digits, '-' and '_', 255
// bytes at most in all. (Each log maps topics onto its own names: these
// are valid NATS subject tokens, for instance.)
func CheckTopic(topic string) error {
	if topic == "" || len(topic) > 255 {
		return fmt.Errorf("%w: %q", ErrInvalidTopic, topic)
	}
	prevDot := true
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		switch {
		case c == '.':
			if prevDot {
				return fmt.Errorf("%w: %q", ErrInvalidTopic, topic)
			}
			prevDot = true
			continue
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return fmt.Errorf("%w: %q", ErrInvalidTopic, topic)
		}
		prevDot = false
	}
	if prevDot {
		return fmt.Errorf("%w: %q", ErrInvalidTopic, topic)
	}
	return nil
}
