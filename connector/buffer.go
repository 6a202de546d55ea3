package connector

// readBufferSize is the size of a pooled read buffer; heads that need more
// get a larger, unpooled one.
const readBufferSize = 4096

type readBuffer = [readBufferSize]byte

// getReadBuffer borrows a read buffer from the server's pool.
func (s *Server) getReadBuffer() []byte {
	if p, ok := s.rbufs.Get().(*readBuffer); ok {
		return p[:]
	}
	return new(readBuffer)[:]
}

// putReadBuffer gives b back if it came from the pool (an idle epoll
// connection holds no buffer).
func (s *Server) putReadBuffer(b []byte) {
	if cap(b) != readBufferSize {
		return
	}
	s.rbufs.Put((*readBuffer)(b[:readBufferSize]))
}
