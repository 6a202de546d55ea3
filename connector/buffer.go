package connector

import "github.com/wharf-go/wharf/internal/h1"

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

// getHead borrows parse scratch for a request head: only a head being
// parsed needs one, not every open connection.
func (s *Server) getHead() *h1.RequestHead {
	if h, ok := s.heads.Get().(*h1.RequestHead); ok {
		return h
	}
	return new(h1.RequestHead)
}

// putHead returns scratch from getHead; its field slice keeps its capacity.
func (s *Server) putHead(h *h1.RequestHead) {
	h.Reset()
	s.heads.Put(h)
}
