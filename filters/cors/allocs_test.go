package cors_test

import (
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/cors"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The allocations the filter adds to a request, pinned so that a
// regression fails. What they are:
//   - every request: Vary's value slice, and the Recorder's table once a
//     field is set;
//   - simple: Access-Control-Allow-Origin's value slice;
//   - preflight: Vary's slice grown twice for its three tokens, the copy
//     of Access-Control-Request-Headers' values (api.Header.Values), the
//     joined list of the names allowed, and the value slices of
//     Allow-Origin, Allow-Methods, Allow-Headers and Max-Age.
func TestAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	f := cors.New(cors.Config{
		AllowedOrigins: []string{"https://app.example"},
		AllowedMethods: []string{"GET", "PUT"},
		AllowedHeaders: []string{"Content-Type", "X-Token"},
		MaxAge:         time.Hour,
	})
	ok := api.HandlerFunc(func(w api.Response, r *api.Request) error { return nil })
	for _, tt := range []struct {
		name string
		head *api.RequestHead
		want float64
	}{
		{"no origin", wharftest.Head("GET", "/"), 2},
		{"simple", wharftest.Head("GET", "/", "Origin", "https://app.example"), 3},
		{"preflight", wharftest.Head("OPTIONS", "/", "Origin", "https://app.example",
			"Access-Control-Request-Method", "PUT",
			"Access-Control-Request-Headers", "content-type,x-token"), 10},
	} {
		r := api.NewRequest(t.Context(), tt.head, nil)
		got := wharftest.AddedAllocs(100, api.Compose(ok, f), ok, r)
		t.Logf("%s: %v", tt.name, got)
		if got > tt.want {
			t.Errorf("%s: %v allocations a request, want %v", tt.name, got, tt.want)
		}
	}
}

func BenchmarkPreflight(b *testing.B) {
	f := cors.New(cors.Config{AllowedOrigins: []string{"https://app.example"}, AllowedMethods: []string{"GET", "PUT"},
		AllowedHeaders: []string{"Content-Type", "X-Token"}, MaxAge: time.Hour})
	h := api.Compose(api.HandlerFunc(func(api.Response, *api.Request) error { return nil }), f)
	r := api.NewRequest(b.Context(), wharftest.Head("OPTIONS", "/", "Origin", "https://app.example",
		"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type,x-token"), nil)
	for b.Loop() {
		_ = h.Serve(wharftest.NewRecorder(), r)
	}
}
