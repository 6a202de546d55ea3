package container

import (
	"context"
	"sync"
)

// takenOverSet tracks the connections taken over from requests (a
// WebSocket's, after Hijack) that joined the graceful shutdown through
// TrackTakenOver: the connector no longer knows them. They are an
// intrusive list, not a map: an open WebSocket may stay for hours, and
// each costs the set its node alone.
type takenOverSet struct {
	mu       sync.Mutex
	l        list[takenOver, *takenOver]
	shutting bool // Shutdown or Close began: a connection that joins now is told at once
}

// takenOver is a connection in the set, and the handle that takes it out
// (Untrack).
type takenOver struct {
	c    takenOverConn
	s    *takenOverSet
	in   links[takenOver] // in s.l, under s.mu
	told bool             // Shutdown was called (under s.mu)
	gone bool             // untracked (under s.mu)
}

// links implements linked.
func (t *takenOver) links() *links[takenOver] { return &t.in }

// takenOverConn is a connection taken over from a request, as the
// graceful shutdown sees it (TrackTakenOver). An interface, not two
// funcs, so that a connection that may stay open for hours costs no
// closures for it, and its Done channel may be made only when asked for.
type takenOverConn = interface {
	// Shutdown starts the connection's close without blocking (a
	// WebSocket sends its close frame, 1001).
	Shutdown()
	// Done returns a channel closed once the connection has ended.
	Done() <-chan struct{}
}

// TrackTakenOver is how a connection taken over from this request (the
// websocket package calls it after its Upgrade) joins the container's
// graceful shutdown: the first Shutdown or Close calls c.Shutdown, once,
// and Shutdown then waits until c.Done is closed, within its context. A
// connection that joins while the container shuts down is told at once.
// A request whose handler hijacked its connection stops counting for
// Shutdown at the Hijack (unless Shutdown had begun), so track the
// connection before the client can see the switch: a Shutdown that
// begins between the Hijack and the tracking does not wait for it.
// The Untrack of what it returns, called once the connection has ended,
// forgets it (a handle rather than a func, so that it costs no closure);
// calling it again does nothing. Any goroutine may call either.
func (x *exchange) TrackTakenOver(c takenOverConn) interface{ Untrack() } {
	return x.ctxt.c.taken.add(c)
}

func (s *takenOverSet) add(c takenOverConn) *takenOver {
	t := &takenOver{c: c, s: s}
	s.mu.Lock()
	s.l.push(t)
	tell := s.shutting
	t.told = tell
	s.mu.Unlock()
	if tell {
		c.Shutdown()
	}
	return t
}

// Untrack takes t out of its set.
func (t *takenOver) Untrack() {
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.gone {
		return
	}
	t.gone = true
	s.l.remove(t)
}

// shutdownAll tells every tracked connection not yet told to close, and
// marks the set as shutting down, under the same lock, so that one that
// joins later is told by add.
func (s *takenOverSet) shutdownAll() {
	s.mu.Lock()
	s.shutting = true
	var tell []*takenOver
	for _, t := range s.l.all() {
		if !t.told {
			t.told = true
			tell = append(tell, t)
		}
	}
	s.mu.Unlock()
	for _, t := range tell {
		t.c.Shutdown()
	}
}

// wait waits until every tracked connection has ended, or ctx is done.
func (s *takenOverSet) wait(ctx context.Context) error {
	s.mu.Lock()
	ts := s.l.all()
	s.mu.Unlock()
	for _, t := range ts {
		select {
		case <-t.c.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
