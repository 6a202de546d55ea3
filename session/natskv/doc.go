// Package natskv keeps sessions in a NATS JetStream key-value bucket, so
// that every instance of an application behind a load balancer sees the
// same sessions: a client may land on any of them, and a logout on one
// ends the session on all.
//
// New binds the bucket, creating it if it is missing, with the sessions'
// lifetime as its TTL: NATS forgets a session that no request wrote for
// that long, so no instance has to scavenge. Each session is one key (its
// ID), its record JSON-encoded, the entries that are not UTF-8 (which a
// JSON string cannot hold) as base64, so that every value comes back as
// saved. The key's revision is the Record's, and saves are optimistic
// through kv.Create (a new session) and kv.Update (the revision loaded),
// as package session's Store asks. A session is deleted with kv.Purge,
// which removes every revision of its key, so that an ended session's
// values do not stay in a bucket that keeps history. A deleted key reads
// as session.ErrNotFound, and so does one whose record does not decode (an
// instance of another version of the application wrote it): the client
// starts a new session, rather than every request of its failing. Store is
// a session.RevisionDeleter too, through kv.Purge at the revision loaded
// (jetstream.LastRevision), so that RenewID moves a session to its new ID
// only if no other instance changed or ended it meanwhile.
//
// A call that fails because the bucket cannot be reached for now (the
// connection closed once its reconnects gave up, or draining; no server
// answering for JetStream; the broker answering 503) fails with
// session.ErrUnavailable too, the client's error kept, so that the Manager
// answers it 503 with Retry-After, as it does a call past its
// StoreTimeout. A connection nats.go gave up on stays closed when the
// broker comes back, and every request of a session is then answered 503
// until the program makes a new one: nats.go gives up after 60 attempts
// by default, so connect with nats.MaxReconnects(-1), which never does.
//
// The package owns Store and its Config; the JetStream connection is the
// caller's. It imports session (and nats.go and its jetstream package).
package natskv
