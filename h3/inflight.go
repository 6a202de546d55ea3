package h3

import (
	"context"
	"net/http"
	"sync"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// inflight counts the requests quic-go's server handed to limitHandler
// and that have not returned from it, for the container's Shutdown: the
// container counts a request only once its ServeHTTP has built it, and
// before that, while limitHandler checks the head, the request is
// nobody's. Shutdown, finding the container idle, would return with such
// a request about to run, and the process exit under it.
//
// So Shutdown waits here too, and, once no request is left, closes the
// gate: a request that reaches limitHandler after that is refused with
// H3_REQUEST_REJECTED, which tells the client that it was not processed
// and may be retried (RFC 9114 §4.1.1), as the server may refuse a
// request on a stream below its GOAWAY's ID that it did not process (RFC
// 9114 §5.2). Such a request is one whose stream quic-go took before its
// GOAWAY but whose HEADERS it had not read yet, or one quic-go took
// before it had sent the GOAWAY at all. Every request is thus served
// with Shutdown waiting for it, or refused. The zero value takes
// requests.
type inflight struct {
	mu     sync.Mutex
	n      int
	closed bool          // no request is taken any more
	idle   chan struct{} // closed when n falls to 0; nil when no one waits
}

// enter counts a request in, or reports false once the gate is closed.
func (f *inflight) enter() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.n++
	return true
}

// exit counts out a request enter let in.
func (f *inflight) exit() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 && f.idle != nil {
		close(f.idle)
		f.idle = nil
	}
}

// drain waits until no request is in, then closes the gate, or closes
// it when ctx is done first (a request still in runs on, Close's to end)
// and returns ctx's error. The gate is closed under the lock that enter
// takes: a request is counted before it, and waited for, or refused.
func (f *inflight) drain(ctx context.Context) error {
	for {
		f.mu.Lock()
		if f.n == 0 {
			f.closed = true
			f.mu.Unlock()
			return nil
		}
		if f.idle == nil {
			f.idle = make(chan struct{})
		}
		idle := f.idle
		f.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			f.close()
			return ctx.Err()
		}
	}
}

// close closes the gate without waiting.
func (f *inflight) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}

// reject resets a request's stream both ways with H3_REQUEST_REJECTED:
// the client may retry the request, on a new connection (quic-go's
// client does). w is quic-go's writer, untouched: the stream is taken
// from it before anything was sent.
func reject(w http.ResponseWriter) {
	if hs, ok := w.(http3.HTTPStreamer); ok {
		if s, err := hs.HTTPStream(); err == nil {
			s.CancelRead(quic.StreamErrorCode(http3.ErrCodeRequestRejected))
			s.CancelWrite(quic.StreamErrorCode(http3.ErrCodeRequestRejected))
			return
		}
	}
	// Not quic-go's writer: a reset all the same, though one whose code
	// does not say the request was left alone.
	panic(http.ErrAbortHandler)
}
