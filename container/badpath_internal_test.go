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
