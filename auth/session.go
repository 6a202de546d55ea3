package auth

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/jsonstrings"
	"github.com/wharf-go/wharf/session"
)

// The session keys that hold the logged-in user. Nothing else should set
// them: SessionUser and FormLogin believe what they say.
const (
	sessionUser  = "auth.user"
	sessionRoles = "auth.roles" // a JSON array of strings (read by jsonstrings.Decode); absent without roles
)

// SessionUser returns the filter that reads back the user Login stored in
// the session of package session: on every request, the session's user,
// if it has one, is what UserOf returns in the rest of the chain, and
// Required then guards the paths that need one. It is the part of
// FormLogin that a program with a login handler of its own (a JSON login
// API, an OAuth callback) needs, without a form: it answers no request
// itself, so that every path and method stays the program's.
//
// The session is read when UserOf is called, not by the filter: a request
// that never asks (an anonymous one that goes async, say) is given no
// session for it, and a request that asks gets the user of the session
// as it stands then, the one Login just stored included. A user an outer
// filter attached (Basic, say, with Optional set so that requests without
// its credentials reach the session: ExampleBasic_optional) is what
// UserOf returns when the session has none; the session's user wins when
// it has one. Roles that do not decode as Login stored them mean no user
// at all.
//
// The session Manager must run before it, as before FormLogin: without
// one, UserOf panics where a handler asks, with package session's message
// that says to map the Manager first (session.Peek's), and a request
// detached there (api.Request.Detach) carries no user. Required behind
// SessionUser alone redirects to its LoginURL without keeping the page to
// return to, which only FormLogin's login reads.
//
// Goroutines: call SessionUser at setup time; the filter is safe for
// concurrent use, and each call of its Filter method comes from the
// request's serialized task.
func SessionUser() api.Filter { return sessionUserFilter{} }

type sessionUserFilter struct{}

func (sessionUserFilter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	return next.Next(w, withSessionUser(r, false))
}

// withSessionUser returns a copy of r whose user, for UserOf, is the one
// Login stored in r's session: the read-back of SessionUser's filter and
// FormLogin's. form says FormLogin's filter made it, so that Required
// keeps the page to return to after its login; a FormLogin further out
// still counts.
func withSessionUser(r *api.Request, form bool) *api.Request {
	l := &sessionLookup{outer: r, form: form}
	if form {
		l.login = r
	} else if o, ok := r.Attribute(userKey{}).(*sessionLookup); ok && o.form {
		l.form, l.login = true, o.login
	}
	// The session is read when someone asks (UserOf), not here: asking
	// for it would create a session for every anonymous request that
	// goes async.
	return r.WithAttribute(userKey{}, l)
}

// sessionLookup is attached instead of a User by withSessionUser, so that
// only requests that ask read the session.
type sessionLookup struct {
	outer *api.Request // as the filter got it: its session, and any user attached further out
	form  bool         // FormLogin's filter attached it, or one further out did
	// login is the request as FormLogin's filter got it, when form: its
	// session is the one the login writes the user in and reads the
	// page to return to from, which a Manager of an area's own mapped
	// inside (on "/admin/*") does not give the requests it filters.
	login *api.Request
}

// user returns the session's user, or else the one attached further out.
func (l *sessionLookup) user() (User, bool) {
	// Peek, not Of: reading the user must not make a request that
	// suspends create a session for its client.
	if u, ok := sessionUserOf(session.Peek(l.outer)); ok {
		return u, true
	}
	return UserOf(l.outer)
}

