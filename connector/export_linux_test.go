package connector

// HeldIdleTimers counts the epoll connections holding a suspended request
// (detached) that keep an idle timer.
func HeldIdleTimers(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := s.conns.head; c != nil; c = c.lnext {
		f, ok := c.io.(*fdConn)
		if !ok || c.state() != connDetached {
			continue
		}
		f.Mu.Lock()
		if f.idleArmed {
			n++
		}
		f.Mu.Unlock()
	}
	return n
}
