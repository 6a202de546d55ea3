package gzip_test

import (
	"strings"
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

// A compressed body written with WriteString costs no allocation a call
// more than one written with Write: the string reaches the compressor
// without a copy of its own on the heap (api.Response's WriteString is
// "Write for a string, without a copy where possible"). Each call made
// one the size of the string, so that a page rendered in many
// WriteStrings left its whole size in garbage.
func TestAllocsWriteString(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	chunk := strings.Repeat("compress me, ", 300) // past MinSize: the first call decides
	const calls = 50
	handler := func(write func(w api.Response) error) api.Handler {
		return api.HandlerFunc(func(w api.Response, r *api.Request) error {
			w.Header().Set("Content-Type", "text/plain")
			for range calls {
				if err := write(w); err != nil {
					return err
				}
			}
			return nil
		})
	}
	bchunk := []byte(chunk)
	viaWrite := handler(func(w api.Response) error { _, err := w.Write(bchunk); return err })
	viaString := handler(func(w api.Response) error { _, err := w.WriteString(chunk); return err })
	r := api.NewRequest(t.Context(), wharftest.Head("GET", "/", "Accept-Encoding", "gzip"), nil)
	f := gzip.New(gzip.Config{})
	write := wharftest.AddedAllocs(20, api.Compose(viaWrite, f), viaWrite, r)
	str := wharftest.AddedAllocs(20, api.Compose(viaString, f), viaString, r)
	t.Logf("%d calls: Write %v, WriteString %v allocations", calls, write, str)
	if str > write+2 {
		t.Errorf("%d WriteString calls made %v allocations, %d Write calls %v", calls, str, calls, write)
	}
}