// DetachAttr makes the lookup for a detached request (api.AttrDetacher):
// the user as it stands when the request is detached (during its dispatch,
// where the session may be read), so that the copy, which a WebSocket
// keeps for the connection's life, holds neither the request the lookup
// reads nor its exchange. nil, for no user, hides any user an outer filter
// attached, as the lookup would have.
func (l *sessionLookup) DetachAttr() (v any) {
	// Without a session Manager in front the lookup panics
	// (session.Peek), as UserOf does where a handler asks; Detach, on its
	// way to taking the connection over, is no place for that to surface
	// first, so such a request detaches with no user.
	defer func() {
		if recover() != nil {
			v = nil
		}
	}()
	if u, ok := l.user(); ok {
		return u
	}
	return nil
}

// Login makes u the user of r's session, for a program that authenticates
// in a handler of its own (a JSON login API, an OAuth callback): it moves
// the session to a new ID, so that an ID planted or seen before the login
// does not carry the new privileges (session fixation), and stores u's
// Name and Roles in it, where SessionUser's filter (or FormLogin's) finds
// them: UserOf returns u on the client's later requests, and on r too if
// such a filter ran before the caller. The session Manager must have
// filtered r.
//
// The session's other values stay, as an anonymous visitor's cart
// follows them into their account, unless the session held another user
// (a shared computer, a second account in one browser): that session is
// ended (Invalidate) and u starts an empty one, so that nothing the other
// user's requests kept reaches u.
//
// Login only writes the session: map SessionUser on the paths where
// handlers and Required look for the user (ExampleSessionUser). Without
// it (or FormLogin) on a later request's path, UserOf finds no user
// there, and Required refuses the request, however the login went.
//
// It fails, with the session's error wrapped, if the session could not
// move (its store failed, or the response already committed, when the
// cookie can no longer change); the user is then not stored.
//
// Call it while the request's dispatch runs, before the response
// commits: once the dispatch returned, the session's cookie can no longer
// change, and Login fails. An asynchronous handler (an OAuth callback
// that waited for the provider's answer) re-dispatches the request
// (async.Context.Redispatch) and logs in there. A User without a Name is
// no login (UserOf would find no user): Login refuses it.
func Login(r *api.Request, u User) error {
	if u.Name == "" {
		return errors.New("auth: login: the user has no name")
	}
	s := session.Of(r)
	if err := s.RenewID(); err != nil {
		return fmt.Errorf("auth: login: %w", err)
	}
	if prev, _ := s.Get(sessionUser); prev != "" && prev != u.Name {
		// Another user's session (a shared computer, a second account
		// in one browser): what their requests kept in it, a cart or a
		// cache of their records, is not the new user's to read. Read
		// after RenewID, which leaves the values the store holds, and
		// only then ended: RenewID is what fails, changing nothing,
		// once the cookie can no longer change.
		if err := s.Invalidate(); err != nil {
			return fmt.Errorf("auth: login: %w", err)
		}
	}
	s.Set(sessionUser, u.Name)
	if len(u.Roles) == 0 {
		s.Delete(sessionRoles)
		return nil
	}
	roles, err := json.Marshal(u.Roles)
	if err != nil {
		return fmt.Errorf("auth: login: %w", err)
	}
	s.Set(sessionRoles, string(roles))
	return nil
}

// Logout ends r's session, the user's and everything else in it, and
// tells the client to drop the cookie. It returns the session's error,
// wrapped, if the store failed.
//
// Call it while the request's dispatch runs, before the response
// commits, as Login.
func Logout(r *api.Request) error {
	if err := session.Of(r).Invalidate(); err != nil {
		return fmt.Errorf("auth: logout: %w", err)
	}
	return nil
}

// sessionUserOf reads the user Login stored in s. Roles that do not
// decode mean no user at all: a session value someone else wrote is not
// trusted to grant anything.
func sessionUserOf(s *session.Session) (User, bool) {
	name, ok := s.Get(sessionUser)
	if !ok || name == "" {
		return User{}, false
	}
	u := User{Name: name}
	if roles, ok := s.Get(sessionRoles); ok {
		r, err := jsonstrings.Decode(roles)
		if err != nil {
			return User{}, false
		}
		u.Roles = r
	}
	return u, true
}
