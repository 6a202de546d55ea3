package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// saveAttempts bounds the reload-and-reapply loop of a save: past it, the
// session is being written faster than this request can catch up, and
// the save fails rather than spin.
const saveAttempts = 8

// dirtyLocked reports whether saveLocked has anything to do: a stored
// session with changes or a last access due. s.mu is held.
func (s *Session) dirtyLocked() bool {
	return s.id != "" && (len(s.changed) > 0 || s.touched)
}

// saveLocked writes the request's changes, by the rule in Session's
// "Concurrent requests". s.mu is held.
func (s *Session) saveLocked(ctx context.Context) error {
	if s.orphan {
		s.orphan, s.changed = false, nil
		s.m.cfg.Logger.Warn("session: a new session was written after its cookie could no longer be set; it is not stored")
	}
	if !s.dirtyLocked() {
		return nil
	}
	store := s.m.cfg.Store
	if s.base.Revision == 0 && s.returned {
		// The first save of a session that replaces the one the client
		// came back with (Invalidate): a MemoryStore keeps it among those
		// a client came back for, as it keeps RenewID's copy.
		ctx = context.WithValue(ctx, renewedKey{}, true)
	}
	for range saveAttempts {
		now := time.Now()
		// s.values as they are: a Store copies what it keeps (Record),
		// and s.mu holds off every change until Save returns.
		rec := Record{Values: s.values, Created: s.base.Created, LastAccess: now, Revision: s.base.Revision}
		rec.Expires = s.m.expires(rec)
		rev, err := store.Save(ctx, s.id, rec)
		if err == nil {
			rec.Revision, rec.Values = rev, nil // base keeps the revision and times only (takeValues)
			s.base, s.changed, s.touched = rec, nil, false
			return nil
		}
		if !errors.Is(err, ErrConflict) {
			return fmt.Errorf("session: save: %w", err)
		}
		fresh, err := store.Load(ctx, s.id)
		switch {
		case errors.Is(err, ErrNotFound) && s.base.Revision == 0:
			continue // created and deleted since: create it again
		case errors.Is(err, ErrNotFound) || err == nil && s.m.expired(fresh, now):
			// Invalidated (or expired) by someone else: it stays so.
			s.reset()
			return nil
		case err != nil:
			return fmt.Errorf("session: save: %w", err)
		}
		values := takeValues(&fresh)
		if len(s.changed) == 0 && now.Sub(fresh.LastAccess) <= s.m.cfg.IdleTimeout/4 {
			// Only the last access was due, and another request wrote
			// it meanwhile: writing it again would cost a store write per
			// request of a burst (a page and its XHRs), each retried
			// against the others, and fail the requests that lost
			// saveAttempts rounds.
			s.base, s.values, s.touched = fresh, values, false
			return nil
		}
		for k := range s.changed {
			if v, ok := s.values[k]; ok {
				values[k] = v
			} else {
				delete(values, k)
			}
		}
		s.base, s.values = fresh, values
	}
	return fmt.Errorf("session: save: %d attempts: %w", saveAttempts, ErrConflict)
}
