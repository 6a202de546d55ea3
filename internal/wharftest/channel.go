package wharftest

import (
	"context"
	"sync"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/exchange"
)

// Channel is an exchange.Channel that runs Handler for every dispatch and
// records how the exchange finished. Finish renders a failure the way the
// container's default error page would: discard the uncommitted output
// (exchange.Discard: the header fields that do not describe the body stay)
// and set api.StatusOf(err), unless the response was committed.
type Channel struct {
	Handler api.Handler

	mu         sync.Mutex
	dispatches int
	finishes   int
	err        error
	out        *Recorder
	cancel     context.CancelFunc // the request's context's, called by Finish, as a container does
	sentStatus int                // what Finish found sent, for Sent
	sentBytes  int64
}

// Dispatch runs the handler.
func (c *Channel) Dispatch(w api.Response, r *api.Request) error {
	c.mu.Lock()
	c.dispatches++
	c.mu.Unlock()
	return c.Handler.Serve(w, r)
}

// Finish records the outcome and finishes the recorder, keeping what it
// holds for Sent: its status and its body's length (a Recorder has no
// connection to fail, so the End is always exchange.EndAnswered).
func (c *Channel) Finish(w api.Response, err error) exchange.End {
	c.mu.Lock()
	c.finishes++
	c.err = err
	c.mu.Unlock()
	if c.cancel != nil {
		defer c.cancel()
	}
	if err != nil && !w.Committed() {
		_ = exchange.Discard(w)
		_ = w.SetStatus(api.StatusOf(err))
	}
	status, n := w.Status(), int64(0)
	if c.out != nil {
		c.out.Finish()
		status, n = c.out.Status(), int64(len(c.out.BodyBytes()))
	}
	c.mu.Lock()
	c.sentStatus, c.sentBytes = status, n
	c.mu.Unlock()
	return exchange.EndAnswered
}

// Sent implements exchange.Channel: what Finish found sent.
func (c *Channel) Sent() (status int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sentStatus, c.sentBytes
}

// Result reports the dispatch count, the finish count and the final error.
func (c *Channel) Result() (dispatches, finishes int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dispatches, c.finishes, c.err
}

// Exchange is one request driven through a real exchange.Exchange in memory.
type Exchange struct {
	*exchange.Exchange
	Chan *Channel
	Out  *Recorder
	Req  *api.Request
}

// NewExchange builds an exchange for "GET /" that dispatches through h, with
// cfg (nil for defaults). It is not started.
func NewExchange(h api.Handler, cfg *exchange.Config) *Exchange {
	return NewExchangeFor(h, Head("GET", "/"), cfg)
}

// NewExchangeFor builds an exchange for head. The request context is
// cancelled when the exchange completes.
func NewExchangeFor(h api.Handler, head *api.RequestHead, cfg *exchange.Config) *Exchange {
	rec := NewRecorder()
	return newExchange(h, head, cfg, rec, rec)
}

// newExchange builds an exchange writing to out, whose recording is rec.
func newExchange(h api.Handler, head *api.RequestHead, cfg *exchange.Config, out api.Response, rec *Recorder) *Exchange {
	ctx, cancel := context.WithCancel(context.Background())
	ch := &Channel{Handler: h, out: rec, cancel: cancel}
	ex := exchange.NewExchange(ch, out, cfg)
	r := api.NewRequest(ctx, head, ex)
	return &Exchange{Exchange: ex, Chan: ch, Out: rec, Req: r}
}

// Begin runs the initial dispatch on the calling goroutine and returns when
// it has returned (the exchange may then be suspended).
func (x *Exchange) Begin() *Exchange {
	x.Exchange.Start(x.Req)
	return x
}

// Start builds an exchange for h and begins it.
func Start(h api.Handler, cfg *exchange.Config) *Exchange { return NewExchange(h, cfg).Begin() }

// Run begins an exchange for head and waits until it has completed.
func Run(h api.Handler, head *api.RequestHead) *Exchange {
	x := NewExchangeFor(h, head, nil).Begin()
	<-x.Done()
	return x
}
