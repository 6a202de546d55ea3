package connector

import "net"

// The connection limit (Config.MaxConnections) works as Jetty's
// ConnectionLimit does: at the limit the server stops accepting, so new
// connections wait in the listen backlog, where they cost the process
// nothing, instead of being accepted and closed. The epoll selector's
// accept, which never blocks, first reserves a slot; the connection it
// accepts turns the reservation into an open connection (addConn), and an
// accept that finds nothing gives it back. The portable loop's Accept
// blocks, and a slot reserved for it would stay taken for as long as its
// listener has no client, so it only waits for the count to be under the
// limit: each portable listener (every TLS one) may take one connection
// over it. Every count lives under the server's mutex.

// pausable is a listener that an accept loop which does not block (the
// epoll selector) takes out of its poll set at the limit, and puts back
// when a connection closes.
type pausable interface {
	pause()
	resume()
	listener() net.Listener
}

// reserveConn reserves a slot for one accept, or reports the limit
// reached. At the limit, a non-nil l is paused, to be resumed by the first
// connection to close; the pause happens under the mutex so that it cannot
// land after that resume.
func (s *Server) reserveConn(l pausable) bool {
	max := s.Config.MaxConnections
	if max <= 0 {
		return !s.shutting.Load()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return false // its listener is closed, or about to be: leave it be
	}
	if s.roomLocked() {
		s.reserved++
		return true
	}
	if l != nil {
		l.pause()
		s.paused = append(s.paused, l)
	}
	return false
}

// waitConn is for a blocking accept loop: it waits until the count is
// under the limit, without reserving (see above), and reports false if the
// server shuts down first.
func (s *Server) waitConn() bool {
	if s.Config.MaxConnections <= 0 {
		return !s.shutting.Load() // no limit: no lock on the accept path
	}
	for {
		s.mu.Lock()
		if s.shutting.Load() {
			s.mu.Unlock()
			return false
		}
		if s.roomLocked() {
			s.mu.Unlock()
			return true
		}
		if s.slotFree == nil {
			s.slotFree = make(chan struct{})
		}
		free := s.slotFree
		s.mu.Unlock()
		select {
		case <-free:
		case <-s.closing():
			return false
		}
	}
}

// roomLocked reports whether the connections open and being accepted are
// under the limit (set). s.mu is held.
func (s *Server) roomLocked() bool {
	return s.conns.n+s.reserved < s.Config.MaxConnections
}

// unreserveConn gives back a slot an accept did not use.
func (s *Server) unreserveConn() {
	if s.Config.MaxConnections <= 0 {
		return
	}
	s.mu.Lock()
	s.reserved--
	s.connFreedLocked()
	s.mu.Unlock()
}

// connFreedLocked wakes the accept loops waiting for a slot, if there is
// one now. s.mu is held.
func (s *Server) connFreedLocked() {
	if s.Config.MaxConnections <= 0 || !s.roomLocked() {
		return
	}
	if s.slotFree != nil {
		close(s.slotFree)
		s.slotFree = nil
	}
	for _, l := range s.paused {
		l.resume()
	}
	s.paused = s.paused[:0]
}
