package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
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
// A timeout filter (package filters/timeout) over pages that use sessions
// is added before it, so that the Manager runs in the filter's chain (see
// Filter). Added after it, the filter ends the Manager's pass as it starts
// its chain on a goroutine of its own: a new session the chain writes is
// not stored (RenewID, a login's, returns ErrCookieFixed, and its
// message names this order), as a task's
// after the dispatch returned (see Session), and what the chain writes
// after the timeout reaches the session the error page uses, concurrently
// with it.
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
// (see Config.CookieName), which browsers would refuse, on a CookieName
// that is not a valid cookie name, and on a CookiePath or CookieDomain
// that the cookie could not carry as given.
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
	s := sessionOf(r, "Of")
	s.mu.Lock()
	s.asked = true
	s.mu.Unlock()
	return s
}

// Peek returns the session of r as Of does, for code that only reads it
// (package auth's UserOf). Of tells the Manager that a later task may
// create the session, so a new one gets its ID and cookie when a dispatch
// that suspends returns (see Session); Peek does not, so that a request
// that only reads gets no cookie, even when it suspends. It panics as Of
// does.
//
// Any goroutine may call Peek, at any time.
func Peek(r *api.Request) *Session { return sessionOf(r, "Peek") }

// sessionOf is Of's and Peek's: the session the Manager put on r. Its
// panic names fn, the function called: Peek's said Of, and whoever read
// it (auth.UserOf calls Peek) looked for a call of Of that was not there.
func sessionOf(r *api.Request, fn string) *Session {
	s, ok := r.Attribute(attrKey{}).(*Session)
	if !ok {
		// The Manager is often mapped, but after the filter that asks
		// (auth.FormLogin added before it): filters nest in the order
		// added, so say that too, not only "map it".
		panic("session: " + fn + " on a request no session.Manager filtered: map the Manager on this path (container.Filter(\"/*\", session.New(...))), added before the filters that call session.Of or Peek, such as auth.FormLogin (and auth.UserOf behind it): filters run in the order they are added")
	}
	return s
}

