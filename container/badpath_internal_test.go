package container

import "testing"

// badPath runs for every request: it allocates nothing, whether it lets
// the target through or refuses it.
func TestBadPathAllocs(t *testing.T) {
	for _, target := range []string{"/api/v1/items/42", "/api/caf%C3%A9?q=%00", "/a%0Ab", "/a%00b", "/a%2Fb", "http://x/a%20b"} {
		if n := testing.AllocsPerRun(100, func() { badPath(target, false) }); n != 0 {
			t.Errorf("badPath(%q) allocates %v times", target, n)
		}
	}
}

// badPath reads an absolute-form target's path where net/url does: after
// the scheme and the authority, or after the scheme alone when there is
// no authority, as net/http's server takes "http:/a" and "foo:/a".
func TestBadPathAbsoluteForm(t *testing.T) {
	for _, tc := range []struct {
		target  string
		refused bool
	}{
		{"http://x/a%2Fb", true},
		{"HTTPS://x:443/a%00", true},
		{"http://x/a%20b", false},
		{"http://x", false},
		{"http://x?/a%00", false}, // the query is the handler's
		{"http://[::1]:80/a%5Cb", true},
		{"http:/a%00", true},
		{"http:/a%2Fb", true},
		{"foo:/x/%2e%2e/admin", true},
		{"foo:a%00", true},
		{"http:/a%20b", false},
	} {
		if got := badPath(tc.target, false) != nil; got != tc.refused {
			t.Errorf("badPath(%q) refused %v, want %v", tc.target, got, tc.refused)
		}
	}
	if n := testing.AllocsPerRun(100, func() { badPath("http:/a%00", false) }); n != 0 {
		t.Errorf("badPath allocates %v times", n)
	}
}
