package container

import (
	"context"
	"sync"
)

// takenOverSet tracks the connections taken over from requests (a
// WebSocket's, after Hijack) that joined the graceful shutdown through
// TrackTakenOver: the connector no longer knows them.
type takenOverSet struct {
	mu       sync.Mutex
	m        map[*takenOver]struct{}
	shutting bool // Shutdown or Close began: a connection that joins now is told at once
}

type takenOver struct {
	c    takenOverConn
	told bool // Shutdown was called (under the set's mu)
}

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
// untrack, called once the connection has ended, forgets it. Any
// goroutine may call it.
func (x *exchange) TrackTakenOver(c takenOverConn) (untrack func()) {
	return x.c.taken.add(c)
}

func (s *takenOverSet) add(c takenOverConn) func() {
	t := &takenOver{c: c}
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[*takenOver]struct{})
	}
	s.m[t] = struct{}{}
	tell := s.shutting
	t.told = tell
	s.mu.Unlock()
	if tell {
		c.Shutdown()
	}
	return func() {
		s.mu.Lock()
		delete(s.m, t)
		s.mu.Unlock()
	}
}

// shutdownAll tells every tracked connection not yet told to close, and
// marks the set as shutting down, under the same lock, so that one that
// joins later is told by add.
func (s *takenOverSet) shutdownAll() {
	s.mu.Lock()
	s.shutting = true
	var tell []*takenOver
	for t := range s.m {
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
	ts := make([]*takenOver, 0, len(s.m))
	for t := range s.m {
		ts = append(ts, t)
	}
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
