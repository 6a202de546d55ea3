package container_test

import (
	"testing"

	"github.com/wharf-go/wharf/container"
)

// TestContextPathMustBeClean: request paths are cleaned before a context
// is picked, so a context path with an empty or dot segment would never
// be served; it is refused as one ending in '/' is, not kept silently.
// So is one with a percent-escape: paths are decoded before too.
func TestContextPathMustBeClean(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"", true},
		{"/", true},
		{"/shop", true},
		{"/a/b", true},
		{"/.well-known", true},
		{"/a..b", true},
		{"/shop/", false},
		{"shop", false},
		{"/a//b", false},
		{"//a", false},
		{"/a/./b", false},
		{"/a/../b", false},
		{"/.", false},
		{"/..", false},
		{"/a/..", false},
		// Request paths are decoded before a context is picked: an
		// escape would match only a request with the '%' escaped.
		{"/caf%C3%A9", false},
		{"/a%2Fb", false},
		{"/a%20b", false},
		{"/café", true},
		{"/100%", true},
		{"/100%zz", true},
		{"/a%2", true},
	} {
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			container.New().Context(tc.path)
			return false
		}()
		if panicked == tc.ok {
			t.Errorf("Context(%q) panicked %v, want a panic %v", tc.path, panicked, !tc.ok)
		}
	}
}
