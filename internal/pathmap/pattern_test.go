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
		{"/a/", Exact},
		{"/a.b", Exact},
		{"/a/b/*", Prefix},
		{"*.jsp", Extension},
		{"*.j_s-p", Extension},
		{"/users/{id}", Exact},
		{"/users/{id}/", Exact},
		{"/u/{id}/*", Prefix},
		{"/{a}/{b_2}", Exact},
		{"/{_x}/*", Prefix},
		{"/{été}", Exact},
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
		"/a//b", "//", "//*", "/a//*", "/a/b//",
		"/{}", "/{id}/{id}", "/{id}/x/{id}/*", "/a{id}", "/{id}x", "/{1a}",
		"/{a-b}", "/{a b}", "/{", "/}", "/{a}}", "/{{a}", "/a/{b", "\xff",
		"/{\xff}",
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

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Exact: "exact", Prefix: "prefix", Extension: "extension", Default: "default", 0: "Kind(0)", 9: "Kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(k), got, want)
		}
	}
}
