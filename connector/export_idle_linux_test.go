package connector

// IdleReadBuffers counts the epoll connections that are idle and those of
// them that keep a read buffer. Each is looked at under its fdConn's Mu,
// which the selector takes before it claims the connection for the bytes
// that come next (fdConn.event), and which a connection turning idle
// holds as it gives its buffer back (idleUnless).
func IdleReadBuffers(s *Server) (idle, holding int) {
	s.mu.Lock()
	var fs []*fdConn
	for c := s.conns.head; c != nil; c = c.lnext {
		if f, ok := c.io.(*fdConn); ok {
			fs = append(fs, f)
		}
	}
	s.mu.Unlock()
	for _, f := range fs {
		f.Mu.Lock()
		if f.c.state() == connIdle {
			idle++
			if f.c.rbuf != nil {
				holding++
			}
		}
		f.Mu.Unlock()
	}
	return idle, holding
}
