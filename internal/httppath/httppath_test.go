package httppath

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var cleanCases = []struct{ in, want string }{
	{"", "/"},
	{"/", "/"},
	{"/a/b", "/a/b"},
	{"/a/b/", "/a/b/"},
	{"/a//b", "/a/b"},
	{"/a/./b", "/a/b"},
	{"/a/../b", "/b"},
	{"/../../a", "/a"},
	{"/a/b/..", "/a"},
	{"/a/b/../", "/a/"},
	{"/a/.", "/a"},
	{"/a/./", "/a/"},
	{"//", "/"},
	{"/.", "/"},
	{"/..", "/"},
	{"/a/.hidden", "/a/.hidden"},
	{"/a/..b", "/a/..b"},
	{"*", "*"},
	{"a/../b", "a/../b"},
}

func TestClean(t *testing.T) {
	for _, tc := range cleanCases {
		if got := Clean(tc.in); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCleanAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { Clean("/api/v1/items/42") }); n != 0 {
		t.Errorf("Clean of a clean path allocates %v times", n)
	}
}

// refClean resolves p, which starts with '/', segment by segment, apart
// from path.Clean: an empty or "." segment goes, ".." takes the one
// before it (none above the root), and a trailing slash stays unless
// nothing is left but the root. That is the path net/http's ServeMux
// redirects to.
func refClean(p string) string {
	var segs []string
	for _, s := range strings.Split(p[1:], "/") {
		switch s {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, s)
		}
	}
	c := "/" + strings.Join(segs, "/")
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// FuzzClean: the result is absolute, clean (cleaning it again changes
// nothing), has no dot segment or empty segment, keeps a trailing slash,
// and is the path that resolving p segment by segment gives (refClean):
// the checks before it hold as well for a Clean that drops what it
// should resolve.
func FuzzClean(f *testing.F) {
	for _, tc := range cleanCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c := Clean(p)
		if p != "" && p[0] != '/' {
			if c != p {
				t.Fatalf("Clean(%q) = %q; a path not starting with '/' stays as it is", p, c)
			}
			return
		}
		if !strings.HasPrefix(c, "/") {
			t.Fatalf("Clean(%q) = %q, not absolute", p, c)
		}
		if again := Clean(c); again != c {
			t.Fatalf("Clean(%q) = %q, but Clean of that is %q", p, c, again)
		}
		for _, seg := range strings.Split(strings.TrimSuffix(c[1:], "/"), "/") {
			if seg == "." || seg == ".." || (seg == "" && c != "/") {
				t.Fatalf("Clean(%q) = %q has segment %q", p, c, seg)
			}
		}
		if strings.HasSuffix(p, "/") && !strings.HasSuffix(c, "/") {
			t.Fatalf("Clean(%q) = %q lost the trailing slash", p, c)
		}
		if p != "" {
			if want := refClean(p); c != want {
				t.Fatalf("Clean(%q) = %q, want %q", p, c, want)
			}
		}
	})
}

