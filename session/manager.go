package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/continuation"
)

// Manager is the filter that gives requests their sessions. Add it to a
// container before the handlers and filters that use sessions:
//
//	c.Filter("/*", session.New(session.Config{}))
//
// A Manager may serve any number of requests at once, from any goroutine.
type Manager struct {
	cfg Config

	// live holds the session of every request in flight that a container
	// serves, by its exchange: a re-dispatch (async.Context.Redispatch, a
	// resumed continuation) builds a Request without this filter's
	// attribute, and must find the same Session again, with its unsaved
	// changes and the cookie already set.
	mu   sync.Mutex
	live map[api.Exchange]*Session
}

// New returns a Manager configured by cfg (see Config for the zero values).
// It panics on a "__Host-" cookie with a Domain or a Path other than "/"
// (see Config.CookieName), which browsers would refuse.
func New(cfg Config) *Manager {
	return &Manager{cfg: cfg.withDefaults(), live: make(map[api.Exchange]*Session)}
}

type attrKey struct{}

// Of returns the session of r, which a Manager put there. It panics if no
// Manager filtered r: that is a configuration mistake (the filter is not
// mapped on the handler's path), which no request can recover from, and a
// panic names it at once where a nil Session would fail later and less
// clearly.
//
// Any goroutine may call Of, at any time.
func Of(r *api.Request) *Session {
	s, ok := r.Attribute(attrKey{}).(*Session)
	if !ok {
		panic("session: Of on a request no session.Manager filtered: map the Manager on this path (container.Filter(\"/*\", session.New(...)))")
	}
	s.mu.Lock()
	s.asked = true
	s.mu.Unlock()
	return s
}

// Filter loads the session the request's cookie names, if it exists and
// has not expired, or starts a new one otherwise, and calls next with a
// Request that carries it (see Of). When next returns it saves the
// changes (see Session for when a cookie is set and when changes are
// saved) and returns next's error, or else the save's.
//
// Only the request's serialized task calls Filter (the filter chain does).
func (m *Manager) Filter(w api.Response, r *api.Request, next api.Chain) error {
	if _, ok := r.Attribute(attrKey{}).(*Session); ok {
		return next.Next(w, r) // an outer Manager already did the work
	}
	ex := r.Exchange()
	var s *Session
	if ex != nil {
		m.mu.Lock()
		s = m.live[ex]
		m.mu.Unlock()
	}
	if s == nil {
		var err error
		if s, err = m.open(r); err != nil {
			return err
		}
		if ex != nil {
			// Saves what async tasks changed after the last dispatch,
			// and forgets the exchange.
			err := async.OnComplete(r, func(error) {
				m.mu.Lock()
				delete(m.live, ex)
				m.mu.Unlock()
				if err := s.save(); err != nil {
					m.cfg.Logger.Error("session: saving when the request completed", "err", err)
				}
			})
			if err == nil {
				m.mu.Lock()
				m.live[ex] = s
				m.mu.Unlock()
			}
		}
	}
	s.bind(w)
	err := next.Next(w, r.WithAttribute(attrKey{}, s))
	suspended := ex != nil && continuation.Of(r).IsSuspended()
	serr := s.endDispatch(suspended)
	if err != nil {
		return err
	}
	return serr
}

// open starts the Session of a request: the stored one its cookie names,
// or a new one.
func (m *Manager) open(r *api.Request) (*Session, error) {
	s := &Session{m: m, secure: m.cfg.Secure == SecureAlways || r.TLS() != nil, isNew: true, values: map[string]string{}}
	c, err := r.Cookie(m.cfg.CookieName)
	if err != nil {
		return s, nil
	}
	s.stale = true // until the store knows the ID
	if !validID(c.Value) {
		return s, nil
	}
	ctx, cancel := m.storeContext()
	defer cancel()
	rec, err := m.cfg.Store.Load(ctx, c.Value)
	switch {
	case errors.Is(err, ErrNotFound):
		return s, nil // a stranger's or a forgotten ID: never adopted
	case err != nil:
		return nil, fmt.Errorf("session: load: %w", err)
	}
	now := time.Now()
	if m.expired(rec, now) {
		_ = m.cfg.Store.Delete(ctx, c.Value) // the store would forget it anyway
		return s, nil
	}
	s.stale = false
	if rec.Values == nil {
		rec.Values = map[string]string{}
	}
	s.id, s.base, s.isNew = c.Value, rec, false
	s.values = copyValues(rec.Values)
	s.touched = now.Sub(rec.LastAccess) > m.cfg.IdleTimeout/4
	return s, nil
}

func (m *Manager) expired(rec Record, now time.Time) bool {
	return !now.Before(rec.LastAccess.Add(m.cfg.IdleTimeout)) || !now.Before(rec.Created.Add(m.cfg.MaxLifetime))
}

func (m *Manager) expires(rec Record) time.Time {
	idle := rec.LastAccess.Add(m.cfg.IdleTimeout)
	if abs := rec.Created.Add(m.cfg.MaxLifetime); abs.Before(idle) {
		return abs
	}
	return idle
}

// storeContext bounds a store call by StoreTimeout alone: see its field.
func (m *Manager) storeContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), m.cfg.StoreTimeout)
}

// cookie returns the cookie that names id, or, for id "", the one that
// tells the client to drop its cookie.
func (m *Manager) cookie(id string, secure bool) *http.Cookie {
	c := &http.Cookie{
		Name:     m.cfg.CookieName,
		Value:    id,
		Path:     m.cfg.CookiePath,
		Domain:   m.cfg.CookieDomain,
		Secure:   secure,
		HttpOnly: true,
		SameSite: m.cfg.SameSite,
	}
	if id == "" {
		c.MaxAge = -1
	}
	return c
}

func copyValues(v map[string]string) map[string]string {
	c := make(map[string]string, len(v))
	for k, x := range v {
		c[k] = x
	}
	return c
}
