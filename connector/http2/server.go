package http2

import (
	"bufio"
	"io"
	"sync"

	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/h1"
)

// Server serves HTTP/2 on the connections a connector.Server hands over:
// it implements connector.Protocol, and container.New sets one as the
// connector's Config.HTTP2. Its zero value is ready to use; it must not be
// copied after first use.
type Server struct {
	bufs    sync.Pool // *[]byte of capacity h2MaxFrame, that response data is gathered in
	readers sync.Pool // *bufio.Reader holding a whole frame, for connections' readers while they read
	writers sync.Pool // *bufio.Writer of 16 KiB, for connections' writers while they write
	fields  sync.Pool // *[pooledFields]hpack.HeaderField, for header blocks while they are read
	frames  sync.Pool // *[pooledFrames]h2Frame, for writers' batches while they write
	dates   h1.DateCache
}

var _ connector.Protocol = (*Server)(nil)

// CanUpgrade implements connector.Protocol: req asks for h2c with
// "Upgrade: h2c", "Connection: Upgrade, HTTP2-Settings" and one valid
// HTTP2-Settings field (RFC 7540 §3.2).
func (s *Server) CanUpgrade(req *api.RequestHead) bool {
	_, ok := h2cUpgrade(req)
	return ok
}

// ServeConn implements connector.Protocol: it serves h as HTTP/2 until the
// connection ends, the calling goroutine reading its frames. On a
// connector.Waiter it returns once the client has nothing more to say for
// now; the Waiter's callbacks run the reader from then on.
func (s *Server) ServeConn(h *connector.Handover) {
	hc := newServerConn(s, h)
	if h.Upgrade != nil {
		hc.serveUpgrade(h.Upgrade)
		return
	}
	hc.serve()
}

// getBuf returns an empty buffer of capacity h2MaxFrame; put it back in
// s.bufs with length 0.
func (s *Server) getBuf() *[]byte {
	if b, ok := s.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, h2MaxFrame)
	return &b
}

// getReader returns a reader of src whose buffer holds a frame of
// h2MaxFrame and its header; give it back with putReader.
func (s *Server) getReader(src io.Reader) *bufio.Reader {
	if br, ok := s.readers.Get().(*bufio.Reader); ok {
		br.Reset(src)
		return br
	}
	return bufio.NewReaderSize(src, h2FrameHeaderLen+h2MaxFrame)
}

// putReader gives br back, whatever it still holds dropped.
func (s *Server) putReader(br *bufio.Reader) {
	br.Reset(nil)
	s.readers.Put(br)
}

// The slices a connection's reader and writer fill while they run (the
// fields of a header block, the batch of frames being written) come from
// the server's pools as arrays, whose pointers the pools store without an
// allocation, and go back once the connection is quiet (the reader has
// nothing to read, the writer nothing to write and no stream is open), so
// that an idle connection keeps neither (about 0.9 KiB after a browser's
// request). A slice that outgrew its array is the garbage collector's. The
// write queues themselves stay: their appends are on every frame's path,
// where a pooled slice's check would stop them being inlined (6% of
// HTTP/2's requests a second, measured).
const (
	pooledFields = 32 // fields of a header block: more than a browser's request has
	pooledFrames = 64 // frames a writer takes at once: a burst of 30 responses
)

// getFields returns an empty slice on a pooled array of pooledFields.
func (s *Server) getFields() []hpack.HeaderField {
	if a, ok := s.fields.Get().(*[pooledFields]hpack.HeaderField); ok {
		return a[:0]
	}
	return new([pooledFields]hpack.HeaderField)[:0]
}

// putFields gives f's array back, if it is one of pooledFields (f was
// never resliced but from its start, and holds nothing past its length);
// f must not be used afterwards.
func (s *Server) putFields(f []hpack.HeaderField) {
	if cap(f) == pooledFields {
		clear(f)
		s.fields.Put((*[pooledFields]hpack.HeaderField)(f[:pooledFields]))
	}
}

// getFrames returns an empty slice on a pooled array of pooledFrames.
func (s *Server) getFrames() []h2Frame {
	if a, ok := s.frames.Get().(*[pooledFrames]h2Frame); ok {
		return a[:0]
	}
	return new([pooledFrames]h2Frame)[:0]
}

// putFrames gives f's array back, if it is one of pooledFrames (f was
// never resliced but from its start, and holds nothing past its length:
// the writer clears what it takes); f must not be used afterwards.
func (s *Server) putFrames(f []h2Frame) {
	if cap(f) == pooledFrames {
		clear(f)
		s.frames.Put((*[pooledFrames]h2Frame)(f[:pooledFrames]))
	}
}

// getWriter returns a 16 KiB buffered writer to w; give it back with
// putWriter.
func (s *Server) getWriter(w io.Writer) *bufio.Writer {
	if bw, ok := s.writers.Get().(*bufio.Writer); ok {
		bw.Reset(w)
		return bw
	}
	return bufio.NewWriterSize(w, 16<<10)
}

// putWriter gives bw back, whatever it still holds dropped.
func (s *Server) putWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	s.writers.Put(bw)
}
