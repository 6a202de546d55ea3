package session

import (
	"strings"
	"testing"
)

// IDs are rand.Text: 26 base32 characters (130 bits), all distinct, and
// using the whole alphabet (a broken generator repeating or using a few
// characters fails).
func TestNewID(t *testing.T) {
	const n = 2000
	seen := make(map[string]bool, n)
	chars := map[rune]bool{}
	for range n {
		id := newID()
		if !validID(id) {
			t.Fatalf("newID() = %q: not of the valid form", id)
		}
		if seen[id] {
			t.Fatalf("newID() repeated %q", id)
		}
		seen[id] = true
		for _, c := range id {
			chars[c] = true
		}
	}
	if len(chars) != 32 {
		t.Fatalf("%d IDs used %d of the 32 base32 characters", n, len(chars))
	}
}

func TestValidID(t *testing.T) {
	good := newID()
	tests := []struct {
		id   string
		want bool
	}{
		{good, true},
		{strings.Repeat("A", 26), true},
		{"", false},
		{good[:25], false},
		{good + "A", false},
		{strings.Repeat("a", 26), false},            // lower case is not rand.Text's
		{strings.Repeat("A", 25) + "1", false},      // 1 is not in base32
		{strings.Repeat("A", 25) + ".", false},      // a NATS token separator
		{strings.Repeat("A", 24) + "\u00e9", false}, // two bytes, 26 in all
		{"../../../../etc/passwdAAAAA"[:26], false}, // path characters
		{strings.Repeat("A", 25) + "=", false},      // padding
		{strings.Repeat("A", 25) + "*", false},      // a NATS wildcard
		{strings.Repeat("Z", 13) + strings.Repeat("7", 13), true},
	}
	for _, tc := range tests {
		if got := validID(tc.id); got != tc.want {
			t.Errorf("validID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}