// Filter loads the session the request's cookie names, if it exists and
// has not expired, or starts a new one otherwise, and calls next with a
// Request that carries it (see Of). A Manager mapped inside another (an
// area's own, on "/admin/*" within the site's on "/*") gives the requests
// it filters its own session, from its own cookie and store, as a
// Servlet context's session handler does; Of returns the innermost. A
// page of the outer Manager's that one of the area's includes or forwards
// to through the filters (dispatcher.WithFilters) has the outer session,
// on the response the outer Manager's pass saves it with, and one of the
// area's own that they include or forward to through the filters has the
// area's session, on the response of the area's pass, which saves it. A dispatch of
// the request's own that starts while a pass still runs on another
// goroutine (an error page's, once a timeout filter above answered for
// the chain below it) is no such page: it takes the session over, with
// what the request changed so far, its cookie and its save, on its own
// response, and gets a Session of its own. The chain taken over keeps the
// Session it had, detached from every response: what it writes
// afterwards is not saved with the new pass's changes, nor when the
// request completes, but only by a Save of its own, as another request's
// (which returns ErrCookieFixed for a new session, whose cookie it can no
// longer set, as RenewID does); its Invalidate (a logout) ends the session
// the new pass holds too, in the store. A page it includes or forwards to through
// the filters afterwards has the chain's Session of each Manager too,
// detached as well (one of its own, from the request's cookie, for a
// Manager the chain had not passed), never the new pass's. When next
// returns it saves the
// changes (see Session for when a cookie is set and when changes are
// saved) and returns next's error, or else the save's. A store that fails
// fails the request, through the error pages: 503 with Retry-After (the
// StoreTimeout, in whole seconds) and cause ErrUnavailable if the store
// could not be reached (its error wraps context.DeadlineExceeded, as a
// call that outlived StoreTimeout does, a net.Error, or ErrUnavailable,
// which a Store returns for the outages it knows by other errors), as a
// dependency that is down for a while; 503 without Retry-After and cause
// api.ErrShutdown if the store was closed (ErrClosed), as the program
// shuts down; 500 for any other error. The request's changes are then
// dropped, not saved when it completes: a client told that the request
// failed finds the session as it was. A new session whose first save
// failed as its request ends loses the cookie it was given, which would
// name nothing. The exception is a save that only
// writes the last access (see Config.IdleTimeout) once the response has
// committed: its failure is logged to Config.Logger and the response
// completes, since failing the request then would abort it. A handler
// that returns the error of its session's Invalidate, RenewID or Save
// (auth.Logout's and auth.Login's, wrapped or not) is answered by the same
// rules, so that a logout while the store is down is a 503 too, and its
// changes are dropped as well, not saved as the dispatch returns.
//
// Only the request's serialized task calls Filter (the filter chain does).
func (m *Manager) Filter(w api.Response, r *api.Request, next api.Chain) error {
	via, _ := r.Attribute(attrKey{}).(*Session) // another Manager's, if any
	if via != nil && via.m == m {
		// This Manager filtered r already (a forward through its path
		// again): the same session. Another Manager's is not ours: an
		// inner Manager (an admin area's, with a cookie and a timeout
		// of its own) gives the requests it filters its own session.
		return next.Next(w, r)
	}
	ex := r.Exchange()
	var s *Session
	if ex != nil {
		m.mu.Lock()
		s = m.live[ex]
		m.mu.Unlock()
	}
	if via.fromTakenOver() {
		// An include or forward through the filters from a chain whose
		// session a pass took over: the chain's own Session, detached as
		// the chain's others, never the one that pass holds, which the
		// chain took over from it in turn, so that its response named no
		// session and what it wrote was not saved.
		own := chainSession(m, via, s)
		if own == nil {
			// The chain had not met this Manager: a Session of its own,
			// as another request's.
			var err error
			if own, err = m.open(r); err != nil {
				return m.storeFailed(w, err)
			}
			own.detached = true
		}
		return next.Next(w, r.WithAttribute(attrKey{}, own))
	}
	if s == nil {
		var err error
		if s, err = m.open(r); err != nil {
			return m.storeFailed(w, err)
		}
		if ex != nil {
			// Saves what async tasks changed after the last dispatch,
			// and forgets the exchange.
			opened := s // not s itself, which a takeover changes: captured, it would escape
			err := async.OnComplete(r, func(error) {
				s := opened
				m.mu.Lock()
				if cur, ok := m.live[ex]; ok {
					s = cur // a pass that took the request's session over has a Session of its own
				}
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
	taken, pass, ok := s.bind(w, via)
	if taken != s {
		// A pass that took the session over, from the chain of an
		// earlier one that still runs: the request's session from now
		// on, for a re-dispatch and for the save at completion.
		m.mu.Lock()
		if ex != nil && m.live[ex] == s {
			m.live[ex] = taken
		}
		m.mu.Unlock()
		s = taken
	}
	if !ok {
		// This Manager's pass over the request is running further out:
		// an include or forward back through its path from inside a
		// Manager of an area's own (a page on "/admin/*" that includes a
		// fragment of the site's). The same session, on the Response
		// that pass bound, which that pass saves when it returns: bound
		// to the include's Response, whose header changes go nowhere, a
		// new session's cookie was lost, and its end let go of the
		// outer pass's Response.
		return next.Next(w, r.WithAttribute(attrKey{}, s))
	}
	defer s.unbind(pass)
	err := next.Next(w, r.WithAttribute(attrKey{}, s))
	suspended := ex != nil && continuation.Of(r).IsSuspended()
	var failed error
	if err != nil && isStoreError(err) {
		failed = err
	}
	serr := s.endDispatch(suspended, pass, failed)
	if err != nil {
		if serr != nil {
			// The request fails with the handler's error; the store's
			// would otherwise go unseen.
			m.cfg.Logger.Error("session: saving after a failed dispatch", "err", serr)
		}
		if isStoreError(err) {
			// A logout or login whose store call failed: answered as the
			// Manager's own calls are, not 500 for every one of them
			// while the store is down.
			return m.storeFailed(w, err)
		}
		return err
	}
	return m.storeFailed(w, serr)
}

// storeFailed is the error a request fails with when the store failed with
// err (nil: none). A store that could not be reached is a dependency that
// is down, not a fault of the program's: 503 with Retry-After, as auth's
// bearer filter answers a check it could not make, for clients and load
// balancers to try again later. Retry-After is StoreTimeout: a client
// that came back sooner would find calls still waiting on the store.
// A closed store is the program shutting down: the container refuses
// requests then with api.ErrShutdown, and so does this, without a
// Retry-After, as the store will not open again in this process.
func (m *Manager) storeFailed(w api.Response, err error) error {
	if err == nil {
		return nil // before ne, which escapes to errors.As: no allocation on every request
	}
	if errors.Is(err, ErrClosed) {
		return fmt.Errorf("%w: %w", api.ErrShutdown, err)
	}
	var ne net.Error
	said := errors.Is(err, ErrUnavailable) // by the store: no need to wrap it again
	if !said && !errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &ne) {
		return err
	}
	if !w.Committed() {
		secs := max(1, int64((m.cfg.StoreTimeout+time.Second-1)/time.Second))
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if !said {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return &api.StatusError{Code: http.StatusServiceUnavailable, Err: err}
}

// storeError is the error of a store call that a Session method made for
// its caller (Invalidate, RenewID, Save), so that Filter tells it from the
// handler's own errors when the handler returns it. Its text is the
// store's.
type storeError struct{ err error }

func (e storeError) Error() string { return e.err.Error() }
func (e storeError) Unwrap() error { return e.err }

// isStoreError reports whether a handler's err is, or wraps, a storeError
// that nothing gave a status of its own: not a StatusError the handler
// chose, whatever its code (a 500 too: the handler chose it), nor a
// panic's value, which is answered 500 whatever it wraps.
func isStoreError(err error) bool {
	var se storeError
	var pe *api.PanicError
	var ste *api.StatusError
	return errors.As(err, &se) && !errors.As(err, &pe) && !errors.As(err, &ste)
}

// maxIDsTried bounds how many of a request's session cookies open looks
// up in the store, so a client cannot make one request cost a store load
// per cookie it sends.
const maxIDsTried = 4

// open starts the Session of a request: the stored one its cookie names,
// or a new one. A browser sends every cookie of the name whose Path and
// Domain match, the narrowest Path first, so the first may be one an
// earlier configuration or a sibling path left behind: the first that
// names a live session wins, as in Jetty, where taking the first alone
// would start a new session on every request for as long as that cookie
// lives.
func (m *Manager) open(r *api.Request) (*Session, error) {
	s := &Session{m: m, secure: m.cfg.Secure == SecureAlways || r.Scheme() == "https", isNew: true}
	err := m.adopt(s, r)
	if s.values == nil {
		// Made here, not up front: a stored session comes with the map
		// its store made.
		s.values = map[string]string{}
	}
	return s, err
}

// adopt makes s the stored session that one of r's cookies names, if any
// (see open).
func (m *Manager) adopt(s *Session, r *api.Request) error {
	cookies := r.CookiesNamed(m.cfg.CookieName)
	if len(cookies) == 0 {
		return nil
	}
	s.stale = true // until the store knows an ID
	tried := 0
	for i, c := range cookies {
		if !validID(c.Value) || slices.ContainsFunc(cookies[:i], func(p *http.Cookie) bool { return p.Value == c.Value }) {
			continue
		}
		if tried++; tried > maxIDsTried {
			break
		}
		ok, err := m.load(s, c.Value)
		if err != nil || ok {
			return err
		}
	}
	return nil
}

// load makes s the stored session id names, if the store knows it and it
// has not expired, and reports whether it did. An unknown ID (a stranger's
// or a forgotten one) is never adopted.
func (m *Manager) load(s *Session, id string) (bool, error) {
	ctx, cancel := m.storeContext()
	defer cancel()
	rec, err := m.cfg.Store.Load(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("session: load: %w", err)
	}
	now := time.Now()
	if m.expired(rec, now) {
		_ = m.cfg.Store.Delete(ctx, id) // the store would forget it anyway
		return false, nil
	}
	s.stale = false
	s.values = takeValues(&rec)
	s.id, s.base, s.isNew = id, rec, false
	s.touched = now.Sub(rec.LastAccess) > m.cfg.IdleTimeout/4
	return true, nil
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

// takeValues takes the values out of a record the Store loaded, for the
// session to keep: they are its own, as a Store copies on each Load
// (Record), so they need no second copy. What is left in rec, the
// session's base, is its revision and times: base never holds values.
func takeValues(rec *Record) map[string]string {
	v := rec.Values
	if v == nil {
		v = map[string]string{}
	}
	rec.Values = nil
	return v
}
