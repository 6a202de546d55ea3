package websocket

import (
	"bufio"
	"sync"
)

// readBufferSize is the read buffer a connection takes while the tunnel
// has bytes for it or a frame is partly read; a larger frame grows it to
// the frame's size.
const readBufferSize = 4 << 10

// settings is what the connections of one Handler share: its Config, and
// the buffers they borrow.
//
// A connection reads only when the tunnel says bytes came, and keeps its
// buffer only while a frame is partly read. Without the pool each of those
// reads would leave 4 KiB to the collector: a burst of upgrades (each
// reads once, usually nothing) made garbage at twice the rate the new
// connections' live state grew, so the heap, and the RSS after the burst,
// ran at nearly twice that state.
type settings struct {
	Config
	// pools is NewHandler's, shared by its connections; nil for a
	// connection of Upgrade, which has nobody to share with (pools of
	// its own would cost it more than they save: a sync.Pool takes an
	// array per P at its first use).
	pools *pools
}

// pools are the buffers the connections of a Handler lend each other.
type pools struct {
	bufs       sync.Pool // of *[readBufferSize]byte
	handshakes sync.Pool // of *bufio.ReadWriter
}

// getBuffer lends a read buffer. Any goroutine may call it.
func (s *settings) getBuffer() []byte {
	if s.pools != nil {
		if b, ok := s.pools.bufs.Get().(*[readBufferSize]byte); ok {
			return b[:]
		}
	}
	return make([]byte, readBufferSize)
}

// putBuffer takes back a buffer getBuffer lent; one grown past it (a
// large frame's) is left to the collector. The caller must not use b
// afterwards: frames are copied out of it (own) before they reach a
// Handler.
func (s *settings) putBuffer(b []byte) {
	if s.pools != nil && cap(b) == readBufferSize {
		s.pools.bufs.Put((*[readBufferSize]byte)(b[:readBufferSize]))
	}
}

// getHandshake lends the ReadWriter gorilla writes a 101 with: no bytes
// to read (gorilla refuses a client that sent some before the 101; the
// tunnel keeps them), a small buffer to build the answer in. gorilla's
// Conn, made with buffers of its own (Upgrade's ReadBufferSize and
// WriteBufferPool), keeps neither once Upgrade returns. Any goroutine may
// call it.
func (s *settings) getHandshake() *bufio.ReadWriter {
	if s.pools != nil {
		if hs, ok := s.pools.handshakes.Get().(*bufio.ReadWriter); ok {
			return hs
		}
	}
	return bufio.NewReadWriter(bufio.NewReaderSize(eof{}, 16), bufio.NewWriterSize(nil, 512))
}

// putHandshake takes back what getHandshake lent, once Upgrade returned.
func (s *settings) putHandshake(hs *bufio.ReadWriter) {
	hs.Writer.Reset(nil) // the connection is the Conn's now
	if s.pools != nil {
		s.pools.handshakes.Put(hs)
	}
}
