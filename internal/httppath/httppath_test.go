package httppath

import (
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

// FuzzClean: the result is absolute, clean (cleaning it again changes
// nothing), has no dot segment or empty segment, and keeps a trailing
// slash.
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
	})
}
