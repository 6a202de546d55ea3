package pathmap

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	good := []struct {
		pattern string
		kind    Kind
	}{
		{"", Exact},
		{"/", Default},
		{"/*", Prefix},
		{"/a", Exact},
		{"/a.b", Exact},
		{"/a/b/*", Prefix},
		{"*.jsp", Extension},
		{"*.j_s-p", Extension},
		{"/users/{id}", Exact},
		{"/u/{id}/*", Prefix},
		{"/{a}/{b_2}", Exact},
		{"/{_x}/*", Prefix},
		{"/{été}", Exact},
		{"/100%", Exact},
		{"/a%zz/*", Prefix},
		{"/a%2", Exact},
		{"/a b", Exact},
	}
	for _, tc := range good {
		k, err := Validate(tc.pattern)
		if err != nil || k != tc.kind {
			t.Errorf("Validate(%q) = %v, %v; want %v, nil", tc.pattern, k, err, tc.kind)
		}
	}

	bad := []string{
		"a", "a/*", "*", "**", "*.", "*.*", "*.a.b", "*.a/b", "*.{x}", "*jsp",
		"/a*", "/*a", "/a/*/b", "/*/*", "/*.jsp", "/a/**",
		"/a//b", "//", "//*", "/a//*", "/a/b//", "/a/", "/users/{id}/", "/a/b/",
		"/{}", "/{id}/{id}", "/{id}/x/{id}/*", "/a{id}", "/{id}x", "/{1a}",
		"/{a-b}", "/{a b}", "/{", "/}", "/{a}}", "/{{a}", "/a/{b", "\xff",
		"/{\xff}",
		"/a%20b", "/%2e%2e", "/a%2Fb/*", "*.%6Asp", "/{id}/%41", "/100%/%41",
	}
	for _, p := range bad {
		k, err := Validate(p)
		if !errors.Is(err, ErrInvalidPattern) {
			t.Errorf("Validate(%q) = %v, %v; want ErrInvalidPattern", p, k, err)
			continue
		}
		if k != 0 {
			t.Errorf("Validate(%q) kind = %v, want 0", p, k)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "pathmap: ") || !strings.Contains(msg, strconv.Quote(p)) {
			t.Errorf("Validate(%q) error %q lacks prefix or pattern", p, msg)
		}
		var m Map[int]
		if err := m.Add(p, 1); !errors.Is(err, ErrInvalidPattern) || m.Len() != 0 {
			t.Errorf("Add(%q) = %v, Len %d; want ErrInvalidPattern, 0", p, err, m.Len())
		}
	}
}

// TestValidateEscape: a pattern is matched against the decoded path, so a
// "%XX" escape in it could only match a path that was encoded twice; it
// is refused, naming the escape and the pattern to write instead.
func TestValidateEscape(t *testing.T) {
	for _, tc := range []struct{ pattern, escape, hint string }{
		{"/a%20b", "%20", "/a b"},
		{"/caf%C3%A9/*", "%C3", "/café/*"},
		{"/100%/%41", "%41", "/100%/A"},
		{"*.%6asp", "%6a", "*.jsp"},
	} {
		_, err := Validate(tc.pattern)
		if !errors.Is(err, ErrInvalidPattern) || !strings.Contains(err.Error(), strconv.Quote(tc.escape)) || !strings.Contains(err.Error(), strconv.Quote(tc.hint)) {
			t.Errorf("Validate(%q) = %v; want ErrInvalidPattern naming %q and %q", tc.pattern, err, tc.escape, tc.hint)
		}
	}
}

func TestAddDuplicate(t *testing.T) {
	var m Map[int]
	for i, p := range []string{"", "/", "/*", "/a", "/a/*", "*.jsp", "/{x}", "/{x}/*"} {
		if err := m.Add(p, i); err != nil {
			t.Fatalf("Add(%q): %v", p, err)
		}
		err := m.Add(p, 100+i)
		if !errors.Is(err, ErrDuplicatePattern) || !strings.Contains(err.Error(), strconv.Quote(p)) {
			t.Errorf("second Add(%q) = %v, want ErrDuplicatePattern naming it", p, err)
		}
		if m.Len() != i+1 {
			t.Errorf("Len = %d after duplicate %q, want %d", m.Len(), p, i+1)
		}
	}
	// The first value stays.
	if r, ok := m.Match("/a"); !ok || r.Value != 3 {
		t.Errorf("Match(/a) = %+v, %v; want value 3", r, ok)
	}
}

// TestAddSameShape: patterns that match exactly the same paths under other
// parameter names are refused, naming the one added first; Same finds it.
func TestAddSameShape(t *testing.T) {
	for _, tc := range []struct{ first, second string }{
		{"/a/{id}", "/a/{name}"},
		{"/{x}/*", "/{y}/*"},
		{"/u/{a}/p/{b}", "/u/{c}/p/{d}"},
		{"/u/{a}/p/*", "/u/{b}/p/*"},
	} {
		var m Map[int]
		if err := m.Add(tc.first, 1); err != nil {
			t.Fatalf("Add(%q): %v", tc.first, err)
		}
		err := m.Add(tc.second, 2)
		if !errors.Is(err, ErrDuplicatePattern) || !strings.Contains(err.Error(), strconv.Quote(tc.first)) || !strings.Contains(err.Error(), strconv.Quote(tc.second)) {
			t.Errorf("Add(%q) after %q = %v, want ErrDuplicatePattern naming both", tc.second, tc.first, err)
		}
		if got, v, ok := m.Same(tc.second); !ok || got != tc.first || v != 1 {
			t.Errorf("Same(%q) = %q, %d, %v; want %q, 1, true", tc.second, got, v, ok, tc.first)
		}
	}
	// Same shapes only: these differ and both register.
	var m Map[int]
	for i, p := range []string{"/a/{id}", "/a/{id}/*", "/{a}/b", "/a/b", "/a/*", "/b/{id}"} {
		if err := m.Add(p, i); err != nil {
			t.Errorf("Add(%q): %v", p, err)
		}
	}
	if _, _, ok := m.Same("/c/{x}"); ok {
		t.Error("Same(/c/{x}) found a pattern")
	}
	if _, _, ok := m.Same("/bad/"); ok {
		t.Error("Same of an invalid pattern found one")
	}
}

