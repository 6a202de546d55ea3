// Package sse serves Server-Sent Events (text/event-stream) on Wharf's
// async requests: a Broker to which any goroutine publishes events on
// topics, and streams that deliver them to clients, each event flushed as
// it comes. NewBroker makes a Broker for a Config; a zero Broker is
// NewBroker(Config{})'s, set up on its first use.
//
// # Streams
//
// Broker.Serve (or Broker.Handler) answers a request with a stream: the
// request goes async (async.Start, no timeout) and is written through an
// async.Output, so an open stream holds no goroutine while it waits for
// events (but on HTTP/3 and behind the net/http adapter, whose servers
// keep one per request). What it holds is its state, its pump task
// (made once) and a queue of frames not yet written (empty when idle, its
// array given back but for one slot); one heartbeat timer per Broker
// visits every stream each Config.Heartbeat and has those that wrote
// nothing since its last visit send a comment line, so a silent stream
// speaks within two periods. On
// the epoll connector's cleartext HTTP/1.1 the writing itself holds no
// goroutine either, and an idle connection keeps no write buffer; on
// TLS, HTTP/2 and HTTP/3 a write holds the request's task while the
// connection takes it (on HTTP/2 the stream's flow control decides), and
// on HTTP/3 quic-go's server keeps a goroutine per request, for the
// stream's whole life.
//
// Publish never blocks on a stream: each stream queues at most
// Config.MaxQueue events beyond what its Output holds, and a stream past
// that is ended (ErrSlowConsumer: its HTTP/1.1 connection is closed, its
// HTTP/2 or HTTP/3 stream reset) and counted in Stats.Slow. Its client,
// an EventSource, reconnects with the ID of the last event it received
// and catches up from the log.
//
// # IDs and replay
//
// Every event is numbered by the Broker's Log: the event's ID is its
// sequence number in its topic, as a decimal. A client that reconnects
// sends the last one it saw as Last-Event-ID, and gets every event it
// missed that the log retains, in order, then the live events, with no
// gap and no duplicate at the seam. The seam is made so: the stream is
// subscribed first, and holds the events delivered from then on; then
// the log is read (Log.Since) up to the topic's last ID at that moment;
// the held events up to that ID are dropped, as the replay has them, and
// any later delivery at or below the last ID the stream has is dropped
// too. When events the client missed are no longer retained (or its ID
// is from before the log's memory, or is no ID this log gives: not a
// decimal number, as another backend's UUID, or past 2^64-1), the stream
// first sends an event of type Config.MissedEvent ("missed"), whose data
// is the client's Last-Event-ID, then everything retained: the client's
// position cannot be known, and starting it live would lose silently
// what it missed. An empty Last-Event-ID (white space aside) is no ID,
// as no header is: an EventSource sends none while its last event ID is
// empty. Its ID is the one just before
// the first event that follows it (the seam's through when nothing is
// retained: the topic's last ID, the one before its first ID for a topic
// a MemoryLog never numbered, natssse's stream's last sequence), which
// an EventSource takes
// as its last: back with it, a client is not told again, and gets the
// events that follow, none twice. Without it, a client whose replay was
// empty would keep the ID it lost, and be told at every reconnection.
//
// The default log, MemoryLog, keeps Config.Retain events per topic in
// this process, numbered one by one from above the time it was made, in
// microseconds, so that a client reconnecting with an ID from before a
// restart is told it missed events rather than resumed at an event of
// the new log that has the same number. Package sse/natssse puts the log
// in a NATS JetStream stream shared by several instances: an event
// published on one reaches the streams of every other, and a client
// resumes on any instance where it left off; IDs are then JetStream
// sequence numbers, increasing along a topic but not contiguous.
//
// Publish does not tell the ID: it may return before the log has
// numbered the event (natssse does not wait for JetStream's
// acknowledgment). PublishWait waits, and returns it; PublishWaitFunc
// publishes an event made for the ID it gets, for one that must carry its
// own ID in its data. Both need a log that implements WaitLog, as
// MemoryLog and natssse's do.
//
// # Ends
//
// A client that leaves is noticed by the connection (or, at the latest,
// by the next heartbeat's write failing); its request completes and the
// stream leaves its topic. A container's graceful Shutdown expires every
// stream at once (async.ShutdownExpire): its response completes as it
// stands, with what was queued and not yet written dropped, and its
// client reconnects, to another instance, and catches up from the log.
// What the stream had already written to its response (up to the
// connector's output buffer) still goes to the client: a client that
// stopped reading holds the Shutdown until the connector's write
// timeout ends its connection, or the Shutdown's context ends and
// Close cuts it, as a slow download does under net/http's Shutdown.
// Broker.Close does the same to the Broker's streams.
//
// # Goroutines
//
// Publish, PublishWait, PublishWaitFunc, Stats and Close may be called
// from any goroutine. Serve, and the Handler's Serve, belong to a
// handler's dispatch. A stream's code runs as its request's serialized
// tasks, its timer's function and the publishers' calls, never on a
// goroutine of its own.
//
// Package sse imports api, async and internal/ssewire (the framing).
package sse
