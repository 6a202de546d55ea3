package http2

import (
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/rate"
)

// requestBody is an HTTP/2 request body: the reader goroutine pushes DATA into
// it, the handler reads it, and what is read is given back to the client as
// flow-control window. The stream's receive window bounds what it holds.
//
// Goroutines: push, end and fail are the reader's (fail also the stream's
// resetter); Read, TryRead, NotifyReadable and Close any one goroutine of
// the handler's at a time.
type requestBody struct {
	st *stream

	mu      sync.Mutex
	buf     []byte // unread bytes are buf[r:]
	r       int
	eof     bool
	err     error // the stream failed
	closed  bool  // the handler is done with it: what arrives is dropped
	trailer http.Header
	ready   chan struct{} // a Read waits on it; made on the first wait
	notify  func()        // NotifyReadable's callback
	n, max  int64         // bytes received, limit (-1 none)
	late    bool          // a read timed out: the client is slow, and the stream ends with the response

	// The reading goroutine's own.
	rate    rate.Meter // MinRequestDataRate
	until   time.Time  // ReadBodyTimeout's end, from the first read
	invited bool       // the first read asked for the body (stream.continue100)
}

var _ api.NonBlockingReader = (*requestBody)(nil)

// push appends DATA bytes; false if they are dropped (the body was closed,
// failed or grew past its limit), in which case the caller gives their
// window back.
func (b *requestBody) push(p []byte) bool {
	b.mu.Lock()
	if b.closed || b.err != nil {
		b.mu.Unlock()
		return false
	}
	b.n += int64(len(p))
	if b.max >= 0 && b.n > b.max {
		b.err = api.ErrBodyTooLarge
		b.buf, b.r = nil, 0
		f := b.wakeLocked()
		b.mu.Unlock()
		if f != nil {
			f()
		}
		return false
	}
	if b.r > 0 && b.r == len(b.buf) {
		b.buf, b.r = b.buf[:0], 0
	} else if b.r > 0 && len(b.buf)+len(p) > cap(b.buf) {
		n := copy(b.buf, b.buf[b.r:])
		b.buf, b.r = b.buf[:n], 0
	}
	b.buf = append(b.buf, p...)
	f := b.wakeLocked()
	b.mu.Unlock()
	if f != nil {
		f()
	}
	return true
}

// end marks the end of the body.
func (b *requestBody) end() {
	b.mu.Lock()
	b.eof = true
	f := b.wakeLocked()
	b.mu.Unlock()
	if f != nil {
		f()
	}
}

// fail makes reads fail with err (if the body has not ended).
func (b *requestBody) fail(err error) {
	b.mu.Lock()
	if !b.eof && b.err == nil {
		b.err = err
	}
	f := b.wakeLocked()
	b.mu.Unlock()
	if f != nil {
		f()
	}
}

func (b *requestBody) setTrailer(h http.Header) {
	b.mu.Lock()
	b.trailer = h
	b.mu.Unlock()
}

// Trailer returns the request's trailers once the body is read.
func (b *requestBody) Trailer() http.Header {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.eof {
		return nil
	}
	return b.trailer
}

// wakeLocked signals a waiting Read and returns a NotifyReadable callback
// to call outside the lock.
func (b *requestBody) wakeLocked() func() {
	if b.ready != nil {
		select {
		case b.ready <- struct{}{}:
		default:
		}
	}
	f := b.notify
	b.notify = nil
	return f
}

// Read implements io.Reader. A read that waits for the client waits at
// most ReadTimeout, and less when the body comes slower than
// MinRequestDataRate or would not end within ReadBodyTimeout, as on
// HTTP/1.1: then it fails with a 408 (wrapping connector.ErrTooSlow for
// the last two), and so do the reads after it.
func (b *requestBody) Read(p []byte) (int, error) { return b.read(p, false) }

// TryRead implements api.NonBlockingReader.
func (b *requestBody) TryRead(p []byte) (int, error) { return b.read(p, true) }

