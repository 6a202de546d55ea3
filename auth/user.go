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

// UserOf returns the user a filter attached to r, and false if none did.
// A user that Login (or FormLogin's login) stored in the session is
// attached by SessionUser's filter (or FormLogin's), so it is found only
// on paths one of them covers.
//
// Any goroutine may call it, at any time. Behind SessionUser or FormLogin
// it reads the session, and so must be called where package session
// allows (the request's dispatch or its tasks); a request detached during
// its dispatch (api.Request.Detach) carries the user as it was then, and
// may be asked anywhere.
func UserOf(r *api.Request) (User, bool) {
	switch v := r.Attribute(userKey{}).(type) {
	case User:
		return v, true
	case *sessionLookup:
		return v.user()
	}
	return User{}, false
}
