// Package cluster lets Wharf instances behind a load balancer share events,
// so that a continuation suspended on one instance is resumed by an event
// that arrived on another.
//
// # The model
//
// A Bus carries events: a subject and a payload of bytes. Publish sends an
// event to every subscriber of its subject on every instance, this one
// included. Subscribe registers a callback, which typically looks up the
// continuations waiting for that subject on this instance and resumes them.
// Nothing else crosses between instances: the requests, their continuations
// and the state they wait on stay where they are, so a client must keep
// reaching the instance that holds its state (see docs/scale-out.md).
//
// NewLocal is the in-process Bus, the default of a single instance. Package
// natsbus implements Bus on a NATS broker (github.com/nats-io/nats.go).
//
// # Delivery
//
// Delivery is at most once, as in core NATS. An event is delivered to each
// subscriber once or not at all. Events published by one instance on one
// subject arrive in the order they were published (while it stays
// connected to one broker). Publish reports the losses it can see: while
// the broker is known to be out of reach, it returns an error wrapping
// ErrNotDelivered, and the event is counted in Stats.Lost, as are the
// events a subscriber too far behind drops. Others go unseen: an event
// Publish handed to the transport, returning nil, and that was still in
// its buffer or on the network when the connection broke, is lost with
// no error and no count, as the broker acknowledges nothing (see package
// natsbus). A nil error means the event was handed over, not that it
// arrived. A suspended request that misses its event still ends: it
// expires through its normal timeout path, as it would on one instance.
//
// At-most-once is the right fit here. A continuation waits for something
// to happen now, and its timeout is its answer when nothing happens.
// Delivering an event again after the broker comes back could resume a
// request that has since moved on. Applications that must not miss
// anything keep a sequence number in their own state, as a chat client
// does with its last message.
//
// # Goroutines
//
// Every method of a Bus may be called from any goroutine. Callbacks may
// run concurrently: the publishing goroutine delivers local events, and
// the broker connection's goroutine delivers remote ones. A callback must
// be safe for concurrent use, and must not block. Resuming continuations
// is the intended work.
//
// Package cluster imports only the standard library; natsbus imports
// cluster and nats.go. Neither is imported by container: applications wire
// a Bus to their own handlers.
package cluster
