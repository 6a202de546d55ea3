package session

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// saveStalls bounds the rounds of a save's reload-and-reapply loop, and
// of a renewal's move, that show no write of another request: a conflict
// whose reload gives back the revision this request tried (or none, for a
// new session), which a Store that works never does. Past it the Store is
// taken to be broken and the save fails rather than spin. A conflict that
// comes with another request's write is progress, however many there are
// (a page's XHRs all loaded the session before any saved): those rounds
// are bounded by the store's deadline alone (Config.StoreTimeout), with a
// random wait between them that grows with their number (backoff).
const saveStalls = 8

// maxBackoffShift caps backoff's wait at a millisecond << maxBackoffShift.
const maxBackoffShift = 6

// backoff waits before the round-th retry (from 0) of a write that met
// another request's: not at all before the first, then a random time up
// to a millisecond << (round-1), at most maxBackoffShift, so that a burst
// of requests spreads its retries out rather than meet again, each round
// costing the store a write and a load for every request still trying.
// If ctx ends first, it returns the error of a save or a move still
// meeting other requests' writes at its store deadline: a session written
// faster than this request could catch up. That error wraps ErrConflict
// and ctx's (context.DeadlineExceeded), so that the Manager answers it 503
// with Retry-After, as a store too busy to answer.
func backoff(ctx context.Context, round int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w, still at its deadline: %w", ErrConflict, err)
	}
	if round == 0 {
		return nil
	}
	t := time.NewTimer(rand.N(time.Millisecond << min(round-1, maxBackoffShift)))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w, still at its deadline: %w", ErrConflict, ctx.Err())
	}
}

// dirtyLocked reports whether saveLocked has anything to do: a stored
// session with changes or a last access due. s.mu is held.
func (s *Session) dirtyLocked() bool {
	return s.id != "" && (len(s.changed) > 0 || s.touched)
}

// saveLocked writes the request's changes, by the rule in Session's
// "Concurrent requests". s.mu is held.
func (s *Session) saveLocked(ctx context.Context) error {
	if s.orphan != nil {
		s.logOrphan()
		s.dropOrphan()
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
	for round, stalls := 0, 0; ; round++ {
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
		if err := backoff(ctx, round); err != nil {
			return fmt.Errorf("session: save: %w", err)
		}
		fresh, err := store.Load(ctx, s.id)
		switch {
		case errors.Is(err, ErrNotFound) && s.base.Revision == 0:
			// Created and deleted since: create it again.
			if stalls++; stalls == saveStalls {
				return fmt.Errorf("session: save: %d conflicts creating a session the store then did not hold: %w", saveStalls, ErrConflict)
			}
			continue
		case errors.Is(err, ErrNotFound) || err == nil && s.m.expired(fresh, now):
			// Invalidated (or expired) by someone else: it stays so.
			s.reset()
			return nil
		case err != nil:
			return fmt.Errorf("session: save: %w", err)
		}
		if fresh.Revision == s.base.Revision {
			// The store refused the revision it gives back: no other
			// request wrote, and trying again would meet the same.
			if stalls++; stalls == saveStalls {
				return fmt.Errorf("session: save: %d conflicts at the revision loaded: %w", saveStalls, ErrConflict)
			}
		}
		values := takeValues(&fresh)
		if len(s.changed) == 0 && now.Sub(fresh.LastAccess) <= s.m.cfg.IdleTimeout/4 {
			// Only the last access was due, and another request wrote
			// it meanwhile: writing it again would cost a store write per
			// request of a burst (a page and its XHRs), each retried
			// against the others.
			s.base, s.values, s.touched = fresh, values, false
			return nil
		}
		for k := range s.changed {
			// What this request's change replaced is now the fresh
			// value: the one a failed save puts back (dropChanges).
			old, had := values[k]
			s.changed[k] = prior{old, had}
			if v, ok := s.values[k]; ok {
				values[k] = v
			} else {
				delete(values, k)
			}
		}
		s.base, s.values = fresh, values
	}
}
