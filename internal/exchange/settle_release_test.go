package exchange_test

import (
	"runtime"
	"testing"
	"weak"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A completed exchange lets its listeners go: a Continuation or an async
// Context that user code keeps after the request ended (in a map of
// waiters not yet cleaned, say) does not keep what the listeners' closures
// captured alive. A listener added after completion is ignored, and not
// kept either.
func TestCompletedExchangeReleasesListeners(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after bool // add the listener once the exchange completed
	}{
		{"added before completion", false},
		{"added after completion", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := wharftest.NewExchange(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				return exchange.From(r).Suspend(exchange.ModeAsync)
			}), nil)
			x.Begin()
			var captured weak.Pointer[[64]byte]
			if !tc.after {
				captured = addCapturingListener(x.Exchange)
			}
			if err := x.Complete(); err != nil {
				t.Fatal(err)
			}
			<-x.Done()
			if tc.after {
				captured = addCapturingListener(x.Exchange)
			}
			runtime.GC()
			if captured.Value() != nil {
				t.Fatal("what a listener captured is kept alive by the completed exchange")
			}
			runtime.KeepAlive(x)
		})
	}
}

// addCapturingListener adds to ex listeners whose closures capture a
// value only they refer to, and returns a weak pointer to that value.
//
//go:noinline
func addCapturingListener(ex *exchange.Exchange) weak.Pointer[[64]byte] {
	v := new([64]byte)
	ex.AddListener(exchange.Listener{
		OnTimeout:  func(api.Response, *api.Request) { v[0]++ },
		OnError:    func(api.Response, *api.Request, error) { v[1]++ },
		OnComplete: func(*api.Request, error) { v[2]++ },
	})
	return weak.Make(v)
}
