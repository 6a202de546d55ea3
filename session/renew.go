package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// move copies the session stored under s.id to id and deletes s.id, for
// RenewID, and reports whether it did: false if another request ended the
// session (or it expired) first. The copy is saved before the old ID is
// deleted, and the delete holds only at the revision copied; if the
// session changed in between, the copy is deleted and the move starts
// again from the fresh record, and if it ended, the copy is deleted and
// the move gives up. So the copy outlives the call only if the old ID
// held exactly its values until it was deleted: no Store offers a rename
// of one key to another in one step, and a copy saved after a logout's
// delete would carry the logged-out values to the new ID. No client knows
// id until RenewID sets the cookie, so a copy that is deleted again was
// never seen. On success s takes the copy's values and revision. s.mu is
// held.
func (s *Session) move(ctx context.Context, id string) (bool, error) {
	store := s.m.cfg.Store
	var tried uint64 // the revision the last round copied
	for round, stalls := 0, 0; ; round++ {
		now := time.Now()
		fresh, err := store.Load(ctx, s.id)
		switch {
		case errors.Is(err, ErrNotFound) || err == nil && s.m.expired(fresh, now):
			return false, nil
		case err != nil:
			return false, err
		case fresh.Revision == tried:
			// The delete refused the revision the store gives back: no
			// other request wrote (see saveStalls).
			if stalls++; stalls == saveStalls {
				return false, fmt.Errorf("%d conflicts at the revision loaded: %w", saveStalls, ErrConflict)
			}
		}
		tried = fresh.Revision
		values := takeValues(&fresh)
		// values as they are: a Store copies what it keeps (Record).
		rec := Record{Values: values, Created: fresh.Created, LastAccess: now}
		rec.Expires = s.m.expires(rec)
		// The copy is the session the client came back with, under a new
		// name: a MemoryStore keeps it among those, not among the sessions
		// no client came back for, which a flood of new ones evicts first.
		rev, err := store.Save(context.WithValue(ctx, renewedKey{}, true), id, rec)
		if err != nil {
			return false, err
		}
		err = deleteRevision(ctx, store, s.id, fresh.Revision)
		if err == nil {
			rec.Revision, rec.Values = rev, nil // base keeps the revision and times only (takeValues)
			s.values, s.base, s.changed, s.touched = values, rec, nil, false
			return true, nil
		}
		// The old ID changed or ended since it was copied, or the store
		// failed: the copy must not outlive this call.
		if derr := store.Delete(ctx, id); derr != nil {
			// It names a session no client was told of, and expires.
			s.m.cfg.Logger.Error("session: renew: deleting the new ID's copy", "err", derr)
		}
		if !errors.Is(err, ErrConflict) {
			return false, err
		}
		// Another request wrote the session: a round that made progress,
		// bounded by the deadline alone, as a save's (saveStalls).
		if err := backoff(ctx, round); err != nil {
			return false, err
		}
	}
}

// renewedKey marks the context of move's Save of the copy, and of the
// first Save of a session that replaces one Invalidate ended, for a
// MemoryStore (MemoryConfig.MaxSessions): the Store interface has no word
// for a save that continues a session under another ID, and a store that
// wraps another passes the context on.
type renewedKey struct{}

// deleteRevision deletes the session under id if its revision is rev,
// else returns ErrConflict: atomically through a RevisionDeleter, else
// by loading it first (see RevisionDeleter for why that is still safe).
func deleteRevision(ctx context.Context, store Store, id string, rev uint64) error {
	if d, ok := store.(RevisionDeleter); ok {
		return d.DeleteRevision(ctx, id, rev)
	}
	cur, err := store.Load(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return ErrConflict
	case err != nil:
		return err
	case cur.Revision != rev:
		return ErrConflict
	}
	return store.Delete(ctx, id)
}
