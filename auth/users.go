package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
)

// Users returns a Check for BasicConfig or FormConfig that accepts the
// user names and passwords of table (name to password), and returns
// User{Name: name}. The table is copied; of the passwords, only SHA-256
// digests are kept (the names too, to compare; and each name as given, to
// return it).
//
// Its time does not depend on whether a name exists, on which entry
// matched, nor on the length or content of what was given: both strings
// are hashed to fixed-length digests, and every entry is compared with
// subtle.ConstantTimeCompare. That is one comparison per entry per
// request, meant for the handful of accounts a static configuration holds;
// passwords stored at rest belong in a slow password hash (bcrypt, argon2)
// behind a Check of the program's own.
//
// Any goroutine may call the returned function.
func Users(table map[string]string) func(ctx context.Context, user, password string) (User, bool) {
	type entry struct {
		name    string
		nameSum [sha256.Size]byte
		passSum [sha256.Size]byte
	}
	entries := make([]entry, 0, len(table))
	for name, pass := range table {
		entries = append(entries, entry{name: name, nameSum: sha256.Sum256([]byte(name)), passSum: sha256.Sum256([]byte(pass))})
	}
	return func(_ context.Context, user, password string) (User, bool) {
		nameSum := sha256.Sum256([]byte(user))
		passSum := sha256.Sum256([]byte(password))
		found := -1
		for i := range entries {
			e := &entries[i]
			match := subtle.ConstantTimeCompare(nameSum[:], e.nameSum[:]) & subtle.ConstantTimeCompare(passSum[:], e.passSum[:])
			found = subtle.ConstantTimeSelect(match, i, found)
		}
		if found < 0 {
			return User{}, false
		}
		return User{Name: entries[found].name}, true
	}
}
