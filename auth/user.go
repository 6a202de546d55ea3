package auth

import (
	"slices"

	"github.com/wharf-go/wharf/api"
)

// User is who a request was authenticated as. It is a plain value rather
// than an interface so that every filter and handler agrees on what a user
// is without conversions, and so that it can be stored in a session as two
// strings; a program with richer identities keys its own records by Name.
type User struct {
	// Name identifies the user: a login name, a token's subject.
	Name string
	// Roles are the groups or permissions the user holds, as Required
	// checks them. Nil means none. Do not modify the Roles of a User a
	// Request returned: other goroutines may read them.
	Roles []string
}

// HasRole reports whether u holds role.
//
// Any goroutine may call it.
func (u User) HasRole(role string) bool { return slices.Contains(u.Roles, role) }

// userKey is the attribute key of the User; unexported so that only this
// package can set it.
type userKey struct{}

// WithUser returns a copy of r that carries u (its Roles copied), for the
// rest of the chain: a filter that authenticated r calls next.Next(w,
// WithUser(r, u)). r is unchanged.
//
// Any goroutine may call it.
func WithUser(r *api.Request, u User) *api.Request {
	u.Roles = slices.Clip(slices.Clone(u.Roles))
	return r.WithAttribute(userKey{}, u)
}

// lookupUser is attached instead of a User by a filter whose user costs
// something to look up, so that only requests that ask pay: FormLogin's,
// which reads the session (with session.Peek, so that even a request that
// asks and then suspends is given no session for it).
type lookupUser func() (User, bool)

// DetachAttr makes the lookup for a detached request (api.AttrDetacher):
// the user as it stands when the request is detached (during its dispatch,
// where the session may be read), so that the copy, which a WebSocket
// keeps for the connection's life, holds neither the request the lookup
// reads nor its exchange. nil, for no user, hides any user an outer filter
// attached, as the lookup would have.
func (l lookupUser) DetachAttr() (v any) {
	// Without a session Manager in front of FormLogin the lookup panics
	// (session.Of), as UserOf does where a handler asks; Detach, on its
	// way to taking the connection over, is no place for that to surface
	// first, so such a request detaches with no user.
	defer func() {
		if recover() != nil {
			v = nil
		}
	}()
	if u, ok := l(); ok {
		return u
	}
	return nil
}

// UserOf returns the user a filter attached to r, and false if none did.
// A user that FormLogin or Login stored in the session is attached by
// FormLogin's filter, so it is found only on paths that filter covers.
//
// Any goroutine may call it, at any time. Behind FormLogin it reads the
// session, and so must be called where package session allows (the
// request's dispatch or its tasks); a request detached during its dispatch
// (api.Request.Detach) carries the user as it was then, and may be asked
// anywhere.
func UserOf(r *api.Request) (User, bool) {
	switch v := r.Attribute(userKey{}).(type) {
	case User:
		return v, true
	case lookupUser:
		return v()
	}
	return User{}, false
}
