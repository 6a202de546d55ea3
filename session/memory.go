package session

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// MemoryConfig configures a MemoryStore. Its zero value is ready to use.
type MemoryConfig struct {
	// MaxSessions bounds the sessions held. Zero means 100,000. When the
	// store is full, saving a new session evicts another, so a flood of
	// new sessions cannot exhaust memory: the least recently used of
	// those never loaded since they were first saved (no client came
	// back with their cookie), and only when there are none the least
	// recently used of the others, logging out the idlest users. So a
	// flood from clients that do not keep cookies (a script requesting
	// a page that writes the session, as auth.Required's redirect to a
	// login form does) evicts only its own sessions, and one that does
	// must send each cookie back before its sessions push out those of
	// returning users. A session Session.RenewID moved to a new ID (a
	// login) counts as one its client came back for, and so does one a
	// request starts after it invalidated the session its cookie named
	// (auth.Login as another user).
	MaxSessions int
	// ScavengeInterval is how often expired sessions are removed. Zero
	// means one minute. Expired sessions are never returned in between;
	// scavenging only frees their memory.
	ScavengeInterval time.Duration
}

// MemoryStore is a Store in the process's memory: sessions live as long as
// the process, on one instance. It is bounded (MemoryConfig.MaxSessions)
// and removes expired sessions with one timer for the whole store, armed
// only while it holds sessions, so an idle store holds no goroutine and
// no timer.
//
// Every method may be called from any goroutine.
type MemoryStore struct {
	max      int
	interval time.Duration

	mu     sync.Mutex
	byID   map[string]*list.Element // of *memEntry
	fresh  list.List                // never loaded since their first save, most recently used at the front
	lru    list.List                // loaded since, most recently used at the front
	rev    uint64                   // last revision handed out, store-wide
	timer  *time.Timer              // nil while not armed
	closed bool
}

var _ RevisionDeleter = (*MemoryStore)(nil)

type memEntry struct {
	id     string
	rec    Record
	proven bool // in lru, not fresh: loaded since its first save
}

// NewMemoryStore returns an empty MemoryStore configured by cfg.
func NewMemoryStore(cfg MemoryConfig) *MemoryStore {
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 100_000
	}
	if cfg.ScavengeInterval <= 0 {
		cfg.ScavengeInterval = time.Minute
	}
	return &MemoryStore{max: cfg.MaxSessions, interval: cfg.ScavengeInterval, byID: map[string]*list.Element{}}
}

// Load returns the session under id, or ErrNotFound, also for one whose
// Expires has passed.
func (s *MemoryStore) Load(_ context.Context, id string) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Record{}, ErrClosed
	}
	el, ok := s.byID[id]
	if !ok {
		return Record{}, ErrNotFound
	}
	e := el.Value.(*memEntry)
	if expiredAt(e.rec, time.Now()) {
		s.remove(el)
		return Record{}, ErrNotFound
	}
	if e.proven {
		s.lru.MoveToFront(el)
	} else {
		// A client came back with the cookie: the session is no
		// longer one a flood could make by the thousand.
		s.fresh.Remove(el)
		e.proven = true
		s.byID[id] = s.lru.PushFront(e)
	}
	rec := e.rec
	rec.Values = copyValues(rec.Values)
	return rec, nil
}

// Save stores rec under id if rec.Revision is the stored revision (zero:
// none stored), else returns ErrConflict.
func (s *MemoryStore) Save(ctx context.Context, id string, rec Record) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	el, ok := s.byID[id]
	var cur uint64
	if ok {
		cur = el.Value.(*memEntry).rec.Revision
	}
	if cur != rec.Revision {
		return 0, ErrConflict
	}
	s.rev++
	rec.Revision = s.rev
	rec.Values = copyValues(rec.Values)
	if ok {
		e := el.Value.(*memEntry)
		e.rec = rec
		s.listOf(e).MoveToFront(el)
		return rec.Revision, nil
	}
	if s.fresh.Len()+s.lru.Len() >= s.max {
		victim := s.fresh.Back()
		if victim == nil {
			victim = s.lru.Back()
		}
		s.remove(victim)
	}
	if ctx.Value(renewedKey{}) != nil {
		// RenewID's copy of a session a client came back for (the Load
		// of the old ID that the move made proves it too): a login must
		// not make the user's session the first a flood evicts.
		e := &memEntry{id: id, rec: rec, proven: true}
		s.byID[id] = s.lru.PushFront(e)
	} else {
		s.byID[id] = s.fresh.PushFront(&memEntry{id: id, rec: rec})
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(s.interval, s.scavenge)
	}
	return rec.Revision, nil
}

// Delete removes the session under id.
func (s *MemoryStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if el, ok := s.byID[id]; ok {
		s.remove(el)
	}
	return nil
}

// DeleteRevision removes the session under id if its stored revision is
// rev, else returns ErrConflict (see RevisionDeleter); an expired session
// is one no longer stored.
func (s *MemoryStore) DeleteRevision(_ context.Context, id string, rev uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	el, ok := s.byID[id]
	if !ok || rev == 0 {
		return ErrConflict
	}
	if e := el.Value.(*memEntry); e.rec.Revision != rev || expiredAt(e.rec, time.Now()) {
		return ErrConflict
	}
	s.remove(el)
	return nil
}

// Len returns the number of sessions held, expired ones not yet scavenged
// included.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fresh.Len() + s.lru.Len()
}

// Close stops the scavenging timer and drops every session; the store's
// methods then return ErrClosed. Closing twice is harmless.
func (s *MemoryStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.byID, s.fresh, s.lru = nil, list.List{}, list.List{}
	return nil
}

func (s *MemoryStore) remove(el *list.Element) {
	e := el.Value.(*memEntry)
	delete(s.byID, e.id)
	s.listOf(e).Remove(el)
}

// listOf returns the list that holds e.
func (s *MemoryStore) listOf(e *memEntry) *list.List {
	if e.proven {
		return &s.lru
	}
	return &s.fresh
}

// scavenge runs on the timer's goroutine: it removes the expired sessions
// and arms the timer again if any remain.
func (s *MemoryStore) scavenge() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	now := time.Now()
	for _, l := range [...]*list.List{&s.fresh, &s.lru} {
		for el := l.Front(); el != nil; {
			next := el.Next()
			if expiredAt(el.Value.(*memEntry).rec, now) {
				s.remove(el)
			}
			el = next
		}
	}
	s.timer = nil
	if s.fresh.Len()+s.lru.Len() > 0 {
		s.timer = time.AfterFunc(s.interval, s.scavenge)
	}
}

// expiredAt reports whether rec's Expires has passed; a zero Expires
// never does.
func expiredAt(rec Record, now time.Time) bool {
	return !rec.Expires.IsZero() && !now.Before(rec.Expires)
}

// copyValues is the copy a Store makes on each call (Record).
func copyValues(v map[string]string) map[string]string {
	c := make(map[string]string, len(v))
	for k, x := range v {
		c[k] = x
	}
	return c
}
