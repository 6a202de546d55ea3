package header_test

import (
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/filters/header"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A request suspended by the chain (a long poll, or one waiting in a QoS
// filter) passes the filter again when it is resumed; the header fields of
// the earlier pass stay, so Add must not add its value a second time.
func TestAddOncePerRequest(t *testing.T) {
	f := header.New(header.Config{Add: map[string]string{"Cache-Control": "no-store"}})
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		c := continuation.Of(r)
		if c.IsInitial() {
			return c.SuspendThen(func(c continuation.Continuation) { c.Resume() })
		}
		_, err := w.WriteString("done")
		return err
	}), f)
	x := wharftest.Run(h, wharftest.Head("GET", "/"))
	if got := x.Out.Result().Values("Cache-Control"); len(got) != 1 {
		t.Errorf("Cache-Control %q, want [no-store]", got)
	}
}
