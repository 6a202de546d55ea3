package api

import "os"

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
// included), with the bytes buffered by Write before it.
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
