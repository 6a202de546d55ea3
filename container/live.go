package container

import (
	"context"
	"sync"
	"time"

	"github.com/wharf-go/wharf/internal/lazydone"
)

// liveSet tracks the requests that have not completed, for Stats, Shutdown
// (expire the suspended) and Close (complete them all). An intrusive list
// under one mutex: two pointer writes per request, no allocation.
type liveSet struct {
	mu sync.Mutex
	l  list[exchange, *exchange]
}

// links implements linked: an exchange's place in the live set.
func (x *exchange) links() *links[exchange] { return &x.live }

func (l *liveSet) add(x *exchange) {
	l.mu.Lock()
	l.l.push(x)
	l.mu.Unlock()
}

func (l *liveSet) remove(x *exchange) {
	l.mu.Lock()
	l.l.remove(x)
	l.mu.Unlock()
}

// snapshot returns the live exchanges, to act on them without the lock.
func (l *liveSet) snapshot() []*exchange {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.l.all()
}

// requestContext is the context of one request: cancelled when the request
// completes or the container closes. It is part of the exchange, so it costs
// no allocation, and unlike context.WithCancel it does not register with a
// parent: the container cancels live requests itself on Close. It is one
// word without a lock (every request keeps it while it waits), and its
// only error is context.Canceled.
type requestContext struct {
	done lazydone.Word
}

func (c *requestContext) Deadline() (time.Time, bool) { return time.Time{}, false }

func (c *requestContext) Done() <-chan struct{} { return c.done.Chan() }

func (c *requestContext) Err() error {
	if c.done.Over() {
		return context.Canceled
	}
	return nil
}

func (c *requestContext) Value(any) any { return nil }

func (c *requestContext) cancel() { c.done.End() }

func (c *requestContext) String() string { return "wharf.requestContext" }
