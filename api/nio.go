package api

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
