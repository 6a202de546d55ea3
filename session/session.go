package session

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/wharf-go/wharf/api"
)

// Session is one client's session as a request sees it: the values loaded
// when the request arrived, with the request's own changes on top.
//
// Values are strings, which every store can keep as they are; to keep
// structured data, encode it (json.Marshal) and store the string.
//
// # When the cookie is set
//
// The cookie changes at the moment the session does: the first Set of a
// new session gives it its ID and adds the Set-Cookie field to
// the response; RenewID and Invalidate replace that field. So the cookie
// is in the header before the handler writes a byte, however the response
// commits afterwards. This works while the request's dispatch runs (the
// handler, or a goroutine it waits for) and the response has not
// committed: a new session first written after its response committed, or
// from a task after the dispatch returned, cannot reach the client and is
// not stored (the Manager logs it); RenewID then returns ErrCookieFixed,
// and so does Save.
// A handler that goes async (async.Start) and means to create the session
// in a later task calls Of during its dispatch: a new session is then
// given its ID, and its cookie, when the dispatch returns.
//
// A response that sets or drops the cookie says Cache-Control:
// no-cache="Set-Cookie" too, after the directives the handler set, as
// the container marks every response that sets a cookie when its head
// is committed (see container's package doc), so that a shared cache
// that stores the response under the handler's policy never hands one
// client's session ID to another (RFC 9111 §5.2.2.4).
//
// # When changes are saved
//
// The Manager writes the request's changes to the store when the dispatch
// returns through it (before the container completes the response), and
// again, for what async tasks changed, when the request completes. An
// async handler that wants its changes stored before its client sees the
// response calls Save before Complete. Invalidate and RenewID reach the
// store at once. A save that fails when the dispatch returns fails the
// request (see Manager.Filter), and the request's changes are dropped:
// they are not tried again when it completes. So are they when the
// handler returns the error of its session's Save, RenewID or
// Invalidate, which fails the request the same way.
//
// # Concurrent requests
//
// Two requests of one client may change the session at once (a page and its
// XHR, two tabs). Saves are optimistic: the store takes a save only against
// the revision the request loaded. On a conflict the session is loaded
// again and only the keys this request set or deleted are applied to the
// fresh values, again after a random wait that grows with each round, for
// as long as Config.StoreTimeout allows: each conflict is another request's
// save that succeeded, so a burst of requests (a page's XHRs that all
// loaded the session before any saved) all get through, whatever their
// number. So two requests that set different keys both keep their values,
// and two that set the same key leave one of the two values (the last to
// save), without an error. Only a session written without pause, faster
// than a request can catch up until its deadline, fails a save: 503 with
// Retry-After, as a store too busy to answer (see Manager.Filter),
// ErrConflict in its cause. A session that another request invalidated, or
// moved to a new ID (RenewID), is not brought back under its old ID: the
// changes of a request that raced with the invalidation or the renewal are
// dropped (and Save, if the request calls it, returns an error wrapping
// ErrNotFound).
//
// Every method may be called from any goroutine of the request; a mutex
// serializes them. Set, RenewID and Invalidate may change the response
// header, so while the dispatch runs, a goroutine other than the
// dispatch's calls them only as it may use the Response: while the
// dispatch waits for it.
type Session struct {
	m      *Manager
	secure bool

	mu      sync.Mutex
	id      string // "" until a new session is first written
	base    Record // as last loaded or saved; Revision 0: not stored
	values  map[string]string
	changed map[string]prior // keys this request set or deleted since the last save
	touched bool             // LastAccess is due to be written
	isNew   bool
	asked   bool  // Of was called
	orphan  error // written when no cookie could be set for it: why (one of the errFixed...), nil if not
	stale   bool  // the request's cookie named no live session (unknown, expired, malformed)
	// returned: the request's cookie named a live session, which this
	// request ended (Invalidate): the session it starts next is saved
	// as one its client came back for (see renewedKey).
	returned bool

	w       api.Response // the running dispatch's, nil between dispatches
	running bool         // a pass of the Manager is bound to the request (bind to unbind)
	pass    uint64       // the number of the pass bound last, which owns w and running
	// outer is the session another Manager's pass put on the request the
	// running pass got (the site's, for an area's own Manager mapped
	// inside it), nil if none, and outerPass the number of outer's pass
	// then: see bind.
	outer     *Session
	outerPass uint64
	cookieHdr string // the Set-Cookie value added, to replace it
	// detached: a pass took the session over from the chain that holds
	// this one (see takeOver), which keeps outer, the session its pass
	// began inside; was is the session this one took over, if any.
	detached bool
	was      *Session
}