func TestAmbiguous(t *testing.T) {
	for _, tc := range []struct {
		p    string
		want bool
	}{
		{"/a/b", false},
		{"/a%2Fb", true},
		{"/a%2fb", true},
		{"/a%5Cb", true},
		{"/a%5cb", true},
		{"%2F", true},
		{"/%2e", true},
		{"/a/%2E/b", true},
		{"/a/%2e%2e/b", true},
		{"/a/.%2e/", true},
		{"/a/%2E.", true},
		{"/a/../b", false},      // dots sent as dots: no reader differs
		{"/a/./b", false},       // likewise
		{"/a/%2e%2e%2e", false}, // "...", a name
		{"/a/%2eenv", false},
		{"/a/x%2e", false},
		{"/a/..%2e", false},
		{"/a%252Fb", false}, // decodes to "%2F", not to a slash
		{"/a%20b", false},
		{"/caf%C3%A9", false},
		{"/a%2", false},
		{"/a%", false},
		{"/%2g", false},
	} {
		if got := Ambiguous(tc.p); got != tc.want {
			t.Errorf("Ambiguous(%q) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestAmbiguousAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { Ambiguous("/api/v1/items/a%20b") }); n != 0 {
		t.Errorf("Ambiguous allocates %v times", n)
	}
}

// escapedControlCases are paths as sent and whether they have an escaped
// control character, and whether that is an escaped NUL.
var escapedControlCases = []struct {
	p            string
	control, nul bool
}{
	{"/a/b", false, false},
	{"/a%00b", true, true},
	{"/%00", true, true},
	{"%00", true, true},
	{"/a%01b", true, false},
	{"/a%0ab", true, false},
	{"/a%0Ab", true, false},
	{"/a%0db", true, false},
	{"/a%09", true, false},
	{"/a%1fb", true, false},
	{"/a%1Fb", true, false},
	{"/a%7fb", true, false},
	{"/a%7Fb", true, false},
	{"/a%20b", false, false}, // the first byte that is not a control
	{"/a%7eb", false, false}, // '~', before DEL
	{"/a%80b", false, false},
	{"/caf%C3%A9", false, false},
	{"/a%2500", false, false}, // decodes to "%00", not to NUL
	{"/a%250a", false, false},
	{"/a%2F%00", true, true},
	{"/a%", false, false},
	{"/a%0", false, false},
	{"/a%1", false, false},
	{"/a%1g", false, false},
	{"/a%7g", false, false},
	{"/a%%0a", true, false}, // a malformed escape, then one: PathUnescape refuses the whole
	{"/a%20%0a", true, false},
	{"/a%20/%7F", true, false},
}

func TestEscapedControl(t *testing.T) {
	for _, tc := range escapedControlCases {
		if got := EscapedControl(tc.p); got != tc.control {
			t.Errorf("EscapedControl(%q) = %v, want %v", tc.p, got, tc.control)
		}
		if got := EscapedNUL(tc.p); got != tc.nul {
			t.Errorf("EscapedNUL(%q) = %v, want %v", tc.p, got, tc.nul)
		}
	}
}

func TestEscapedControlAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { EscapedControl("/api/v1/items/a%20b%C3%A9") }); n != 0 {
		t.Errorf("EscapedControl allocates %v times", n)
	}
}

// refEscapedControl decodes every well-formed escape of p apart, with
// strconv, and reports whether one is a control character and whether
// one is NUL.
func refEscapedControl(p string) (control, nul bool) {
	for i := 0; i+2 < len(p); i++ {
		if p[i] != '%' {
			continue
		}
		b, err := strconv.ParseUint(p[i+1:i+3], 16, 8)
		if err != nil {
			continue
		}
		if b < 0x20 || b == 0x7f {
			control = true
		}
		if b == 0 {
			nul = true
		}
	}
	return control, nul
}

// FuzzEscapedControl: EscapedControl and EscapedNUL say what decoding
// each escape apart says (refEscapedControl), and a path whose
// PathUnescape succeeds has a control character decoded exactly when
// EscapedControl says so, unless it was sent raw.
func FuzzEscapedControl(f *testing.F) {
	for _, tc := range escapedControlCases {
		f.Add(tc.p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		control, nul := EscapedControl(p), EscapedNUL(p)
		if wc, wn := refEscapedControl(p); control != wc || nul != wn {
			t.Fatalf("EscapedControl, EscapedNUL(%q) = %v, %v; want %v, %v", p, control, nul, wc, wn)
		}
		if strings.ContainsFunc(p, isControl) {
			return
		}
		if d, err := url.PathUnescape(p); err == nil && strings.ContainsFunc(d, isControl) != control {
			t.Fatalf("EscapedControl(%q) = %v, but it decodes to %q", p, control, d)
		}
	})
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// Refused applies the rule in its order: an escaped NUL whatever the
// setting, then, unless ambiguous paths are mapped, an escaped control
// character before an ambiguous escape.
func TestRefused(t *testing.T) {
	tests := []struct {
		p         string
		ambiguous bool
		want      Refusal
	}{
		{"/a/b", false, NotRefused},
		{"/a%20b", false, NotRefused},
		{"/a%00b", false, RefusedNUL},
		{"/a%00b", true, RefusedNUL},
		{"/a%0ab%2Fc", false, RefusedControl},
		{"/a%0ab", true, NotRefused},
		{"/a%7Fb", false, RefusedControl},
		{"/a%2Fb", false, RefusedAmbiguous},
		{"/a%2Fb", true, NotRefused},
		{"/a/%2e%2e/b", false, RefusedAmbiguous},
	}
	for _, tt := range tests {
		if got := Refused(tt.p, tt.ambiguous); got != tt.want {
			t.Errorf("Refused(%q, %v) = %d, want %d", tt.p, tt.ambiguous, got, tt.want)
		}
	}
}
