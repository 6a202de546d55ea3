package connector

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/h1"
	"github.com/wharf-go/wharf/internal/rate"
)

type bodyKind uint8

const (
	bodyNone bodyKind = iota
	bodyLength
	bodyChunked
)

// body is the state of one request body, read from the connection's read
// buffer and socket through the stream's reqBody. Its mutex makes a read
// from a goroutine the handler started safe against the connection reusing
// its buffer once the response is finished: after settle, reads fail. It
// lives inside the stream; what only a body with bytes to read needs is in
// x, allocated for such a request alone, so a request without one (most:
// every GET) waits in a smaller stream.
type body struct {
	mu       sync.Mutex
	kind     bodyKind
	settled  bool
	closed   bool  // the handler's Close: its reads fail from now on
	nonblock bool  // TryRead is reading: never wait
	err      error // sticky: io.EOF once fully read
	x        *bodyRead
}

// reqBody is the stream seen as its request's body (RequestHead.Body): a
// view of the same memory with the body's methods alone, so that a body
// reaches its stream without a pointer back, and a handler that inspects
// the Body finds none of the stream's.
type reqBody stream

// rbody returns s as its request's body.
func (s *stream) rbody() *reqBody { return (*reqBody)(s) }

// bodyRead is the state of a body with bytes to read (bodyLength,
// bodyChunked).
type bodyRead struct {
	remaining int64              // bodyLength: bytes still to read
	dec       *h1.ChunkedDecoder // bodyChunked only
	n, max    int64              // read so far, limit (-1 none)
	trailer   http.Header

	// What bounds a wait for the client: ReadTimeout per wait (rto), the
	// minimum data rate, and a deadline for the whole body (until: the
	// first read plus ReadBodyTimeout, or the discard's DiscardTimeout).
	rto   time.Duration
	total time.Duration // ReadBodyTimeout; 0: none
	until time.Time
	rate  rate.Meter

	// stalled says what is buffered of a chunked body was decoded as far
	// as it goes: the rest of a framing line must come before a read can
	// return anything (NotifyReadable). Under the body's lock.
	stalled bool

	discarding bool  // discardNB began
	discarded  int64 // bytes discardNB dropped
	// drainBy is when the epoll connector gives up discarding the body
	// (conn.drain), on the selector's clock; the connection's owner's.
	drainBy time.Duration

	// mu100 orders "100 Continue", sent by the first body read on any
	// goroutine, before the response head: WriteHead marks headSent
	// under it, and continue100 sends only while the head is unsent. Only
	// a request with content to invite has one to send, so it lives here.
	mu100 sync.Mutex
}

var (
	errBodySettled = fmt.Errorf("connector: request body read after the response finished: %w", api.ErrCompleted)
	errBodyBusy    = errors.New("connector: request body still being read after the response finished")
	errBodyClosed  = errors.New("connector: request body read after its Close")
)

// Read implements io.Reader.
func (rb *reqBody) Read(p []byte) (int, error) {
	n, err := rb.readAs(p, false)
	// A Content-Length body ends at its last byte (readAs), which a
	// reader of exactly that many bytes gets without io.EOF.
	if pio, ok := rb.c.io.(*portableIO); ok && (err == io.EOF || err == nil && rb.body.kind == bodyLength && rb.ended()) {
		pio.armWatch() // the socket is the hang-up watch's now
	}
	return n, err
}

