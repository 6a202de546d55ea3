package jsonstrings

import (
	"encoding/json"
	"slices"
	"testing"
)

// cases are the values of TestDecode, and FuzzDecode's seeds (auth's
// roles, as Login stores them, and what a session might hold otherwise).
// fast says parse reads the value itself, without json.Unmarshal; err
// that the value is refused.
var cases = []struct {
	in   string
	want []string
	fast bool
	err  bool
}{
	// As json.Marshal writes them.
	{`[]`, []string{}, true, false},
	{`["admin"]`, []string{"admin"}, true, false},
	{`["admin","ops"]`, []string{"admin", "ops"}, true, false},
	{`[""]`, []string{""}, true, false},
	{`["a,b","c"]`, []string{"a,b", "c"}, true, false},
	{`["é","日本"]`, []string{"é", "日本"}, true, false},
	{"[\"\x7f\"]", []string{"\x7f"}, true, false},
	{`["\u003cb\u003e \u0026"]`, []string{"<b> &"}, true, false},
	{`["a\"b","c\\d"]`, []string{`a"b`, `c\d`}, true, false},
	{`["\b\f\n\r\t"]`, []string{"\b\f\n\r\t"}, true, false},
	{`["\u0000","\u2028\u2029","\ufffd"]`, []string{"\x00", "\u2028\u2029", "\ufffd"}, true, false},
	{`["\u00E9\u00e9"]`, []string{"éé"}, true, false},
	{`["a\\"]`, []string{`a\`}, true, false},
	// Valid JSON that json.Unmarshal reads.
	{`null`, nil, false, false},
	{` ["admin"]`, []string{"admin"}, false, false},
	{`[ "admin" , "ops" ]`, []string{"admin", "ops"}, false, false},
	{"[\n]", []string{}, false, false},
	{`["a\/b"]`, []string{"a/b"}, false, false},
	{`["\ud83d\ude00"]`, []string{"😀"}, false, false},
	{`["\ud83d"]`, []string{"\ufffd"}, false, false},
	{`["\ude00x"]`, []string{"\ufffdx"}, false, false},
	{"[\"a\xffb\"]", []string{"a\ufffdb"}, false, false},
	{"[\"\xe6\x97\"]", []string{"\ufffd\ufffd"}, false, false},
	{`[null]`, []string{""}, false, false}, // null leaves a string as it was
	// Malformed, or not an array of strings: no user.
	{``, nil, false, true},
	{`[`, nil, false, true},
	{`]`, nil, false, true},
	{`[,]`, nil, false, true},
	{`["a",]`, nil, false, true},
	{`[,"a"]`, nil, false, true},
	{`["a""b"]`, nil, false, true},
	{`["a"]x`, nil, false, true},
	{`["a"]]`, nil, false, true},
	{`[["a"]]`, nil, false, true},
	{`["a`, nil, false, true},
	{`["a]`, nil, false, true},
	{`["a\"]`, nil, false, true},
	{`["a\`, nil, false, true},
	{`[1]`, nil, false, true},
	{`{"a":"b"}`, nil, false, true},
	{`"admin"`, nil, false, true},
	{`['admin']`, nil, false, true},
	{"[\"a\tb\"]", nil, false, true},
	{"[\"a\nb\"]", nil, false, true},
	{`["\a"]`, nil, false, true},
	{`["\v"]`, nil, false, true},
	{`["\'"]`, nil, false, true},
	{`["\x41"]`, nil, false, true},
	{`["\101"]`, nil, false, true},
	{`["\U0001F600"]`, nil, false, true},
	{`["\u00"]`, nil, false, true},
	{`["\u00g0"]`, nil, false, true},
	{`["\u"]`, nil, false, true},
}

func TestDecode(t *testing.T) {
	for _, tc := range cases {
		got, err := Decode(tc.in)
		if (err != nil) != tc.err || !same(got, tc.want) {
			t.Errorf("Decode(%q) = %q (nil: %v), %v; want %q (nil: %v), error %v", tc.in, got, got == nil, err, tc.want, tc.want == nil, tc.err)
		}
		if _, fast := parse(tc.in); fast != tc.fast {
			t.Errorf("parse(%q) reads it: %v, want %v", tc.in, fast, tc.fast)
		}
	}
}

// FuzzDecode checks that Decode reads any value as json.Unmarshal does
// into a []string: the same strings (nil and empty told apart), or both
// refuse it; and that parse, the fast path, reads whatever json.Marshal
// writes for a []string, whatever the string.
func FuzzDecode(f *testing.F) {
	for _, tc := range cases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Decode(in)
		var want []string
		wantErr := json.Unmarshal([]byte(in), &want)
		if (err != nil) != (wantErr != nil) || err == nil && !same(got, want) {
			t.Fatalf("Decode(%q) = %q, %v; json.Unmarshal: %q, %v", in, got, err, want, wantErr)
		}
		if fast, ok := parse(in); ok && (wantErr != nil || !same(fast, want)) {
			t.Fatalf("parse(%q) = %q; json.Unmarshal: %q, %v", in, fast, want, wantErr)
		}

		roles := []string{in, "x"}
		b, err := json.Marshal(roles)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if fast, ok := parse(string(b)); !ok || !same(fast, want) {
			t.Fatalf("parse(%s), as json.Marshal wrote it, = %q, %v; json.Unmarshal: %q", b, fast, ok, want)
		}
	})
}

// same reports whether a and b hold the same strings and are both nil
// or both not.
func same(a, b []string) bool {
	return (a == nil) == (b == nil) && slices.Equal(a, b)
}