// ID returns the session's ID, or "" for a new session not yet written.
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id
}

// IsNew reports whether the session is not one the request's cookie named:
// a session the request creates, or will create by writing it.
func (s *Session) IsNew() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isNew
}

// Get returns the value under key.
func (s *Session) Get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[key]
	return v, ok
}

// Keys returns the session's keys, sorted.
func (s *Session) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.values))
	for k := range s.values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Set sets the value under key, creating the session if it is new (see
// "When the cookie is set").
func (s *Session) Set(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.create()
	s.change(key)
	s.values[key] = value
}

// Delete removes key from the session.
func (s *Session) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.values[key]; !ok {
		return
	}
	s.change(key)
	delete(s.values, key)
}

// prior is a changed key's value as the session held it before the
// request's first change of it since the last save: what dropChanges
// puts back.
type prior struct {
	v   string
	had bool
}

// change records that key is about to be set or deleted. s.mu is held.
func (s *Session) change(key string) {
	if _, ok := s.changed[key]; ok {
		return
	}
	if s.changed == nil {
		s.changed = map[string]prior{}
	}
	v, had := s.values[key]
	s.changed[key] = prior{v, had}
}

// dropChanges takes the request's unsaved changes out of the session,
// its values as they were before them, not only out of what is left to
// save: a later save (an error page's that sets a value of its own, an
// async task's) writes the session's values whole. s.mu is held.
func (s *Session) dropChanges() {
	for k, p := range s.changed {
		if p.had {
			s.values[k] = p.v
		} else {
			delete(s.values, k)
		}
	}
	s.changed, s.touched = nil, false
}

// create gives a new session its ID and cookie at its first write. A write
// that could not set the cookie (an async task's) leaves the session an
// orphan, but a later one still tries: a re-dispatch of the request can
// set the cookie again, and what it writes (a login) must not be dropped
// with the orphan's values.
func (s *Session) create() {
	if s.id != "" {
		return
	}
	id := newID()
	if err := s.setCookie(id); err != nil {
		s.orphan = err
		return
	}
	s.id, s.orphan = id, nil
	s.base = Record{Created: time.Now()}
}

// Invalidate ends the session: it is deleted from the store and the client
// is told to drop its cookie (a cookie that named no live session, one the
// store forgot, is dropped as well). The Session is then new and empty; a
// later Set creates a new session with a new ID (a logout page that sets a
// message, say). It returns the store's error, if any. The cookie is
// dropped only if the response has not committed; otherwise it stays with
// the client, naming no session, and is ignored.
func (s *Session) Invalidate() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A detached session (see takeOver) may be stored by the pass that
	// took it over, under its ID, though this one never stored it: a
	// logout in the chain must end it all the same (an ID not stored is
	// no error to Delete).
	if s.base.Revision != 0 || s.detached && s.id != "" {
		ctx, cancel := s.m.storeContext()
		defer cancel()
		if err := s.m.cfg.Store.Delete(ctx, s.id); err != nil {
			return fmt.Errorf("session: invalidate: %w", storeError{err})
		}
	}
	// A cookie that named no live session is dropped too: a logout
	// answers with the client holding no session cookie, whatever it
	// held.
	hadCookie := !s.isNew || s.cookieHdr != "" || s.stale
	// A client that sent the cookie of a live session keeps cookies: the
	// session this request starts next (a login as another user, which
	// ends the first user's) is no more one of a flood's than the one it
	// replaces, and a full MemoryStore must not evict it first.
	s.returned = s.returned || !s.isNew
	s.reset()
	if hadCookie {
		_ = s.setCookie("")
	}
	return nil
}

