package connector

// WithInlineReturnedHook returns cfg with f run on the producer each time a
// NonBlocking handler's first dispatch has returned.
func WithInlineReturnedHook(cfg Config, f func()) Config {
	cfg.testInlineReturned = f
	return cfg
}

// WithDetachHook returns cfg with f run by the epoll connector each time
// it marks a connection as holding a suspended request, before it looks
// at the read buffer.
func WithDetachHook(cfg Config, f func()) Config {
	cfg.testDetach = f
	return cfg
}

// WithBeforeReadyHook returns cfg with f run by the epoll accept loop
// between listing a new connection and making it ready.
func WithBeforeReadyHook(cfg Config, f func()) Config {
	cfg.testBeforeReady = f
	return cfg
}

// HeldReadBuffers counts the connections holding a suspended request
// (detached) that keep a read buffer. The buffer is given back before the
// connection is marked detached, so the state's atomic load orders the
// read after that write.
func HeldReadBuffers(s *Server) (detached, holding int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := s.conns.head; c != nil; c = c.lnext {
		if c.state() == connDetached {
			detached++
			if c.rbuf != nil {
				holding++
			}
		}
	}
	return detached, holding
}

// HangupRead reports how far the portable connector's hang-up watch of s's
// dispatch went: reading says its read began, returned that the read came
// back (a byte, the client gone, or aborted). Both are false on the epoll
// connector, which watches without reading.
func HangupRead(s Stream) (reading, returned bool) {
	p, ok := s.(*stream).c.io.(*portableIO)
	if !ok {
		return false, false
	}
	p.hw.mu.Lock()
	defer p.hw.mu.Unlock()
	return p.hw.state == hwReading, len(p.hw.done) == 1
}

// AfterShutdownLooks returns cfg with f called by Shutdown once it has
// looked at every connection.
func AfterShutdownLooks(cfg Config, f func()) Config {
	cfg.testShutdownLooked = f
	return cfg
}