// TestTrailingSlashHint: a pattern ending in '/' is refused with the two
// patterns the user may have meant.
func TestTrailingSlashHint(t *testing.T) {
	_, err := Validate("/api/")
	if err == nil || !strings.Contains(err.Error(), `"/api/*"`) || !strings.Contains(err.Error(), `"/api"`) {
		t.Errorf("Validate(/api/) = %v, want a hint naming \"/api/*\" and \"/api\"", err)
	}
}

// TestRestWildcardHint: net/http's {name...} is refused with the prefix
// pattern that does its work.
func TestRestWildcardHint(t *testing.T) {
	for pattern, want := range map[string]string{
		"/files/{path...}":        `"/files/*"`,
		"/u/{id}/files/{rest...}": `"/u/{id}/files/*"`,
		"/{all...}":               `"/*"`,
	} {
		_, err := Validate(pattern)
		if !errors.Is(err, ErrInvalidPattern) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "PathInfo") {
			t.Errorf("Validate(%q) = %v, want a hint naming %s and PathInfo", pattern, err, want)
		}
	}
}

// TestEndAnchorHint: net/http's {$} is refused with the patterns that do
// its work. "/api/{$}" matches the one path "/api/", which "/api" does
// not match: the hint names "/api/*" for it, where it named "/api" alone
// as the pattern that does the anchor's work, and a program that
// followed it answered "/api/" 404.
func TestEndAnchorHint(t *testing.T) {
	for pattern, wants := range map[string][]string{
		"/{$}":        {`map "" (the context root`},
		"/api/{$}":    {`"/api/"`, `map "/api/*"`, `PathInfo is "/"`, `"/api" matches "/api" alone`},
		"/a/{id}/{$}": {`"/a/{id}/"`, `map "/a/{id}/*"`, `PathInfo is "/"`},
	} {
		_, err := Validate(pattern)
		if !errors.Is(err, ErrInvalidPattern) || !strings.Contains(err.Error(), "end anchor") {
			t.Errorf("Validate(%q) = %v, want the end anchor refused", pattern, err)
			continue
		}
		for _, want := range wants {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Validate(%q) = %v, want a hint with %s", pattern, err, want)
			}
		}
	}
	// The pattern the hint names matches the path net/http's did, with
	// the PathInfo it says.
	var m Map[string]
	if err := m.Add("/api/*", "api"); err != nil {
		t.Fatal(err)
	}
	if got, ok := m.Match("/api/"); !ok || got.PathInfo != "/" {
		t.Errorf(`Match("/api/") = %+v, %v; want "/api/*" with PathInfo "/"`, got, ok)
	}
}

// TestHostHint: net/http's host patterns are refused with the path
// pattern to map instead; a path without its leading slash is not taken
// for a host.
func TestHostHint(t *testing.T) {
	for _, tc := range []struct {
		pattern, want string
	}{
		{"example.com/x", `("example.com") is net/http's`},
		{"example.com/items/{id}", `map "/items/{id}"`},
		{"localhost:8080/", `map "/"`},
		{"localhost/a/*", `map "/a/*"`},
		{"api/x", "must start with '/'"},
	} {
		_, err := Validate(tc.pattern)
		if !errors.Is(err, ErrInvalidPattern) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%q) = %v, want an error with %s", tc.pattern, err, tc.want)
		}
		if tc.pattern == "api/x" && strings.Contains(err.Error(), "host") {
			t.Errorf("Validate(%q) = %v: a path without its slash is no host", tc.pattern, err)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Exact: "exact", Prefix: "prefix", Extension: "extension", Default: "default", 0: "Kind(0)", 9: "Kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(k), got, want)
		}
	}
}

// TestDotSegments: request paths are cleaned before they are mapped, so a
// pattern with a "." or ".." segment can never match; like "//", it is
// refused rather than kept as a handler or filter that silently serves
// or guards nothing. Segments that merely contain dots stay valid.
func TestDotSegments(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		ok      bool
	}{
		{"/.", false},
		{"/..", false},
		{"/./*", false},
		{"/../*", false},
		{"/a/./b", false},
		{"/a/../b", false},
		{"/admin/./*", false},
		{"/a/..", false},
		{"/{id}/../*", false},
		{"/.well-known/*", true},
		{"/a/..b", true},
		{"/a/b.", true},
		{"/.../x", true},
		{"/a/.x/{id}", true},
	} {
		_, err := Validate(tc.pattern)
		if got := err == nil; got != tc.ok {
			t.Errorf("Validate(%q) = %v; want valid %v", tc.pattern, err, tc.ok)
		}
		if !tc.ok && !errors.Is(err, ErrInvalidPattern) {
			t.Errorf("Validate(%q) = %v; want ErrInvalidPattern", tc.pattern, err)
		}
	}
}