// reset makes s a new session without an ID. A session the request's
// cookie named leaves that cookie naming no live session: stale.
func (s *Session) reset() {
	s.stale = s.stale || !s.isNew
	s.id, s.base, s.values, s.changed = "", Record{}, map[string]string{}, nil
	s.touched, s.isNew, s.orphan = false, true, nil
}

// RenewID moves the session to a new ID, with the same values, and deletes
// the old ID from the store, so that an ID an attacker planted or saw
// before cannot follow the client across a change of privilege: call it on
// login (session fixation). It returns ErrCookieFixed, and changes
// nothing, if the cookie can no longer change (see "When the cookie is
// set"), a session not yet written included (the ID its first Set would
// give it could not reach the client either). A new session, not stored
// yet, gets another fresh ID too, at no cost (nothing is in the store to
// move), and its cookie says the new one. A session that another request ended
// (Invalidate, or expiry) before the move completed stays ended, however
// the two interleave: its values never reach the new ID, and RenewID
// leaves this request with a new, empty session, as if it had none. The
// move is atomic if the Store is a RevisionDeleter, and costs one more
// Load otherwise (see RevisionDeleter).
func (s *Session) RenewID() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.cookieWritable() {
		// Also for a session without an ID yet: the ID its first Set
		// would give it could not reach the client either.
		return s.cookieFixed()
	}
	if s.id == "" {
		return nil
	}
	id := newID()
	if s.base.Revision != 0 {
		ctx, cancel := s.m.storeContext()
		defer cancel()
		// The values move from what the store holds, with this request's
		// changes saved first: another request (a logout in another tab)
		// may have changed or ended the session since it was loaded, and
		// an ended session must stay ended, not come back under the new
		// ID. saveLocked applies that rule to our changes, move to the
		// copy.
		if err := s.saveLocked(ctx); err != nil {
			return fmt.Errorf("session: renew: %w", storeError{err})
		}
		if s.id == "" {
			return nil // ended meanwhile: a new session starts at the next Set
		}
		moved, err := s.move(ctx, id)
		if err != nil {
			return fmt.Errorf("session: renew: %w", storeError{err})
		}
		if !moved {
			s.reset()
			return nil
		}
	}
	s.id = id
	return s.setCookie(id)
}

// Save writes the request's changes to the store now, which the Manager
// also does when the dispatch returns and when the request completes. An
// async handler calls it before Complete, so that the client's next
// request sees what it changed. ctx bounds the store calls, as does
// Config.StoreTimeout. A new session first written when its cookie could
// no longer be set (see "When the cookie is set") is not stored: Save
// drops what was written to it and returns ErrCookieFixed. So are the
// changes to a session that another request ended (Invalidate: a logout
// in another tab) or moved to a new ID (RenewID), or that expired, since
// this request loaded it: Save
// drops them, as the Manager's own saves do, and returns an error that
// wraps ErrNotFound, which tells a long-lived request (an async task, a
// WebSocket's callback) that its client is logged out; the Session is
// then a new one, with no values. A handler that returns that error is
// answered 500, as for any error of its own.
func (s *Session) Save(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if why := s.orphan; why != nil {
		// What saveLocked would drop with a log line nobody who called
		// Save reads: say it to the caller, who would report the write
		// as kept.
		s.dropOrphan()
		return fmt.Errorf("session: save: a new session written after its cookie could no longer be set: %w", why)
	}
	ctx, cancel := context.WithTimeout(ctx, s.m.cfg.StoreTimeout)
	defer cancel()
	writes := s.id != "" && len(s.changed) > 0
	if err := s.saveLocked(ctx); err != nil {
		return storeError{err}
	}
	if writes && s.id == "" {
		// saveLocked found the session ended by another request (or
		// expired) and dropped the changes, as it must: say it to the
		// caller, who would report the write as kept.
		return fmt.Errorf("session: save: since this request loaded the session, another request ended it or moved it to a new ID (Invalidate, RenewID), or it expired; its changes are dropped: %w", ErrNotFound)
	}
	return nil
}

