package csrf_test

import (
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/csrf"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The allocations the filter adds to a request, pinned so that a
// regression fails. A safe method costs none: Check allows it whatever it
// carries, so no *http.Request is built for it. Another builds one for
// Check: the Request, its URL, and, with either field, the header map
// (two: map and table) and one array for both values.
func TestAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	f := csrf.New(csrf.Config{})
	ok := api.HandlerFunc(func(w api.Response, r *api.Request) error { return nil })
	for _, tt := range []struct {
		name string
		head *api.RequestHead
		want float64
	}{
		{"GET", wharftest.Head("GET", "/", "Sec-Fetch-Site", "cross-site", "Origin", "https://other.example"), 0},
		{"same-origin POST", wharftest.Head("POST", "/form", "Sec-Fetch-Site", "same-origin", "Origin", "http://example.com"), 5},
		{"POST without fields", wharftest.Head("POST", "/form"), 2},
	} {
		r := api.NewRequest(t.Context(), tt.head, nil)
		got := wharftest.AddedAllocs(100, api.Compose(ok, f), ok, r)
		t.Logf("%s: %v", tt.name, got)
		if got > tt.want {
			t.Errorf("%s: %v allocations a request, want %v", tt.name, got, tt.want)
		}
	}
}

func BenchmarkGET(b *testing.B) {
	h := api.Compose(api.HandlerFunc(func(api.Response, *api.Request) error { return nil }), csrf.New(csrf.Config{}))
	r := api.NewRequest(b.Context(), wharftest.Head("GET", "/", "Sec-Fetch-Site", "cross-site", "Origin", "https://other.example"), nil)
	w := wharftest.NewRecorder()
	for b.Loop() {
		_ = h.Serve(w, r)
	}
}
