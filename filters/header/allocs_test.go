package header_test

import (
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/header"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The allocations the filter adds to a request, pinned so that a
// regression fails: for the response, one value slice for each field set
// or added (three) and the Recorder's table once a field is set; for the
// request, its header cloned (the map, its table, the values), the view
// made of it and the derived Request.
func TestAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	ok := api.HandlerFunc(func(w api.Response, r *api.Request) error { return nil })
	for _, tt := range []struct {
		name string
		cfg  header.Config
		want float64
	}{
		{"response", header.Config{
			Set:    map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"},
			Add:    map[string]string{"Cache-Control": "no-store"},
			Remove: []string{"Server"},
		}, 4},
		{"request", header.Config{
			RequestSet:    map[string]string{"X-Request-Id": "abc"},
			RequestRemove: []string{"Cookie"},
		}, 6},
	} {
		r := api.NewRequest(t.Context(), wharftest.Head("GET", "/", "Accept", "*/*", "Cookie", "a=1"), nil)
		got := wharftest.AddedAllocs(100, api.Compose(ok, header.New(tt.cfg)), ok, r)
		t.Logf("%s: %v", tt.name, got)
		if got > tt.want {
			t.Errorf("%s: %v allocations a request, want %v", tt.name, got, tt.want)
		}
	}
}
