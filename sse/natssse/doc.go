// Package natssse is an sse.Log in NATS JetStream, for several instances
// of a server that share their event streams: an event published on any
// instance reaches the streams of every instance, and a client that
// reconnects to another instance resumes exactly where it left off.
//
// The log is one JetStream stream (Config.Stream) whose subjects are
// Config.Prefix + "." + topic. Append publishes an event there without
// waiting for the acknowledgment (PublishMsgAsync: the JetStream
// context's PublishAsyncMaxPending bounds what may be outstanding, and
// its error handler hears of failures). AppendWait, for
// Broker.PublishWait, publishes and waits for the acknowledgment, whose
// sequence is the ID. AppendWaitFunc, for Broker.PublishWaitFunc,
// publishes an event built for the stream's next sequence on the
// condition that it still is the next (the expected last sequence), and
// builds and tries again when another publisher took it first.
//
// Each instance reads the whole stream with one ordered consumer, from
// the new messages on, and its Broker fans each message out to the local
// streams of its topic: one subscription per instance, not per client. An event's ID is its
// JetStream sequence number: IDs increase along a topic but are not
// contiguous, as the topics share the stream's sequence.
//
// Since reads a topic's last message (its sequence is the seam's
// through), then the topic's messages after the client's ID: the first
// eight with one "next message on this subject" request each, from the
// stream's leader, and the rest, when there are more, with an ephemeral
// consumer of the topic (R1, in memory, no acknowledgments), in pull
// requests of up to 1,024 messages that do not wait, which it deletes
// when done. A replay thus costs about a dozen round trips up to 1,024
// events, one more per further 1,024, and a client at most eight events
// behind (the common reconnection) creates no consumer; on a NATS
// cluster a consumer's creation and deletion go through the meta leader,
// so a mass reconnection of clients far behind creates as many
// short-lived consumers (one each; the server removes one left behind
// after 30 s without activity). The consumer may live on a follower of a
// replicated stream, whose copy can lag: what it did not reach of the
// replay, and all of it when the consumer cannot be made (the stream's
// or account's MaxConsumers) or a pull fails, is read from the leader a
// request at a time, like the first eight. The client's ID is a place in
// the stream, whatever topic its message was of: Since reports events
// missed when a message of the topic after it may have been dropped,
// that is, when the stream dropped messages after it (its first sequence
// is past the next one: age and the stream's overall limits drop the
// oldest first), or when the ID's message is gone or another topic's and
// the topic is at its per-topic limit, which drops the topic's oldest
// (one more request, for the stream's state). When the client's message
// merely expired by age with nothing after it, that is a false alarm.
// When the topic's next message is at the sequence right after the
// client's ID, nothing of the topic lies between, and nothing is missed
// whatever that ID held. A missed event's ID is the one before its
// replay's first event, or the stream's last when the topic has nothing
// retained, and a client back with it is not told again, though other
// topics were published meanwhile. For a topic with nothing retained, Since
// gives the stream's last sequence as through, the ID of a missed event
// then, and reports events missed when the client's ID is beyond it or
// a message after that ID was dropped: with 0 there, a client back after
// the topic was published and trimmed would lose its first events
// untold, as from 0 the log cannot tell.
// A client that asks from ID 0 gets everything retained, with no missed
// event: the log cannot tell whether older ones were dropped.
//
// Retention is the stream's: Config.Retain messages per subject (topic)
// and Config.MaxAge, when New creates it; an existing stream keeps the
// operator's configuration. Do not turn on AllowDirect for a replicated
// stream: a direct read may be served by a follower that lags, and the
// replay could then miss events that the seam counts as delivered.
//
// Once the NATS connection is closed for good (the application closed
// it, or nats.go gave up on the broker), every error of the Log wraps
// ErrConnectionClosed, and nats.ErrConnectionClosed. The Log does not
// come back when the broker does: its instance's streams hear no more
// events, and each stream opened with a Last-Event-ID ends at once with
// a retry. nats.go gives up after 60 attempts by default (two minutes
// and more of an outage): connect with nats.MaxReconnects(-1), which
// never does.
//
// Package natssse imports sse (and nats.go's jetstream).
package natssse
