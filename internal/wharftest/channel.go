package wharftest

import (
	"context"
	"sync"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
)

// Channel is an async.Channel that dispatches to Handler and records how the
// exchange finished.
type Channel struct {
	Handler api.Handler

	mu         sync.Mutex
	dispatches int
	finishes   int
	err        error
}

// Dispatch runs the handler.
func (c *Channel) Dispatch(w api.Response, r *api.Request) error {
	c.mu.Lock()
	c.dispatches++
	c.mu.Unlock()
	return c.Handler.Serve(w, r)
}

// Finish records the outcome. On failure it writes the status like the
// container's default error page would.
func (c *Channel) Finish(w api.Response, err error) {
	c.mu.Lock()
	c.finishes++
	c.err = err
	c.mu.Unlock()
	if err != nil && !w.Committed() {
		w.Reset()
		w.SetStatus(api.StatusOf(err))
	}
}

// Result reports the dispatch count, the finish count and the final error.
func (c *Channel) Result() (dispatches, finishes int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dispatches, c.finishes, c.err
}

// Exchange is one request driven through an async.Exchange in memory.
type Exchange struct {
	*async.Exchange
	Chan *Channel
	Out  *Recorder
	Req  *api.Request
}

// Start builds an exchange for h with cfg (nil for defaults), starts its
// initial dispatch on the calling goroutine and returns once that dispatch
// returned or suspended.
func Start(h api.Handler, cfg *async.Config) *Exchange {
	x := NewExchange(h, cfg)
	x.Exchange.Start(x.Req)
	return x
}

// NewExchange builds the exchange without starting it.
func NewExchange(h api.Handler, cfg *async.Config) *Exchange {
	ch := &Channel{Handler: h}
	out := NewRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	ex := async.NewExchange(ch, out, cfg, cancel)
	r := api.NewRequest(ctx, &api.RequestHead{Method: "GET", Target: "/", Path: "/", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, ContentLength: 0}, ex)
	return &Exchange{Exchange: ex, Chan: ch, Out: out, Req: r}
}
