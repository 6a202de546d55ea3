package websocket

import "sync"

// readBufferSize is the read buffer a connection takes while the tunnel
// has bytes for it or a frame is partly read; a larger frame grows it to
// the frame's size.
const readBufferSize = 4 << 10

// settings is what the connections of one Handler share: its Config, and
// the read buffers they borrow.
//
// A connection reads only when the tunnel says bytes came, and keeps its
// buffer only while a frame is partly read. Without the pool each of those
// reads would leave 4 KiB to the collector: a burst of upgrades (each
// reads once, usually nothing) made garbage at twice the rate the new
// connections' live state grew, so the heap, and the RSS after the burst,
// ran at nearly twice that state.
type settings struct {
	Config
	bufs sync.Pool // of *[readBufferSize]byte
}

// getBuffer lends a read buffer. Any goroutine may call it.
func (s *settings) getBuffer() []byte {
	if b, ok := s.bufs.Get().(*[readBufferSize]byte); ok {
		return b[:]
	}
	return make([]byte, readBufferSize)
}

// putBuffer takes back a buffer getBuffer lent; one grown past it (a
// large frame's) is left to the collector. The caller must not use b
// afterwards: frames are copied out of it (own) before they reach a
// Handler.
func (s *settings) putBuffer(b []byte) {
	if cap(b) == readBufferSize {
		s.bufs.Put((*[readBufferSize]byte)(b[:readBufferSize]))
	}
}
