package sse

import "context"

// Log keeps the recent events of each topic, assigns their IDs, and
// carries every event appended to it to the brokers that share it. A
// Broker takes one through Config.Log: MemoryLog for one instance,
// sse/natssse for several sharing NATS JetStream.
//
// IDs are positive decimal integers that increase along each topic;
// they need not be contiguous (a log shared by several topics may number
// them all in one sequence).
//
// Every method may be called from any goroutine.
type Log interface {
	// Open starts the delivery: from its return on, deliver is called for
	// every event appended to the log (by this broker or another sharing
	// it), ID set, each topic's events in ID order and one at a time.
	// deliver does not block. A Broker calls Open once, from NewBroker.
	Open(deliver func(topic string, ev Event)) error
	// Append stores ev (whose ID it sets) on topic, to be delivered. It
	// should not wait for long: Publish calls it, and publishers expect
	// not to block.
	Append(topic string, ev Event) error
	// Since reads what a client that last saw the event ID after missed.
	// It returns the retained events of topic with IDs after after, in
	// order, and through: the topic's last ID when it read (or a later
	// one when it has none retained), so that every
	// event of the topic with an ID up to through is either among them or
	// no longer retained, and every later one is delivered after Since
	// was called. missed reports that an event the client had not seen is
	// no longer retained, or that after is not an ID of this log (it is
	// beyond the topic's last: the log lost its memory, or the client made
	// it up), in which case the events are every one retained. An after
	// just before the first event after it that the log retains misses
	// nothing, whether or not it is an ID of the topic: a stream's missed
	// event carries such an ID, and a client back with it must not be
	// told again.
	Since(ctx context.Context, topic string, after uint64) (evs []Event, through uint64, missed bool, err error)
	// Close stops the delivery.
	Close() error
}

// WaitLog is a Log that can also append an event and say which ID it
// gave it, waiting until the log has numbered it: what Broker.PublishWait
// and Broker.PublishWaitFunc need. MemoryLog and natssse.Log are
// WaitLogs. It is an interface of its own, rather than more methods of
// Log, so that a Log written before it keeps working: only those two
// calls need it. As Log's, its methods may be called from any goroutine:
// PublishWait calls them on its caller's.
type WaitLog interface {
	Log
	// AppendWait appends ev as Append does, waits until the log has
	// numbered it and will deliver it, and returns its ID. When ctx ends
	// first it returns ctx's error, and the event may have been stored
	// all the same (its acknowledgment may be what was lost).
	AppendWait(ctx context.Context, topic string, ev Event) (id uint64, err error)
	// AppendWaitFunc is AppendWait for an event that must know its own
	// ID: it appends the event that build makes for the ID the event
	// gets. build may be called several times, with different IDs, when
	// the log can only learn that an ID was taken by trying it; the event
	// it made last is the one stored, with the ID it was given. An error
	// from build is returned, and nothing is appended.
	AppendWaitFunc(ctx context.Context, topic string, build func(id uint64) (Event, error)) (id uint64, err error)
}