// save is Save under StoreTimeout alone.
func (s *Session) save() error {
	ctx, cancel := s.m.storeContext()
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveLocked(ctx)
}

// bind gives s the Response of a pass of the Manager that starts, on a
// request that carries via, the session of another Manager's pass (nil
// if none), and returns the pass's number, for endDispatch and unbind.
// The cookie an earlier dispatch of the request set is still in the
// header: the container keeps header fields across dispatches (a timeout
// or error discards only those that describe the body).
//
// It returns s itself but for a takeover (below), and false, binding
// nothing, while the pass bound earlier is
// running further out on the request: when via is, or is inside, a
// session whose pass began inside that one (an area's own Manager's, on
// "/admin/*", whose page includes one of the site's), or when via is
// the session whose pass the running one began inside, in that same pass
// (a page of that area that includes one of its own through the filters
// meets the site's Manager first, which puts its session on the
// request): see Manager.Filter. A pass that began elsewhere while the earlier one still runs (an error
// page's, while the chain below a timeout filter goes on, on its own
// goroutine, after the timeout answered) is a dispatch of its own: it
// takes the session over, in a Session of its own that bind returns (see
// takeOver), and the earlier pass's end no longer touches either.
//
// A cookie s set on the Response of an earlier pass that the new one
// lacks is set on it again: a timeout filter's chain writes into a
// buffer, which is dropped when the timeout answers, and the pass of its
// error page would otherwise name no session, with the values saved under
// an ID no client holds.
func (s *Session) bind(w api.Response, via *Session) (*Session, uint64, bool) {
	if s.nestedIn(via) {
		return s, 0, false
	}
	var viaPass uint64
	if via != nil {
		via.mu.Lock()
		viaPass = via.pass
		via.mu.Unlock()
	}
	s.mu.Lock()
	if s.running {
		t := s.takeOver()
		s.mu.Unlock()
		s = t
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	s.running, s.outer, s.outerPass = true, via, viaPass
	s.pass++
	if s.orphan != nil {
		// A task wrote the new session after the last dispatch, too late
		// for its cookie: this dispatch may give the session one, but
		// not with those values, which are not stored.
		s.logOrphan()
		s.dropOrphan()
	}
	s.w = w
	if s.cookieHdr != "" && !w.Committed() && !slices.Contains(w.Header()["Set-Cookie"], s.cookieHdr) {
		w.Header().Add("Set-Cookie", s.cookieHdr)
	}
	return s, s.pass, true
}

// takeOver returns a Session for a pass that takes s over from a pass
// still running on another goroutine (see bind), with what the request
// changed so far, which it saves, and leaves s to that other pass's chain
// alone, detached from every response: no pass of s's is running any
// more (its end does nothing), and it sets no cookie, so that what the
// chain does afterwards never touches the new pass's header from its
// goroutine (a data race); its changes from then on are its own, saved
// only by its own Save. s.mu is held.
func (s *Session) takeOver() *Session {
	t := &Session{
		m: s.m, secure: s.secure,
		id: s.id, base: s.base, values: maps.Clone(s.values), changed: s.changed,
		touched: s.touched, isNew: s.isNew, asked: s.asked, orphan: s.orphan,
		stale: s.stale, returned: s.returned, cookieHdr: s.cookieHdr, was: s,
	}
	s.changed, s.touched = nil, false
	s.pass++ // the running pass's end finds the session taken over
	// outer stays: an include the chain makes through the filters
	// afterwards finds its own sessions by it (chainSession).
	s.running, s.w, s.detached = false, nil, true
	return t
}

// fromTakenOver reports whether s, a session on a request, or one whose
// pass s's began inside, is detached (see takeOver): the request is one
// that a chain taken over includes or forwards through the filters. s may
// be nil. Each session is locked in turn, never two at once.
func (s *Session) fromTakenOver() bool {
	for x := s; x != nil; {
		x.mu.Lock()
		next, detached := x.outer, x.detached
		x.mu.Unlock()
		if detached {
			return true
		}
		x = next
	}
	return false
}

// chainSession returns the Session of m's that a chain taken over holds,
// for a pass of m's over a request of that chain that carries via (see
// fromTakenOver), and live, m's session of the request (nil if none): one
// on the request (via, or one whose pass via's began inside), or live or
// a session it took over, whose pass began inside one of those; nil if the
// chain's passes never met m. The pass that took the session over holds
// live, which the chain must not take from it: that pass's response would
// name no session, and what it writes would not be saved.
func chainSession(m *Manager, via, live *Session) *Session {
	outerOf := func(x *Session) *Session {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.outer
	}
	onRequest := func(o *Session) bool {
		for x := via; x != nil; x = outerOf(x) {
			if x == o {
				return true
			}
		}
		return false
	}
	for x := via; x != nil; x = outerOf(x) {
		if x.m == m {
			return x
		}
	}
	for x := live; x != nil; {
		x.mu.Lock()
		outer, inPass, was := x.outer, x.running || x.detached, x.was
		x.mu.Unlock()
		if inPass && outer != nil && onRequest(outer) {
			return x
		}
		x = was
	}
	return nil
}

// nestedIn reports whether via, or a session whose pass via's began
// inside, is s while s's pass runs, or via is the session whose pass s's
// began inside, still in that pass: a pass of s's Manager met again from
// within its own, through another Manager's area, or through the Manager
// s's pass began inside. s.mu is not held: each session is locked in
// turn, never two at once.
func (s *Session) nestedIn(via *Session) bool {
	if via == nil {
		return false
	}
	s.mu.Lock()
	outer, outerPass, running := s.outer, s.outerPass, s.running
	s.mu.Unlock()
	if running && outer == via {
		via.mu.Lock()
		same := via.running && via.pass == outerPass
		via.mu.Unlock()
		if same {
			return true
		}
	}
	for x := via; x != nil; {
		x.mu.Lock()
		next, running := x.outer, x.running
		x.mu.Unlock()
		if !running {
			return false // a pass that ended: nothing runs around this one
		}
		if next == s {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.running
		}
		x = next
	}
	return false
}

// unbind ends what bind started, when the Manager's pass returns,
// whatever way it returns (a handler's panic included), unless another
// pass took the session over since.
func (s *Session) unbind(pass uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pass == pass {
		s.running, s.w, s.outer, s.outerPass = false, nil, nil, 0
	}
}

// orphanDropped is the log line of a new session written when its cookie
// could no longer be set, dropped without a Save to report it to.
const orphanDropped = "session: a new session was written after its cookie could no longer be set; it is not stored"

// logOrphan logs the orphan about to be dropped, with why its cookie could
// not be set: a program that lost a login finds the cause in the line (a
// timeout filter added after the Manager, most often). s.mu is held.
func (s *Session) logOrphan() {
	s.m.cfg.Logger.Warn(orphanDropped, "err", s.orphan)
}

// Why a session's cookie could no longer be set, as setCookie, RenewID and
// Save report it: ErrCookieFixed, wrapped with the cause, made once so that
// reporting it allocates nothing.
var (
	errFixedCommitted = fmt.Errorf("%w: the response has committed", ErrCookieFixed)
	errFixedTakenOver = fmt.Errorf("%w: another dispatch of the request took the session over (an error page's, once a timeout filter answered for this chain)", ErrCookieFixed)
	errFixedNoPass    = fmt.Errorf("%w: no dispatch through the Manager is running (a task after the dispatch returned, or a chain below a filters/timeout added after the Manager: add the timeout filter before the Manager)", ErrCookieFixed)
)

// cookieFixed says why the cookie can no longer be set. s.mu is held,
// and cookieWritable reported false.
func (s *Session) cookieFixed() error {
	switch {
	case s.w != nil:
		return errFixedCommitted
	case s.detached:
		return errFixedTakenOver
	default:
		return errFixedNoPass
	}
}

// dropOrphan drops what was written to a new session when its cookie
// could no longer be set: its values are all such writes (the session
// has no ID), and none may reach the store, with a later write that can
// set the cookie (a re-dispatch's login) or otherwise. s.mu is held.
func (s *Session) dropOrphan() {
	s.orphan, s.values, s.changed = nil, map[string]string{}, nil
}

// endDispatch runs when a dispatch returns through the Manager: it gives a
// new session its cookie while that is still possible if the request
// suspended after asking for it, saves, and lets go of the Response. A
// pass that another took the session over from (see bind) does none of
// that: the Response is the other's, and so is the save, when that pass
// returns, or else when the request completes.
//
// failed is the error of a store call the handler returned (its
// session's Save, RenewID or Invalidate), which the Manager answers as a
// save of its own that failed: the request's changes are then dropped as
// that save's would be, not saved, and endDispatch returns nil.
func (s *Session) endDispatch(suspended bool, pass uint64, failed error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pass != pass {
		return nil
	}
	if suspended && s.asked {
		s.create()
	}
	touchOnly := len(s.changed) == 0 && s.touched
	var err error
	if failed != nil {
		// Saved now, with the store back, the changes would land
		// though the client is told the request failed (a 503 asks it
		// to try again: a retried "add to cart" would add twice).
		err = failed
	} else if s.orphan != nil || s.dirtyLocked() {
		// The store's deadline (a context and a timer) only for a
		// dispatch that writes (or has an orphan to report): most read
		// their session and leave it.
		ctx, cancel := s.m.storeContext()
		err = s.saveLocked(ctx)
		cancel()
	}
	if err != nil && failed == nil && touchOnly && s.w != nil && s.w.Committed() {
		// Only the last access was due, and the response is on its way:
		// failing the request now would abort what the client is
		// reading, for bookkeeping that a later request writes again.
		s.m.cfg.Logger.Error("session: writing the last access after the response committed", "err", err)
		s.touched = false
		err = nil
	}
	if err != nil && !suspended && s.base.Revision == 0 && s.cookieHdr != "" && s.cookieWritable() {
		// The session was never stored, and this request ends with the
		// error: its cookie would name nothing, and a login that failed
		// would seem, to the client, to have set one.
		s.unsetCookie()
		// Nor is it saved when the request completes: stored under an ID
		// no client holds, it would only take a place in the store.
		s.reset()
		if s.stale {
			// The cookie the client holds names no live session (a
			// logout of this request ended it, and the new session's
			// cookie replaced the one telling the client to drop it):
			// it is still told to, as Invalidate did.
			_ = s.setCookie("")
		}
	}
	if err != nil {
		// The request fails with the save's error (a 503 tells the
		// client to try it again): its changes are dropped, not saved
		// when the request completes, which would make them land all
		// the same once the store is back, and a retried request apply
		// them twice. They leave the values too: an error page that
		// reads the session finds it as the client will, and one that
		// writes it (a message for the next page) saves its own value
		// alone.
		s.dropChanges()
	}
	s.w = nil
	if failed != nil {
		return nil // the handler's, which the request fails with
	}
	return err
}

func (s *Session) cookieWritable() bool { return s.w != nil && !s.w.Committed() }

// setCookie replaces the session cookie on the response with the one for
// id ("" drops it).
func (s *Session) setCookie(id string) error {
	if !s.cookieWritable() {
		return s.cookieFixed()
	}
	s.unsetCookie()
	v := s.m.cookie(id, s.secure).String()
	s.w.Header().Add("Set-Cookie", v)
	s.cookieHdr = v
	return nil
}

// unsetCookie takes back the session cookie this request added to its
// response, if any; the response's cookie must still be writable.
func (s *Session) unsetCookie() {
	if s.cookieHdr == "" {
		return
	}
	h := s.w.Header()
	h["Set-Cookie"] = slices.DeleteFunc(h["Set-Cookie"], func(x string) bool { return x == s.cookieHdr })
	s.cookieHdr = ""
}
