package session

import (
	"context"
	"errors"
	"time"
)

// The errors of package session. Stores return ErrNotFound, ErrConflict
// and ErrUnavailable (wrapped or not); the Manager and Session wrap them
// with %w.
var (
	// ErrNotFound: the store holds no session under the ID (never
	// created, deleted, or forgotten after it expired).
	ErrNotFound = errors.New("session: not found")
	// ErrConflict: Save was given a revision that is not the stored one:
	// another request saved the session (or created, or deleted it) since
	// this one loaded it.
	ErrConflict = errors.New("session: revision conflict")
	// ErrCookieFixed: the session's cookie can no longer change, because
	// the response has committed or the call came after the request's
	// dispatch returned (from an async task, say). RenewID returns it
	// without changing anything; Session.Save returns it for a new
	// session first written then, which is not stored. The error
	// returned wraps it with the cause (the response committed; no
	// dispatch through the Manager running, as below a timeout filter
	// added after the Manager; the session taken over by an error
	// page's dispatch), and so does the Manager's log line for such a
	// session dropped with no Save to report it.
	ErrCookieFixed = errors.New("session: the response's cookie can no longer change")
	// ErrClosed: the store was closed, as a program does when it shuts
	// down. The Manager answers it as the container does a request it
	// refuses then: 503 with api.ErrShutdown and ErrClosed in its cause.
	ErrClosed = errors.New("session: store closed")
	// ErrUnavailable: the store could not be reached (a call timed out,
	// or failed on the network), which says nothing of the session. The
	// Manager answers such a failure 503 with Retry-After, with
	// ErrUnavailable and the store's error in its cause. A Store whose
	// client reports an outage with errors of its own (a connection
	// closed, no server answering) wraps them with ErrUnavailable, as
	// session/natskv does, for the Manager to know them.
	ErrUnavailable = errors.New("session: store unavailable")
)

// Record is a session as a Store keeps it.
type Record struct {
	// Values are the session's attributes. A Store must not keep the map
	// it was given, nor hand out the one it keeps: each call copies.
	Values map[string]string
	// Created is when the session was created; MaxLifetime counts from it.
	Created time.Time
	// LastAccess is when a request last used the session, as last
	// written (see Config.IdleTimeout for how often that is).
	LastAccess time.Time
	// Expires is when the session expires if no request uses it: the
	// earlier of LastAccess+IdleTimeout and Created+MaxLifetime. A store
	// may forget the session from then on; the Manager checks expiry
	// itself, so a store need not be exact.
	Expires time.Time
	// Revision is the store's version of the record: Load sets it; Save
	// takes the revision the caller loaded (zero for a session not yet
	// stored) and returns the new one.
	Revision uint64
}

// Store keeps sessions by ID. Every method may be called from any
// goroutine, concurrently: the Manager calls them from the goroutines of
// many requests at once (each request's from its dispatch, its async
// tasks and its completion), so one session's ID may be loaded, saved
// and deleted by several at a time.
//
// Concurrent writes are resolved by optimistic concurrency: Save succeeds
// only if the session's stored revision is still the one given in the
// Record, and otherwise returns ErrConflict; the Manager then loads the
// session again and applies its request's changes to the fresh values
// (see Session).
type Store interface {
	// Load returns the session stored under id, or ErrNotFound.
	Load(ctx context.Context, id string) (Record, error)
	// Save stores rec under id if the stored revision is rec.Revision
	// (zero: if no session is stored under id) and returns the new
	// revision, never zero; on a mismatch it returns ErrConflict and
	// changes nothing.
	Save(ctx context.Context, id string, rec Record) (uint64, error)
	// Delete removes the session under id; an id not stored is no error.
	Delete(ctx context.Context, id string) error
}

// RevisionDeleter is a Store that can delete a session only at the
// revision its caller loaded, in one step, as Save writes one. RenewID
// moves a session by saving a copy under the new ID and deleting the old
// ID at the revision it copied, and deletes the copy again if that fails:
// so the copy survives only if no other request changed or ended the
// session (a logout in another tab) in between, and an ended session's
// values never reach the new ID. A Store implements it if it can; Store
// does not require it, so that the Stores written before it still work. MemoryStore and session/natskv implement
// it; the Manager finds it by a type assertion.
//
// A Store without it still renews safely, by a fallback that costs a
// Load: after saving the copy, the Manager loads the old ID again and
// deletes it only if its revision is still the one copied, and otherwise
// deletes the copy. A logout that lands between that Load and the delete
// finds the session already moved, as it would if the renewal had
// completed first. The fallback relies on Save never giving an ID a
// revision it gave that ID before, deleted or not.
//
// DeleteRevision may be called from any goroutine, concurrently with
// every method of the Store; the Manager calls it from the goroutine
// that calls RenewID.
type RevisionDeleter interface {
	// DeleteRevision removes the session under id if its stored revision
	// is rev; if another revision is stored, or none (deleted, expired,
	// never saved), it returns ErrConflict and changes nothing. rev is a
	// revision Load or Save returned; zero is always ErrConflict.
	DeleteRevision(ctx context.Context, id string, rev uint64) error
}
