package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
)

// demoPassword is everyone's password: the board is a demonstration, and
// any name may log in with it.
const demoPassword = "board"

// maxNameBytes bounds a user name, which every post repeats.
const maxNameBytes = 64

// checkLogin is FormLogin's Check. The password is compared by digest, in
// constant time, so that neither its length nor its content leaks through
// the time a refusal takes; a real board would look the name up and
// verify a slow password hash (bcrypt, argon2) instead.
func checkLogin(_ context.Context, user, password string) (auth.User, bool) {
	got, want := sha256.Sum256([]byte(password)), sha256.Sum256([]byte(demoPassword))
	ok := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	return auth.User{Name: user}, ok && validName(user)
}

// validName accepts the names a post can show as they are: printable,
// valid UTF-8, not too long, and without spaces at either end (a page
// shows " ann" as "ann", and a name of spaces as nothing).
func validName(name string) bool {
	if name == "" || len(name) > maxNameBytes || !utf8.ValidString(name) || strings.TrimSpace(name) != name {
		return false
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// answeredByFormLogin stands for POST /login and POST /logout, which
// FormLogin's filter answers before any handler: mapping the paths gives
// them their method, so that the container answers the others 405 with
// Allow, as it does for the rest of the site.
func answeredByFormLogin(w api.Response, r *api.Request) error {
	return errors.New("board: FormLogin's filter did not answer " + r.Method() + " " + r.Path())
}

// userOf returns the name of the logged-in user. Required guards every
// handler that calls it, so a request without one is a mistake in the
// filters, answered as an anonymous one would be.
func userOf(r *api.Request) (string, bool) {
	u, ok := auth.UserOf(r)
	return u.Name, ok
}
