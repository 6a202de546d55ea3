package requestlog_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/requestlog"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// The allocations the filter adds to a request, pinned so that a
// regression fails. Without an exchange (plain): the byte counter
// wrapping the Response, and for FormatSlog the slice slog.Record takes
// for the attributes past the five it holds inline. With an exchange
// (how a container runs it): the listener's closure, holding the record
// by value; async.OnComplete's adapter; the exchange's listener entry
// (two); sync.Map's entry for the exchange; and slog's slice as before. A
// logger that is not enabled costs nothing.
func TestAllocs(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	ok := api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := w.Write([]byte("hello"))
		return err
	})
	head := wharftest.Head("GET", "/", "User-Agent", "test")
	for _, tt := range []struct {
		name            string
		cfg             requestlog.Config
		plain, exchange float64
	}{
		{"disabled", requestlog.Config{Logger: slog.New(slog.DiscardHandler)}, 0, 0},
		{"slog", requestlog.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, 2, 6},
		{"combined", requestlog.Config{Format: requestlog.FormatCombined, Writer: io.Discard}, 1, 5},
	} {
		h := api.Compose(ok, requestlog.New(tt.cfg))
		r := api.NewRequest(t.Context(), head, nil)
		if got := wharftest.AddedAllocs(100, h, ok, r); got > tt.plain {
			t.Errorf("%s, plain: %v allocations a request, want at most %v", tt.name, got, tt.plain)
		}
		with := testing.AllocsPerRun(100, func() { wharftest.Run(h, head) })
		without := testing.AllocsPerRun(100, func() { wharftest.Run(ok, head) })
		if got := with - without; got > tt.exchange {
			t.Errorf("%s, with an exchange: %v allocations a request, want at most %v", tt.name, got, tt.exchange)
		}
	}
}

func BenchmarkExchange(b *testing.B) {
	ok := api.HandlerFunc(func(w api.Response, r *api.Request) error { return nil })
	h := api.Compose(ok, requestlog.New(requestlog.Config{Format: requestlog.FormatCombined, Writer: io.Discard}))
	head := wharftest.Head("GET", "/", "User-Agent", "test")
	for b.Loop() {
		wharftest.Run(h, head)
	}
}
