package websocket

import (
	"context"
	"time"

	"github.com/wharf-go/wharf/internal/lazydone"
)

// connContext is a connection as the context of its request
// (Conn.Request): canceled once the connection has ended. It lives in the
// Conn, under its lock, so that a connection that may stay open for hours
// keeps no context.WithCancel of its own; the channel Done returns is
// made only when someone asks for it. Like the container's request
// context, it carries no values and registers with no parent.
type connContext Conn

func (*connContext) Deadline() (time.Time, bool) { return time.Time{}, false }

func (x *connContext) Done() <-chan struct{} {
	c := (*Conn)(x)
	c.mu.Lock()
	defer c.mu.Unlock()
	return lazydone.Chan(&c.ctxDone, c.canceled)
}

func (x *connContext) Err() error {
	c := (*Conn)(x)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.canceled {
		return context.Canceled
	}
	return nil
}

func (*connContext) Value(any) any { return nil }

func (*connContext) String() string { return "websocket.connContext" }

// cancelContext cancels the connection's context, once.
func (c *Conn) cancelContext() {
	c.mu.Lock()
	defer c.mu.Unlock()
	lazydone.End(&c.ctxDone, &c.canceled)
}
