package container_test

import (
	"strings"
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
		// A context path is literal: "{tenant}" would match only a
		// request for "/%7Btenant%7D", not bind a parameter, so every
		// request meant for it went to the root context.
		{"/{tenant}", false},
		{"/api/{version}", false},
		{"/a{b}", false},
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

// TestContextPathParameterMessage: a context path with a {name} segment
// is refused with what to write instead.
func TestContextPathParameterMessage(t *testing.T) {
	msg := func() (msg string) {
		defer func() { msg, _ = recover().(string) }()
		container.New().Context("/{tenant}")
		return ""
	}()
	for _, want := range []string{`"/{tenant}"`, `"/{tenant}/*"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("panic %q does not mention %s", msg, want)
		}
	}
}
