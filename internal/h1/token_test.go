package h1_test

import (
	"strings"
	"testing"

	"github.com/wharf-go/wharf/internal/h1"
)

func TestCutToken(t *testing.T) {
	for _, tt := range []struct{ in, token, rest string }{
		{"", "", ""},
		{"permessage-deflate; x", "permessage-deflate", "; x"},
		{"for=1", "for", "=1"},
		{"!#$%&'*+-.^_`|~09azAZ rest", "!#$%&'*+-.^_`|~09azAZ", " rest"},
		{`"quoted"`, "", `"quoted"`},
		{"a,b", "a", ",b"},
		{"tok\x80", "tok", "\x80"},
	} {
		if token, rest := h1.CutToken(tt.in); token != tt.token || rest != tt.rest {
			t.Errorf("CutToken(%q) = %q, %q; want %q, %q", tt.in, token, rest, tt.token, tt.rest)
		}
	}
}

// cutQuotedCases are quoted strings as RFC 9110 §5.6.4 writes them, and
// what CutQuoted makes of them: ok false leaves rest as the input.
var cutQuotedCases = []struct {
	in, value, rest string
	ok              bool
}{
	{`""`, "", "", true},
	{`"abc"; x`, "abc", "; x", true},
	{`"a""b"`, "a", `"b"`, true},
	{"\"\t !#[]~\x80\xff\"", "\t !#[]~\x80\xff", "", true},
	{`"a\"b\\c"`, `a"b\c`, "", true},
	{`"1\5"`, "15", "", true},
	{"\"\\\t\\ \\~\\\x80\"", "\t ~\x80", "", true},
	{`"\\"rest`, `\`, "rest", true},
	{"", "", "", false},
	{"abc", "", "abc", false},
	{` "a"`, "", ` "a"`, false},
	{`"abc`, "", `"abc`, false},
	{`"abc\"`, "", `"abc\"`, false},
	{`"\`, "", `"\`, false},
	{"\"a\x00\"", "", "\"a\x00\"", false},
	{"\"a\n\"", "", "\"a\n\"", false},
	{"\"a\x1f\"", "", "\"a\x1f\"", false},
	{"\"a\x7f\"", "", "\"a\x7f\"", false},
	// A quoted-pair escapes no control character but HTAB.
	{"\"\\\x00\"", "", "\"\\\x00\"", false},
	{"\"\\\x01\"", "", "\"\\\x01\"", false},
	{"\"\\\r\"", "", "\"\\\r\"", false},
	{"\"\\\x7f\"", "", "\"\\\x7f\"", false},
}

func TestCutQuoted(t *testing.T) {
	for _, tt := range cutQuotedCases {
		if value, rest, ok := h1.CutQuoted(tt.in); value != tt.value || rest != tt.rest || ok != tt.ok {
			t.Errorf("CutQuoted(%q) = %q, %q, %v; want %q, %q, %v", tt.in, value, rest, ok, tt.value, tt.rest, tt.ok)
		}
	}
}

// A quoted string without a quoted-pair is a substring of its input: the
// fields that carry one (Forwarded's addresses) cost no garbage.
func TestCutQuotedAllocs(t *testing.T) {
	for _, tt := range []struct {
		in     string
		allocs float64
	}{
		{`"[2001:db8:cafe::17]:4711", for=x`, 0},
		{`"\"`, 0},
		{`"a\"b"`, 1},
	} {
		if n := testing.AllocsPerRun(100, func() { h1.CutQuoted(tt.in) }); n != tt.allocs {
			t.Errorf("CutQuoted(%q): %v allocations, want %v", tt.in, n, tt.allocs)
		}
	}
}

// FuzzCutQuoted holds CutQuoted to a reading of RFC 9110 §5.6.4 written
// apart, byte class by byte class as the grammar lists them; and what it
// accepts, quoted again, reads back the same.
func FuzzCutQuoted(f *testing.F) {
	for _, tt := range cutQuotedCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		value, rest, ok := h1.CutQuoted(s)
		wantValue, wantRest, wantOK := cutQuotedABNF(s)
		if value != wantValue || rest != wantRest || ok != wantOK {
			t.Fatalf("CutQuoted(%q) = %q, %q, %v; the grammar reads %q, %q, %v", s, value, rest, ok, wantValue, wantRest, wantOK)
		}
		if !ok {
			return
		}
		q := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value) + `"`
		if v, r, ok := h1.CutQuoted(q + rest); v != value || r != rest || !ok {
			t.Errorf("CutQuoted(%q), %q quoted again: %q, %q, %v", s, value, v, r, ok)
		}
	})
}

// cutQuotedABNF is CutQuoted as the grammar reads:
//
//	quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
//	qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
//	quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )
//	obs-text      = %x80-FF
func cutQuotedABNF(s string) (value, rest string, ok bool) {
	obsText := func(c byte) bool { return c >= 0x80 }
	qdtext := func(c byte) bool {
		return c == '\t' || c == ' ' || c == 0x21 || 0x23 <= c && c <= 0x5b || 0x5d <= c && c <= 0x7e || obsText(c)
	}
	pairable := func(c byte) bool { return c == '\t' || c == ' ' || 0x21 <= c && c <= 0x7e || obsText(c) }
	if !strings.HasPrefix(s, `"`) {
		return "", s, false
	}
	var b []byte
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '"':
			return string(b), s[i+1:], true
		case qdtext(s[i]):
			b = append(b, s[i])
		case s[i] == '\\' && i+1 < len(s) && pairable(s[i+1]):
			i++
			b = append(b, s[i])
		default:
			return "", s, false
		}
	}
	return "", s, false
}
