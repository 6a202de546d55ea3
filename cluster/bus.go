package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of package cluster.
var (
	// ErrClosed is returned by a Bus after Close.
	ErrClosed = errors.New("cluster: bus closed")
	// ErrBadSubject is returned for an empty subject or one with spaces or
	// empty tokens ("a..b"), which no broker would route.
	ErrBadSubject = errors.New("cluster: invalid subject")
	// ErrNotDelivered is wrapped by the errors of a Publish that reached
	// this instance's subscribers but not the other instances (the broker
	// is away): the event counts as lost. Match it with errors.Is.
	ErrNotDelivered = errors.New("cluster: event not delivered to the other instances")
)

// PanicError is returned by Local.Publish when a subscriber's callback
// panicked: the other subscribers were served all the same.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack
}

// Error names the panic's value; the stack is left to whoever logs it, as
// it is too long for an error's text.
func (e *PanicError) Error() string {
	return fmt.Sprintf("cluster: panic in a subscriber: %v", e.Value)
}

// Bus carries events between the instances of a cluster. See the package
// documentation for its delivery guarantees and goroutines.
type Bus interface {
	// Publish sends data on subject to every subscriber of subject, on
	// every instance. It returns when the event is handed to the local
	// subscribers and to the transport: nil does not mean the other
	// instances got it (see the package documentation). An error wrapping
	// ErrNotDelivered means the local subscribers got the event but the
	// other instances will not; it counts in Stats.Lost. ErrBadSubject and ErrClosed mean
	// nobody got it. The Bus keeps no reference to data after Publish
	// returns.
	Publish(ctx context.Context, subject string, data []byte) error
	// Subscribe calls fn with every event published on a subject pattern
	// matches, by any instance, from now until the Subscription is
	// cancelled or the Bus closed. fn must not modify data, nor keep it
	// after it returns. Subscribe once per pattern (a room, a topic) and
	// resume the requests waiting for it from fn, rather than once per
	// request: a subscription costs the broker a round trip.
	Subscribe(pattern string, fn func(subject string, data []byte)) (Subscription, error)
	// Stats returns the event counts so far.
	Stats() Stats
	// Close cancels every subscription and releases the transport.
	// Publish and Subscribe then return ErrClosed.
	Close() error
}

// Subscription is one Subscribe call.
type Subscription interface {
	// Unsubscribe stops the deliveries. A callback that is running
	// finishes, and one may still start just after Unsubscribe returns.
	// Unsubscribing twice is harmless. It may be called from any
	// goroutine, the subscription's own callback included.
	Unsubscribe() error
}

// Stats counts a Bus's events on this instance.
type Stats struct {
	Published int64 `json:"published"` // Publish calls that returned nil
	Delivered int64 `json:"delivered"` // callback calls, for local and remote events
	// Lost counts the events this instance failed to send to the others
	// (Publish returned ErrNotDelivered) and the remote events its slow
	// subscriptions dropped, each subscription counting its own; not the
	// events lost in the transport after Publish returned nil.
	Lost int64 `json:"lost"`
	// Connected reports whether the transport reaches the broker now
	// (always true for the in-process Bus).
	Connected bool `json:"connected"`
	// Reconnects counts the sessions with the broker made after the first
	// attempt: the broker got back, or reached at last when it was down
	// at start. A connection that never got through the broker's
	// handshake is not one.
	Reconnects int64 `json:"reconnects"`
}

// ValidSubject reports whether s is a subject a Bus accepts: non-empty
// dot-separated tokens of printable ASCII without spaces. The NATS
// wildcards "*" and ">" are accepted by Subscribe only.
func ValidSubject(s string) bool {
	if s == "" {
		return false
	}
	tokenStart := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if tokenStart {
				return false
			}
			tokenStart = true
			continue
		case c <= ' ' || c >= 0x7f:
			return false
		}
		tokenStart = false
	}
	return !tokenStart
}

// hasWildcard reports whether subject has a "*" or ">" token.
func hasWildcard(subject string) bool {
	for t := range strings.SplitSeq(subject, ".") {
		if t == "*" || t == ">" {
			return true
		}
	}
	return false
}

// Match reports whether subject matches pattern as NATS matches them:
// tokens are compared one by one, "*" matches any one token, and a final
// ">" matches one or more. Both must be valid subjects.
func Match(pattern, subject string) bool {
	for {
		pt, prest, pmore := strings.Cut(pattern, ".")
		st, srest, smore := strings.Cut(subject, ".")
		switch {
		case pt == ">" && !pmore:
			return true
		case pt != "*" && pt != st:
			return false
		case !pmore || !smore:
			return pmore == smore
		}
		pattern, subject = prest, srest
	}
}

// CheckPublish returns ErrBadSubject unless subject is valid and has no
// wildcard: for implementations of Publish.
func CheckPublish(subject string) error {
	if !ValidSubject(subject) || hasWildcard(subject) {
		return ErrBadSubject
	}
	return nil
}

// CheckSubscribe returns ErrBadSubject unless pattern is valid, with ">"
// only as its last token: for implementations of Subscribe.
func CheckSubscribe(pattern string) error {
	// ">" stands for the rest of a subject: nothing may follow it.
	if !ValidSubject(pattern) || strings.HasPrefix(pattern, ">.") || strings.Contains(pattern, ".>.") {
		return ErrBadSubject
	}
	return nil
}