func (b *requestBody) read(p []byte, nonblock bool) (n int, err error) {
	if b.st.expect100 && !b.invited {
		b.invited = true
		b.st.continue100()
	}
	lim := &b.st.hc.lim
	if lim.ReadBodyTimeout > 0 && b.until.IsZero() {
		b.until = time.Now().Add(lim.ReadBodyTimeout)
	}
	var timer *time.Timer
	var waitStart time.Time
	slow := false
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		if !waitStart.IsZero() {
			b.rate.Waited(time.Since(waitStart))
			b.st.waitEnds()
		}
		b.rate.Moved(n)
	}()
	for {
		b.mu.Lock()
		switch {
		case b.closed:
			b.mu.Unlock()
			return 0, errBodySettled
		case b.r < len(b.buf):
			if len(p) == 0 {
				b.mu.Unlock()
				return 0, nil
			}
			n = copy(p, b.buf[b.r:])
			b.r += n
			if b.r == len(b.buf) {
				b.buf, b.r = b.buf[:0], 0
				if cap(b.buf) > 16<<10 {
					b.buf = nil // a burst's buffer is not kept while the handler waits for more
				}
			}
			b.mu.Unlock()
			b.st.consumed(n)
			return n, nil
		case b.err != nil:
			err := b.err
			b.mu.Unlock()
			return 0, err
		case b.eof:
			b.mu.Unlock()
			return 0, io.EOF
		case nonblock:
			b.mu.Unlock()
			return 0, api.ErrWouldBlock
		}
		if b.ready == nil {
			b.ready = make(chan struct{}, 1)
		}
		ready := b.ready
		b.mu.Unlock()
		if waitStart.IsZero() {
			waitStart = time.Now()
			var d time.Duration
			d, slow = b.rate.Timeout(lim.ReadTimeout)
			if !b.until.IsZero() {
				if left := b.until.Sub(waitStart); d <= 0 || left < d {
					d, slow = max(left, time.Nanosecond), true
				}
			}
			if d > 0 {
				timer = time.NewTimer(d)
			}
			b.st.waitBegins()
		}
		var expired <-chan time.Time
		if timer != nil {
			expired = timer.C
		}
		select {
		case <-ready:
		case <-expired:
			return 0, b.timedOut(slow)
		}
	}
}

// timedOut makes the body fail as a read that waited too long: a 408,
// whose cause is the data rate or ReadBodyTimeout when slow, else
// ReadTimeout.
func (b *requestBody) timedOut(slow bool) error {
	cause := os.ErrDeadlineExceeded
	if slow {
		cause = errH2SlowBody
	}
	err := &api.StatusError{Code: http.StatusRequestTimeout, Err: cause}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil && !b.eof && !b.closed {
		b.err = err
	}
	b.late = true
	return err
}

// timedOutRead reports whether a read of the body timed out.
func (b *requestBody) timedOutRead() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.late
}

// NotifyReadable implements api.NonBlockingReader.
func (b *requestBody) NotifyReadable(f func()) {
	b.mu.Lock()
	if b.r < len(b.buf) || b.eof || b.err != nil || b.closed {
		b.mu.Unlock()
		f()
		return
	}
	b.notify = f
	b.mu.Unlock()
}

// drop empties the buffer and returns how many unread bytes it held.
func (b *requestBody) drop() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.buf) - b.r
	b.buf, b.r = nil, 0
	return n
}

// Close implements io.Closer: the rest of the body is dropped.
func (b *requestBody) Close() error {
	b.close()
	return nil
}

// close drops what is buffered and what still arrives, giving its window
// back.
func (b *requestBody) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	n := len(b.buf) - b.r
	b.buf, b.r = nil, 0
	f := b.wakeLocked()
	b.mu.Unlock()
	if n > 0 {
		b.st.consumed(n)
	}
	if f != nil {
		f()
	}
}
