package gzip_test

import (
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The allocations the filter adds to a request whose body stays below
// MinSize, pinned so that a regression fails: the compressing writer and
// its buffer; and, with Accept-Encoding, the copy of its values
// (api.Header.Values copies; the request's header has no accessor that
// does not).
func TestAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	small := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		w.Header().Set("Content-Type", "text/plain")
		_, err := w.Write([]byte("a small body"))
		return err
	})
	for _, tt := range []struct {
		name string
		head *api.RequestHead
		want float64
	}{
		{"accepts gzip", wharftest.Head("GET", "/", "Accept-Encoding", "gzip, deflate, br"), 3},
		{"no Accept-Encoding", wharftest.Head("GET", "/"), 2},
	} {
		r := api.NewRequest(t.Context(), tt.head, nil)
		got := wharftest.AddedAllocs(100, api.Compose(small, gzip.New(gzip.Config{})), small, r)
		t.Logf("%s: %v", tt.name, got)
		if got > tt.want {
			t.Errorf("%s: %v allocations a request, want %v", tt.name, got, tt.want)
		}
	}
}
