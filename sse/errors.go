package sse

import "errors"

// Errors of package sse, wrapped with %w where more is said.
var (
	// ErrInvalidTopic: a topic that is empty, longer than 255 bytes, or
	// not dot-separated tokens of ASCII letters, digits, '-' and '_'.
	ErrInvalidTopic = errors.New("sse: invalid topic")
	// ErrInvalidEvent: an event a stream cannot carry (an event type with
	// CR or LF, text that is not UTF-8, a negative Retry).
	ErrInvalidEvent = errors.New("sse: invalid event")
	// ErrClosed: the Broker was closed.
	ErrClosed = errors.New("sse: broker closed")
	// ErrSlowConsumer: a stream's queue passed Config.MaxQueue, so the
	// stream was ended; the request completes with this error.
	ErrSlowConsumer = errors.New("sse: stream ended: its client reads too slowly")
)
