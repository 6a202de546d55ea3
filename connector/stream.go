package connector

import (
	"bufio"
	"net"
	"net/http"

	"github.com/wharf-go/wharf/api"
)

// Stream is one request/response exchange on a connection, as the container
// sees it.
//
// Goroutines: the methods are called by the exchange's serialized task,
// never concurrently, but not always from the goroutine that received the
// Stream: a suspended request is finished by whichever goroutine runs its
// last task.
//
// A Stream whose I/O must not park on the goroutine that runs the first
// dispatch (the epoll connector runs NonBlocking handlers on its event
// loop) implements dispatcher.Yielder: the container passes it the Yield
// the request's engine makes once per suspend, which lifts that rule so
// that goroutines the handler hands the request to may wait; the
// request's later work then goes to the executor, never back to the
// event loop.
type Stream interface {
	// Request returns the parsed request head. Its Body reads this stream's
	// request body.
	Request() *api.RequestHead
	// WriteHead sends (or buffers) the response status line and header.
	// contentType, if not empty, is the Content-Type field, which h then
	// does not hold: a response whose type is its only field (set with
	// api.SetContentType, or sniffed) comes with a nil h, so that no map
	// is made for it. The stream only reads h. contentLength is the body
	// length if known, or -1 to stream it (chunked on HTTP/1.1). trailers
	// lists the trailer keys to announce.
	WriteHead(status int, contentType string, h http.Header, contentLength int64, trailers []string) error
	// WriteBody sends body bytes after WriteHead. The stream may buffer them.
	WriteBody(p []byte) error
	// Flush sends anything buffered.
	Flush() error
	// Finish ends the response, sending trailers if any; the connection may
	// then serve its next request. It is called once, after WriteHead.
	// From then on, as after Abort, WriteHead, WriteBody, Flush, Hijack
	// and Tunnel touch nothing and return api.ErrCompleted on HTTP/1.1
	// (HTTP/2's stream refuses the writes too): the connection may be
	// the next request's.
	Finish(trailers http.Header) error
	// Abort ends the exchange without a complete response: the connection is
	// closed. It is used when a committed response fails.
	Abort(err error)
	// Hijack hands over the connection (HTTP/1.1 only); after it the stream
	// is inert, and the connection leaves the server's books at once, as
	// on net/http's server: Stats, MaxConnections and Shutdown no longer
	// count it, though the handler that took it runs on. After WriteHead
	// it first sends what the stream holds of the response (the head, a
	// part of the body), as net/http's Hijack flushes it. Other protocols
	// return api.ErrNotSupported. That send may block; for a NonBlocking
	// handler run on the epoll selector it may not, so when the socket is
	// full Hijack fails, as Flush does there, with part of it sent and
	// the connection closed after the handler. Such a handler sends first
	// (NonBlockingWriter's WriteBodyNow, waiting with NotifyWritable
	// while it reports bytes held) and hijacks with nothing held.
	Hijack() (net.Conn, *bufio.ReadWriter, error)
	// Watch registers w to hear that the client went away while the
	// request is suspended, and where the connector can tell (HTTP/2;
	// HTTP/1.1, for a HangupWatcher), while its handler runs. The
	// portable connector hears it only while the handler's dispatch runs
	// and once the request's body was read to its end: a suspended
	// request holds no goroutine there, so nothing reads its connection,
	// and w is kept but never called.
	Watch(w Watcher)
}

// Watcher is told when the client of a suspended request goes away. The
// container implements it to fail the request (OnError, then completion).
// ClientGone is called on whichever goroutine heard the client go (the
// epoll selector, the goroutine of the server's Close, the portable
// connector's hang-up watch, HTTP/2's connection), concurrently with the
// request's tasks, or within Watch when the client is gone already: it
// must be safe for that, and return at once (it may run on the selector).
type Watcher interface {
	ClientGone(err error)
}

// A HangupWatcher is a Watcher that also hears, while the handler runs,
// that an HTTP/1.1 client closed its side of the connection or reset it,
// through the Watcher Hangup returns: on the epoll connector; on the
// portable one while the dispatch runs (not while suspended), once the
// body was read to its end and the handler ran past a millisecond
// without answering, as net/http's server hears it with a read of one
// byte begun once the body is read. The request is not failed for it: a
// client may close only its sending side and still read the answer,
// which net/http's server sends it. The container ends the request's
// context, as net/http's server does.
type HangupWatcher interface {
	Watcher
	Hangup() Watcher
}

// Handler serves streams: the container implements it.
type Handler interface {
	// ServeStream starts the exchange for s on the calling goroutine and may
	// return before the response is finished.
	ServeStream(s Stream)
}
