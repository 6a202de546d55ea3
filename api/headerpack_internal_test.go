package api

import (
	"net/textproto"
	"testing"
)

// tokenByte's bit sets hold exactly the bytes textproto leaves a key
// canonicalizable with: a key of one byte is canonicalized (changed, for a
// lower-case letter) by textproto if and only if the byte is a token byte.
func TestTokenByte(t *testing.T) {
	const tchar = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for c := range 256 {
		want := false
		for i := range len(tchar) {
			want = want || tchar[i] == byte(c)
		}
		if got := tokenByte(byte(c)); got != want {
			t.Errorf("tokenByte(%q) = %v, want %v", byte(c), got, want)
		}
		// textproto agrees: a token key "x" plus this byte is made
		// canonical; any other byte leaves it as it is.
		k := "x" + string(rune(c))
		if c >= 128 {
			k = "x" + string([]byte{byte(c)})
		}
		b := []byte(k)
		canonicalizeKey(b)
		if string(b) != textproto.CanonicalMIMEHeaderKey(k) {
			t.Errorf("canonicalizeKey(%q) = %q, textproto %q", k, b, textproto.CanonicalMIMEHeaderKey(k))
		}
	}
}