// readAs is Read, or with nonblock TryRead: it never waits and answers
// api.ErrWouldBlock (not sticky) when nothing can be read now.
func (rb *reqBody) readAs(p []byte, nonblock bool) (int, error) {
	s, b := (*stream)(rb), &rb.body
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.settled || b.x != nil && b.x.discarding {
		// Discarding, the epoll connector's selector reads the rest of
		// the body from the idle connection (drainNB): the response has
		// finished, and the socket and the read buffer are not the
		// handler's to read now.
		return 0, errBodySettled
	}
	if b.closed {
		return 0, errBodyClosed
	}
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := s.continue100(); err != nil {
		b.err = err
		return 0, err
	}
	b.nonblock = nonblock
	n, err := rb.read(p)
	b.nonblock = false
	if nonblock && errors.Is(err, api.ErrWouldBlock) {
		return n, err // more may come
	}
	if x := b.x; x != nil {
		x.n += int64(n)
		if x.max >= 0 && x.n > x.max {
			// The bytes past the limit are not handed over with the
			// error: a reader that has what it looked for in them (a
			// multipart body's final delimiter) stops before the next
			// read, and would take a body over the limit for a whole one.
			n -= int(x.n - x.max)
			x.n = x.max
			s.bodyClose.Store(true)
			err = api.ErrBodyTooLarge
		}
	}
	if err == nil && b.kind == bodyLength && b.x.remaining == 0 {
		// The last byte is read: the body ends now, not at a next read
		// that a reader of exactly Content-Length bytes (io.ReadFull)
		// never makes. Whoever asks whether it ended (NotifyReadable,
		// done, ended) would otherwise wait for bytes the client never
		// sends: a read listener set then never got OnAllDataRead.
		b.err = io.EOF
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

func (rb *reqBody) read(p []byte) (int, error) {
	s, b := (*stream)(rb), &rb.body
	c, x := s.c, b.x
	switch b.kind {
	case bodyNone:
		return 0, io.EOF
	case bodyLength:
		if x.remaining == 0 {
			return 0, io.EOF
		}
		if int64(len(p)) > x.remaining {
			p = p[:x.remaining]
		}
		if c.w == c.r {
			// Nothing buffered: read straight into p.
			n, err := rb.fill(p)
			x.remaining -= int64(n)
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		n := copy(p, c.rbuf[c.r:c.w])
		c.r += int32(n)
		x.remaining -= int64(n)
		return n, nil
	case bodyChunked:
		x.stalled = false
		for {
			if c.w > c.r {
				n, consumed, done, err := x.dec.Read(p, c.rbuf[c.r:c.w])
				if err != nil {
					s.bodyClose.Store(true)
					// The decoder's status: 400 for framing, 431 for a
					// trailer section past the head's limits.
					code := http.StatusBadRequest
					if e, ok := err.(*h1.Error); ok {
						code = e.Status
					}
					return 0, &api.StatusError{Code: code, Err: err}
				}
				c.r += int32(consumed)
				if done {
					x.trailer = h1.TrailerHeader(x.dec.Trailers)
					return n, io.EOF
				}
				if n > 0 {
					return n, nil
				}
				if consumed > 0 {
					continue
				}
			}
			// Until more comes, what is buffered decodes to nothing.
			x.stalled = true
			if !c.makeRoom(math.MaxInt) { // a framing line may outgrow the buffer
				// Never with the decoder's limits (a chunk line's, the
				// trailers' MaxHeaderBytes) below the buffer's 2 GiB.
				s.bodyClose.Store(true)
				return 0, &api.StatusError{Code: http.StatusBadRequest, Err: h1.ErrBadChunk}
			}
			n, err := rb.fill(c.rbuf[c.w:])
			c.w += int32(n)
			x.stalled = n == 0
			if n == 0 && err != nil {
				if err == io.EOF {
					// The client went away mid-body: a 400, as for a
					// Content-Length body, not a server failure.
					s.bodyClose.Store(true)
					err = &api.StatusError{Code: http.StatusBadRequest, Err: io.ErrUnexpectedEOF}
				}
				return 0, err
			}
		}
	}
	return 0, io.EOF
}

// TryRead implements api.NonBlockingReader on the epoll connector: it
// reads what is buffered or waiting in the socket and returns
// api.ErrWouldBlock instead of waiting. The portable connector answers
// api.ErrNotSupported.
func (rb *reqBody) TryRead(p []byte) (int, error) {
	s := (*stream)(rb)
	if _, ok := s.c.io.(*portableIO); ok {
		return 0, api.ErrNotSupported // not even what is buffered: one answer
	}
	return rb.readAs(p, true)
}

// NotifyReadable implements api.NonBlockingReader: f runs once when the
// body may be read further. It runs at once when a read would not wait:
// bytes are here, or the body is over (read to its end, failed, or settled
// with the response, or being discarded since, when the connection may be
// reading its next request into the same buffer: what is here then is not
// this body's).
func (rb *reqBody) NotifyReadable(f func()) {
	s, b := (*stream)(rb), &rb.body
	c := s.c
	b.mu.Lock() // c.r and c.w move under it while the body is read
	// Buffered bytes of a chunked body may be framing cut short, which a
	// read cannot get past: called back at once, a listener that reads,
	// finds nothing and asks again would spin until the client sends more.
	now := b.settled || b.closed || b.err != nil || b.kind == bodyNone || b.x.discarding ||
		c.w > c.r && (b.kind != bodyChunked || !b.x.stalled)
	if !now {
		// A client that sent "Expect: 100-continue" sends nothing
		// until it is invited: waiting for its bytes is a read, so
		// invite it as the first Read does.
		if err := s.continue100(); err != nil {
			b.err = err
			now = true
		}
	}
	b.mu.Unlock()
	if now {
		f()
		return
	}
	c.io.notifyReadable(f)
}

// fill reads from the socket within the read timeout, the body's deadline
// and its data rate.
func (rb *reqBody) fill(p []byte) (int, error) {
	s, b := (*stream)(rb), &rb.body
	c, x := s.c, b.x
	var n int
	var err error
	slow := false
	if b.nonblock {
		// No wait, so no timeout; but the client leaving mid-body is said
		// as a blocking read says it (below): a bare io.EOF would end a
		// Content-Length body short as if it were whole.
		if n, err = c.io.tryRead(p); errors.Is(err, api.ErrWouldBlock) {
			return n, err
		}
	} else {
		start := time.Now()
		if x.until.IsZero() && x.total > 0 {
			x.until = start.Add(x.total)
		}
		var to time.Duration
		to, slow = x.rate.Timeout(x.rto)
		if !x.until.IsZero() {
			if left := x.until.Sub(start); to <= 0 || left < to {
				to, slow = max(left, time.Nanosecond), true
			}
		}
		n, err = c.io.read(p, to)
		x.rate.Waited(time.Since(start))
		x.rate.Moved(n)
	}
	switch {
	case err == nil || n > 0:
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.bodyClose.Store(true)
		err = os.ErrDeadlineExceeded // without the socket's addresses (see below)
		if slow {
			err = fmt.Errorf("%w: %w", ErrTooSlow, err)
		}
		err = &api.StatusError{Code: http.StatusRequestTimeout, Err: err}
	case err == io.EOF && b.kind == bodyChunked:
		// the caller turns it into ErrUnexpectedEOF
	default:
		// The client went away mid-body: a 400, not a server failure.
		s.bodyClose.Store(true)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		// A status under 500 says its error to the client (the
		// container's answer does): the portable connector's read
		// errors are *net.OpError, whose text names the server's
		// address, which a client behind a proxy must not learn.
		var oe *net.OpError
		if errors.As(err, &oe) {
			err = oe.Err
		}
		err = &api.StatusError{Code: http.StatusBadRequest, Err: err}
	}
	return n, err
}

// Close stops further reads by the handler, as net/http's body's Close
// does and HTTP/2's: each fails with errBodyClosed. The rest is the
// connection's: once the response is finished it discards it (settle,
// discardNB, which read beneath this), or closes.
func (rb *reqBody) Close() error {
	b := &rb.body
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}

// settle ends the body's life when the response is finished: it reads and
// discards up to max unread bytes so the next request can be parsed, and
// reports whether the connection can be kept alive.
func (rb *reqBody) settle(max int64) bool {
	s, b := (*stream)(rb), &rb.body
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.settled {
		return b.err == io.EOF || b.kind == bodyNone
	}
	keep := true
	if b.err == nil && b.kind != bodyNone {
		if s.expect100 && !s.sent100 {
			keep = false // the client may never send the body it was not invited to
		} else {
			rb.startDiscard()
			var buf [4096]byte
			var discarded int64
			for b.err == nil {
				n, err := rb.read(buf[:])
				discarded += int64(n)
				if err != nil {
					b.err = err
				}
				if discarded > max {
					keep = false
					break
				}
			}
			if b.err != io.EOF {
				keep = false
			}
		}
	} else if b.err != nil && b.err != io.EOF {
		keep = false
	}
	b.settled = true
	return keep
}

// unread reports whether the client may still be sending the body: it was
// not read to its end. (If the connection failed instead, a linger ends at
// its first read.) A goroutine of the handler reading it now counts as
// unread.
func (rb *reqBody) unread() bool {
	b := &rb.body
	if b.kind == bodyNone {
		return false
	}
	if !b.mu.TryLock() {
		return true
	}
	defer b.mu.Unlock()
	return b.err != io.EOF
}

// overDiscard reports whether more than max bytes of the body are known
// to be left unread, so that settling it will not keep the connection. It
// never waits: a goroutine of the handler still reading the body may read
// the rest, and counts as not over.
func (rb *reqBody) overDiscard(max int64) bool {
	b := &rb.body
	if b.kind != bodyLength || !b.mu.TryLock() {
		return false // a chunked body's rest is not known before it is read
	}
	defer b.mu.Unlock()
	return !b.settled && b.err == nil && b.x.remaining > max
}

// mayDrain reports whether the unread rest of the body may be discarded
// to keep the connection (see afterResponse and settle).
func (s *stream) mayDrain() bool {
	if s.aborted || s.closeAfter || s.werr != nil || s.bodyClose.Load() || s.c.srv.shutting.Load() {
		return false
	}
	return !s.expect100 || s.sent100 // the client may never send a body it was not invited to
}

// startDiscard bounds the discarding that begins: DiscardTimeout from now,
// or sooner if the body's deadline says so. b.mu is held.
func (rb *reqBody) startDiscard() {
	s, b := (*stream)(rb), &rb.body
	x := b.x
	if d := s.c.srv.limits().DiscardTimeout; x.until.IsZero() || time.Until(x.until) > d {
		x.until = time.Now().Add(d)
	}
}

// discardNB reads and drops what is here of the unread body, without
// waiting. done says the body's life is over (settled): read to its end
// (then the connection may carry on), or past what may be discarded, or
// broken. Otherwise err is errWouldBlock: more must come first, by until;
// or errBodyBusy: a goroutine of the handler is still reading the body,
// after the response, and the connection cannot be kept.
func (rb *reqBody) discardNB(max int64) (done bool, until time.Time, err error) {
	b := &rb.body
	if !b.mu.TryLock() {
		return false, until, errBodyBusy
	}
	defer b.mu.Unlock()
	x := b.x
	if x == nil { // no body: nothing to discard
		b.settled = true
		return true, until, nil
	}
	if !b.settled && !x.discarding {
		x.discarding = true
		rb.startDiscard()
	}
	until = x.until
	var buf [4096]byte
	for !b.settled && b.err == nil && x.discarded <= max && time.Now().Before(x.until) {
		b.nonblock = true
		n, err := rb.read(buf[:])
		b.nonblock = false
		x.discarded += int64(n)
		if errors.Is(err, api.ErrWouldBlock) {
			return false, until, errWouldBlock
		}
		if err != nil {
			b.err = err
		}
	}
	b.settled = true
	return true, until, nil
}

// done reports whether nothing of the body is left to read. It never waits:
// a reader holding a body with bytes (maybe waiting for the client) means
// not done.
func (rb *reqBody) done() bool {
	b := &rb.body
	if b.kind == bodyNone {
		// Set before the request was dispatched and never changed, so no
		// lock is needed to read it. Whoever holds the lock of a body
		// without bytes (a NotifyReadable or a Read from another
		// goroutine, both answered at once) touches nothing of the
		// connection's: it need not be closed for it.
		return true
	}
	if !b.mu.TryLock() {
		return false
	}
	defer b.mu.Unlock()
	return b.err != nil || b.settled
}

// Trailer returns the trailers once the chunked body was read to its end.
func (rb *reqBody) Trailer() http.Header {
	b := &rb.body
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.x == nil || b.x.trailer == nil {
		return http.Header{}
	}
	return b.x.trailer
}
