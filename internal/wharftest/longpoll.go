package wharftest

import (
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/continuation"
)

// EventKey is the attribute a LongPoll's Resume carries its event under:
// a string.
type EventKey struct{}

// LongPoll is a long poll as the README writes it, for tests of filters
// that suspend a request on its way in: its initial dispatch suspends for
// a minute; a later pass answers "expired", or "resumed " and the event
// its Resume carried (EventKey).
var LongPoll = api.HandlerFunc(func(w api.Response, r *api.Request) error {
	cont := continuation.Of(r)
	switch {
	case cont.IsInitial():
		cont.SetTimeout(time.Minute)
		return cont.Suspend()
	case cont.IsExpired():
		_, err := w.WriteString("expired")
		return err
	default:
		ev, _ := r.Attribute(EventKey{}).(string)
		_, err := w.WriteString("resumed " + ev)
		return err
	}
})
