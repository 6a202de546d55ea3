package session

import "crypto/rand"

// idLen is the length of rand.Text's output: 26 characters of the base32
// alphabet, 130 bits.
const idLen = 26

// newID returns a fresh session ID. crypto/rand cannot fail (it panics
// rather than return weak bytes), so neither can this. 130 random bits
// make an ID unguessable and, in practice, never reused.
func newID() string { return rand.Text() }

// validID reports whether id has the form newID produces. A cookie value
// that does not is not looked up at all, so hostile values never reach a
// store (NATS key-value keys, for one, allow only some characters).
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}
