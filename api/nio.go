package api

import (
	"os"
	"time"
)

// NonBlockingReader is implemented by request bodies that can be read
// without blocking. The epoll connector's bodies implement it; async's read
// listeners use it when it is there and fall back to a reading goroutine
// when it is not.
type NonBlockingReader interface {
	// TryRead reads what is available now. It returns ErrWouldBlock when
	// nothing is, io.EOF at the end, and ErrNotSupported if this body
	// cannot be read without blocking after all (the caller falls back).
	TryRead(p []byte) (int, error)
	// NotifyReadable arranges for f to be called once, from any goroutine,
	// when TryRead may make progress (bytes, the end or an error). f must
	// not block.
	NotifyReadable(f func())
}

// NonBlockingWriter is implemented by responses that can be written
// without blocking the calling goroutine: on the epoll connector's
// cleartext HTTP/1.1 connections, a body written through it holds no
// goroutine while a slow client reads, and a file goes out with
// sendfile(2), never copied through user space. Find it with As; then
// NonBlocking says whether this response's connection supports it (other
// protocols and connectors answer false, and the other methods return
// ErrNotSupported): write with the blocking methods there.
//
// The methods belong to the request's serialized tasks, like the rest of
// the Response: call them from a task (async.Context.Dispatch), never
// from the function given to NotifyWritable, which should only dispatch
// the task that writes next. Each commits the head first if it is not
// sent yet (the status and header fields set so far, Content-Length
// included), with the bytes buffered by Write before it. Body bytes, or a
// file section, given while the status is 204 or 304 are refused as
// Response.Write refuses them, before the head is sent.
type NonBlockingWriter interface {
	// NonBlocking reports whether the other methods work on this
	// response's connection.
	NonBlocking() bool
	// WriteNow takes all of p (copied) behind the bytes not yet sent and
	// writes what the connection takes now. ready reports that nothing is
	// left unsent; when it is false, write nothing more until the function
	// given to NotifyWritable has been called.
	WriteNow(p []byte) (ready bool, err error)
	// SendFileNow sends the bytes not yet sent, then up to n bytes of f
	// from offset off, as far as the connection takes them now, and
	// returns how many bytes of the file went: fewer than n (maybe none)
	// means wait for NotifyWritable and call again for the rest. The
	// response must declare its Content-Length. f's own offset is not
	// used or moved, and f must stay open until the call returns.
	SendFileNow(f *os.File, off, n int64) (int64, error)
	// NotifyWritable calls f once, from any goroutine, when the connection
	// may take more bytes, or has failed (the next write reports the
	// error). f must not block. The wait is bounded by the connection's
	// write timeout and minimum data rate: past them the connection is
	// closed and f called.
	NotifyWritable(f func())
}

// BlockingWrites is embedded by a response wrapper that changes the body
// on its way (compression, an include's rules): As finds the wrapper's
// NonBlockingWriter first, which reports false, so that writers use the
// wrapper's Write rather than going around it to the connection.
type BlockingWrites struct{}

var _ NonBlockingWriter = BlockingWrites{}

// NonBlocking reports false.
func (BlockingWrites) NonBlocking() bool { return false }

// WriteNow returns ErrNotSupported.
func (BlockingWrites) WriteNow([]byte) (bool, error) { return false, ErrNotSupported }

// SendFileNow returns ErrNotSupported.
func (BlockingWrites) SendFileNow(*os.File, int64, int64) (int64, error) {
	return 0, ErrNotSupported
}

// NotifyWritable calls f at once.
func (BlockingWrites) NotifyWritable(f func()) { f() }

// A Tunnel is an HTTP/1.1 connection its handler took over to speak
// another protocol on it (package websocket does), read and written
// without blocking: readiness is told by callbacks, so a connection that
// waits for its peer holds no goroutine and no buffer. Find a Tunneler
// with As; where it is missing or says ErrNotSupported, Hijack gives a
// net.Conn instead.
//
// TryRead and NotifyReadable belong to one reader at a time, WriteNow and
// NotifyWritable to one writer at a time (the reader and the writer may
// be different goroutines). Execute and Close may be called from any
// goroutine.
type Tunnel interface {
	// TryRead reads what is there now: the bytes the connector read past
	// the request head first. It returns ErrWouldBlock when nothing is,
	// and io.EOF once the peer closed its side.
	TryRead(p []byte) (int, error)
	// NotifyReadable calls f once, on any goroutine, when TryRead may make
	// progress (bytes, the end, an error). f must not block.
	NotifyReadable(f func())
	// WriteNow writes what of p the connection takes now and reports how
	// much: fewer than len(p), maybe none, means wait for NotifyWritable
	// before writing the rest. p is not kept.
	WriteNow(p []byte) (int, error)
	// NotifyWritable calls f once, on any goroutine, when the connection
	// may take more bytes or has failed; f must not block. A wait longer
	// than timeout (> 0) breaks the connection, calls f, and the next
	// write fails with an error wrapping os.ErrDeadlineExceeded.
	NotifyWritable(f func(), timeout time.Duration)
	// Execute runs f on the server's executor, where it may block.
	Execute(f func())
	// Close closes the connection. A callback still waiting may be called
	// after it, or not; later calls do nothing.
	Close() error
}

// Tunneler is implemented by a Response whose connection can become a
// Tunnel: the epoll connector's HTTP/1.1 connections, cleartext or TLS
// (whose writes are encrypted and, what the socket does not take at once,
// kept until it drains: WriteNow then takes nothing more). Tunnel must
// come before anything is written (unlike Hijack, it is refused with
// ErrCommitted once the head went), and the Response returns ErrHijacked
// afterwards; the handler writes its own answer (a 101) on the Tunnel. Elsewhere Tunnel returns ErrNotSupported, taking
// nothing.
type Tunneler interface {
	Tunnel() (Tunnel, error)
}
