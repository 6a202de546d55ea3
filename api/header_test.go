package api_test

import (
	"maps"
	"net/http"
	"slices"
	"testing"

	"github.com/wharf-go/wharf/api"
)

// Both representations of a Header (a map, or the fields as received)
// answer every question alike.
func TestHeaderRepresentations(t *testing.T) {
	fields := []api.HeaderField{
		{"Accept", "text/plain"}, {"X-Multi", "a"}, {"Host", "example.com"}, {"X-Multi", "b"},
	}
	views := map[string]api.Header{
		"map":    api.NewHeader(http.Header{"Accept": {"text/plain"}, "X-Multi": {"a", "b"}, "Host": {"example.com"}}),
		"fields": api.NewHeaderFields(slices.Clone(fields)),
	}
	for name, h := range views {
		t.Run(name, func(t *testing.T) {
			tests := []struct {
				key    string
				get    string
				has    bool
				values []string
			}{
				{"Accept", "text/plain", true, []string{"text/plain"}},
				{"accept", "text/plain", true, []string{"text/plain"}},
				{"X-MULTI", "a", true, []string{"a", "b"}},
				{"x-multi", "a", true, []string{"a", "b"}},
				{"Missing", "", false, nil},
				{"", "", false, nil},
			}
			for _, tc := range tests {
				if got := h.Get(tc.key); got != tc.get {
					t.Errorf("Get(%q) = %q, want %q", tc.key, got, tc.get)
				}
				if got := h.Has(tc.key); got != tc.has {
					t.Errorf("Has(%q) = %v, want %v", tc.key, got, tc.has)
				}
				if got := h.Values(tc.key); !slices.Equal(got, tc.values) {
					t.Errorf("Values(%q) = %q, want %q", tc.key, got, tc.values)
				}
			}
			if h.Len() != 3 {
				t.Errorf("Len = %d, want 3", h.Len())
			}
			c := h.Clone()
			want := http.Header{"Accept": {"text/plain"}, "X-Multi": {"a", "b"}, "Host": {"example.com"}}
			if !maps.EqualFunc(c, want, slices.Equal) {
				t.Errorf("Clone = %v", c)
			}
			c.Set("Accept", "changed")
			if h.Get("Accept") != "text/plain" {
				t.Error("Clone shares storage with the view")
			}
			n := 0
			for k, v := range h.All() {
				if !slices.Contains(want[k], v) {
					t.Errorf("All yielded %s: %s", k, v)
				}
				n++
			}
			if n != 4 {
				t.Errorf("All yielded %d pairs, want 4", n)
			}
			if w := h.With("accept", "x/y"); w.Get("Accept") != "x/y" || h.Get("Accept") != "text/plain" || w.Get("X-Multi") != "a" {
				t.Error("With")
			}
			if w := h.Without("x-multi"); w.Has("X-Multi") || !h.Has("X-Multi") || w.Len() != 2 {
				t.Error("Without")
			}
		})
	}
	var zero api.Header
	if zero.Get("A") != "" || zero.Has("A") || zero.Len() != 0 || len(zero.Clone()) != 0 {
		t.Error("zero Header is not empty")
	}
	if empty := api.NewHeaderFields(nil); empty.Len() != 0 || empty.Has("A") {
		t.Error("NewHeaderFields(nil) is not empty")
	}
}

// Looking up a field the way clients spell it allocates nothing.
func TestHeaderFieldsGetAllocs(t *testing.T) {
	h := api.NewHeaderFields([]api.HeaderField{{"Host", "x"}, {"Accept", "*/*"}, {"User-Agent", "curl"}})
	if n := testing.AllocsPerRun(100, func() {
		_ = h.Get("User-Agent")
		_ = h.Get("Missing")
		_ = h.Has("Accept")
	}); n != 0 {
		t.Fatalf("%v allocations per lookup", n)
	}
}
