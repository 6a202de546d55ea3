package connector_test

import (
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A NonBlocking handler runs on the selector's goroutine (PC), and so does
// the expired re-dispatch of one that suspended (its timeout fires on the
// selector's wheel). One that ends its goroutine with runtime.Goexit
// (t.FailNow in a handler under test) fails its request as a panicking
// one does, and the selector goes on serving: before, the goroutine that
// polled the selector's connections was gone, and with it every later
// request of the server's one selector.
func TestEpollInlineGoexit(t *testing.T) {
	tests := []struct {
		name string
		h    api.NonBlockingFunc
	}{
		{"dispatch", func(w api.Response, r *api.Request) error {
			runtime.Goexit()
			return nil
		}},
		{"expired re-dispatch", func(w api.Response, r *api.Request) error {
			c := continuation.Of(r)
			if c.IsInitial() {
				c.SetTimeout(time.Millisecond)
				return c.Suspend()
			}
			runtime.Goexit()
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := container.New(container.WithConnector(connector.Config{Selectors: 1}), container.WithLogger(wharftest.DiscardLogger()))
			c.Handle("/goexit", tt.h)
			c.Handle("/ok", api.NonBlockingFunc(func(w api.Response, r *api.Request) error {
				_, err := w.WriteString("ok")
				return err
			}))
			addr := listen(t, c)
			// A connection of its own for each request: the selector
			// must still take new ones.
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			wharftest.GetInTurn(t, client, "http://"+addr,
				wharftest.Want{Path: "/goexit", Status: http.StatusInternalServerError},
				wharftest.Want{Path: "/ok", Status: http.StatusOK, Body: "ok"},
				wharftest.Want{Path: "/ok", Status: http.StatusOK, Body: "ok"})
			wharftest.WaitFor(t, "no request active", func() bool { return c.Stats().Active == 0 })
		})
	}
}
