package container

import (
	"context"
	"errors"
	"slices"

	"github.com/wharf-go/wharf/connector"
)

// Server is a server that serves a container's requests beside its
// connector, on connections the container does not hold (package h3's
// HTTP/3 server, on QUIC): registered with RegisterServer, it shuts down
// and closes with the container, as net/http's Server does. The container
// calls Shutdown on a goroutine of its own, and Close on the goroutine of
// its Close, which may come while that Shutdown still runs: the two must be
// safe to call at once.
type Server interface {
	// Shutdown stops taking connections, lets those open finish, and
	// returns once they have, or ctx's error once ctx is done (closing
	// what is left, or leaving it to Close). A server whose requests all
	// go through the container (h3's) need not wait for its connections,
	// since the container's Shutdown waits for its requests, but must
	// for those it took and the container has yet to count, which
	// Shutdown does not see: h3's waits for them, and refuses those that
	// come after.
	Shutdown(ctx context.Context) error
	// Close ends the server and every connection it holds, at once,
	// without waiting for handlers still running: the container's Close
	// completes their requests only after the servers' Close returned.
	Close() error
}

// registered is one Server in the list: a pointer, so that the same
// Server may be registered twice and each unregistered alone.
type registered struct{ s Server }

// RegisterServer makes s shut down and close with c: c's Shutdown calls
// s.Shutdown with its own context, beside its connector's, and waits for
// it (an error of it, with none of the container's own, is Shutdown's);
// c's Close calls s.Close, even after a Shutdown. It returns a func that
// forgets s, for a server that ended otherwise (calling it again does
// nothing), or connector.ErrServerClosed, registering nothing, if c's
// Shutdown or Close was called already: the caller then closes s itself.
// Any goroutine may call it.
func (c *Container) RegisterServer(s Server) (unregister func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shutting.Load() {
		// Shutdown sets shutting before it lists the servers under mu,
		// so a server registered here is one it lists.
		return nil, connector.ErrServerClosed
	}
	r := &registered{s}
	c.servers = append(c.servers, r)
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.servers = slices.DeleteFunc(c.servers, func(x *registered) bool { return x == r })
	}, nil
}

// registeredServers returns the Servers registered now.
func (c *Container) registeredServers() []Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	ss := make([]Server, len(c.servers))
	for i, r := range c.servers {
		ss[i] = r.s
	}
	return ss
}

// shutdownServers starts the Shutdown of the connector and of every
// registered Server, each on a goroutine of its own, and returns a
// function that waits for them all and gives the first error.
func (c *Container) shutdownServers(ctx context.Context) (wait func() error) {
	ss := c.registeredServers()
	done := make(chan error, 1+len(ss))
	go func() { done <- c.srv.Shutdown(ctx) }()
	for _, s := range ss {
		go func() { done <- s.Shutdown(ctx) }()
	}
	return func() error {
		var first error
		for range 1 + len(ss) {
			if err := <-done; first == nil {
				first = err
			}
		}
		return first
	}
}

// closeServers closes the connector and every registered Server.
func (c *Container) closeServers() error {
	err := c.srv.Close()
	for _, s := range c.registeredServers() {
		if cerr := s.Close(); cerr != nil && !errors.Is(cerr, connector.ErrServerClosed) {
			err = errors.Join(err, cerr)
		}
	}
	return err
}
