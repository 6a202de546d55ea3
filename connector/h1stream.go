package connector

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/h1"
	"github.com/wharf-go/wharf/internal/rate"
	"github.com/wharf-go/wharf/internal/timerwheel"
)

// stream is the HTTP/1.1 Stream: one request and its response on a conn.
type stream struct {
	c        *conn
	req      api.RequestHead
	body     body
	prepared Prepared // mapped by the Handler, to start (epoll: see Preparer)
	handoff  handoff  // who continues the connection (state.go)
	// bodyClose is closeAfter as decided by a body read, which may happen
	// on a goroutine of the handler while the response is written.
	bodyClose atomic.Bool

	// The small fields sit together, so that a waiting request's stream
	// fits a smaller size class.
	minor      uint8
	rejected   uint16 // a status to answer without dispatching (413)
	isHead     bool
	expect100  bool
	sent100    bool
	closeAfter bool // the connection closes after this response
	headSent   bool
	noBody     bool // HEAD, 1xx, 204, 304: body bytes are not sent
	chunked    bool
	finished   bool
	aborted    bool
	hijacked   bool
	tunneled   bool // hijacked as an api.Tunnel: the socket stays with its selector
	waitSlow   bool // the data rate, not WriteTimeout, bounds the wait that began at waitStart

	length  int64 // declared Content-Length, -1 if none
	written int64
	werr    error
	watcher Watcher
	// writeTimeout and out bound each write's wait: WriteTimeout, and
	// the response's MinResponseDataRate (outTimeout). The writer owns
	// out; the limits are the server's, read where they are needed
	// rather than kept in every stream.
	out rate.Usage
	// waitStart is when a non-blocking write began waiting for the
	// client (NotifyWritable), on the connection's clock (nbIO.clock),
	// zero for none; the writer owns it.
	waitStart time.Duration
}

// writeTimeout bounds each write's wait for the client: the server's
// WriteTimeout, read where it is needed rather than kept in every stream.
func (s *stream) writeTimeout() time.Duration {
	return s.c.srv.limits().WriteTimeout
}

// outTimeout is how long a write of k bytes may wait for the client:
// WriteTimeout, or less when the response's data rate falls below
// MinResponseDataRate first (slow). The writer calls it.
func (s *stream) outTimeout(k int) (to time.Duration, slow bool) {
	lim := s.c.srv.limits()
	return s.out.TimeoutUnder(lim.MinResponseDataRate, lim.DataRateGrace, k, lim.WriteTimeout)
}

var (
	_ Stream             = (*stream)(nil)
	_ dispatcher.Yielder = (*stream)(nil)
)

// newStream builds the stream for the head just parsed into h (parse
// scratch, borrowed from the server for the parse); raw is the head's
// bytes (still valid: they are copied into strings here), lim the server's
// limits, as readRequest parsed the head under them.
func newStream(c *conn, h *h1.RequestHead, raw []byte, lim *Limits) *stream {
	s := &stream{c: c, minor: uint8(h.Minor), length: -1}
	s.closeAfter = h.Close
	s.expect100 = h.Expect100 && h.Minor == 1
	// An expectation we cannot meet, anywhere in the Expect list (beside
	// a 100-continue too), is answered 417, in HTTP/1.0 too, as net/http's
	// server answers it (RFC 9110 §10.1.1 only has a server ignore an
	// HTTP/1.0 100-continue, which h1 leaves out of Expect100).
	if h.ExpectOther {
		s.rejected = http.StatusExpectationFailed
	}
	if h.Chunked || h.ContentLength > 0 {
		x := &bodyRead{max: lim.MaxBodyBytes, rto: lim.ReadTimeout, total: lim.ReadBodyTimeout}
		x.rate = rate.New(lim.MinRequestDataRate, lim.DataRateGrace)
		s.body.x = x
		switch {
		case h.Chunked:
			s.body.kind = bodyChunked
			// The trailer section is a second head: the head's limits bound it.
			x.dec = &h1.ChunkedDecoder{MaxTrailerBytes: lim.MaxHeaderBytes, MaxTrailers: lim.MaxHeaders}
		default:
			s.body.kind = bodyLength
			x.remaining = h.ContentLength
			if x.max >= 0 && h.ContentLength > x.max {
				s.rejected = http.StatusRequestEntityTooLarge
			}
		}
	}
	// One allocation holds every byte of the head and where its fields
	// are in it (api.NewHeaderText); method, target, host and the fields
	// are substrings of it, so building the request head costs one
	// allocation, not one per field.
	hdr, text := api.NewHeaderText(raw, len(h.Fields), func(i int) ([]byte, []byte) {
		f := &h.Fields[i]
		if len(f.Name) == len("Host") && h1.EqualFold(f.Name, "host") {
			// The Host field reads the authority the request is served
			// for, r.Host: an absolute- or authority-form target's, which
			// RFC 9112 §3.2.2 has a server take over the field (h.Host,
			// the field's value otherwise, a view into raw too). A filter
			// that checks the field (a virtual-host check) would
			// otherwise pass a request for another host than the one
			// everything else serves, as HTTP/2 refuses a host field
			// that differs from :authority.
			return f.Name, h.Host
		}
		return f.Name, f.Value
	})
	sub := func(b []byte) string {
		if len(b) == 0 {
			return ""
		}
		// b and raw are views of the same buffer, both reaching to its
		// end, so the difference of their capacities is b's offset.
		off := cap(raw) - cap(b)
		if off < 0 || off+len(b) > len(raw) {
			return string(b) // not a view into raw (cannot happen with h1)
		}
		return text[off : off+len(b)]
	}
	r := &s.req
	r.Method = h1.Method(h.Method)
	r.Target = sub(h.Target)
	r.ProtoMajor, r.ProtoMinor = 1, h.Minor
	if h.Minor == 0 {
		r.Proto = "HTTP/1.0"
	} else {
		r.Proto = "HTTP/1.1"
	}
	r.Host = sub(h.Host)
	r.ContentLength = h.ContentLength
	if h.Chunked {
		r.ContentLength = -1
	} else if h.ContentLength < 0 {
		r.ContentLength = 0
	}
	r.Conn = c.info
	r.Header = hdr // its names made canonical in its copy of the head
	if r.Method != http.MethodConnect {
		p, q, err := h1.SplitTarget(r.Target)
		if err != nil && s.rejected == 0 {
			s.rejected = http.StatusBadRequest
		}
		r.Path, r.RawQuery = p, q
	}
	// else the target is an authority the parser checked, not a URL: read
	// as one, "1.2.3.4:443" fails and "example.com:443" has the path
	// "443". It has no path, as HTTP/2's CONNECT has none.
	r.Body = s.rbody()
	if s.body.kind == bodyChunked {
		r.Trailer = s.rbody().Trailer // only a chunked body has trailers
	}
	s.isHead = r.Method == http.MethodHead
	return s
}

func (s *stream) Request() *api.RequestHead { return &s.req }

// continue100 sends "100 Continue" before the first body read, if the client
// asked for it and the response has not started.
func (s *stream) continue100() error {
	x := s.body.x
	if !s.expect100 || x == nil {
		// Without content to invite (RFC 9110 §10.1.1 lets a server omit
		// the 100 when the framing says there is none), nothing to send.
		return nil
	}
	x.mu100.Lock()
	defer x.mu100.Unlock()
	if s.sent100 || s.headSent {
		return nil
	}
	s.sent100 = true
	if _, err := s.c.io.write([]byte("HTTP/1.1 100 Continue\r\n\r\n"), nil, s.writeTimeout()); err != nil {
		s.bodyClose.Store(true)
		return err
	}
	return nil
}

func (s *stream) WriteHead(status int, contentType string, h http.Header, contentLength int64, trailers []string) error {
	if s.finished {
		return api.ErrCompleted
	}
	if s.headSent {
		return api.ErrCommitted
	}
	if s.hijacked {
		return api.ErrHijacked
	}
	c := s.c
	if x := s.body.x; s.expect100 && x != nil {
		x.mu100.Lock()
		s.headSent = true
		if !s.sent100 {
			s.closeAfter = true // the body was never invited; don't wait for it
		}
		x.mu100.Unlock()
	} else {
		s.headSent = true
	}
	if s.bodyClose.Load() {
		s.closeAfter = true
	}
	if c.srv.shutting.Load() {
		s.closeAfter = true
	}
	s.noBody = s.isHead || h1.Bodyless(status)
	if c.wbuf == nil {
		c.wbuf = c.srv.getReadBuffer()[:0] // borrowed until the response is sent
	}
	b, framing, closeAfter := h1.AppendResponseHead(c.wbuf[:0], &h1.ResponseHead{
		Minor: int(s.minor), Status: status, ContentType: contentType, Header: h, ContentLength: contentLength,
		Trailers: trailers, Head: s.isHead, Close: s.closeAfter, Date: time.Now(), Dates: &c.srv.dates,
	})
	s.closeAfter = closeAfter
	switch framing {
	case h1.Length:
		s.length = contentLength
	case h1.Chunked:
		s.chunked = true
	}
	c.wbuf = b
	return nil
}

// maxBuffered is how much response data the stream gathers before writing.
const maxBuffered = 16 << 10

func (s *stream) WriteBody(p []byte) error {
	if s.finished {
		// The connection is the next request's now: a late write's
		// bytes would be read as the next response, or sent by its
		// Flush, where the write buffer is its.
		return api.ErrCompleted
	}
	if s.werr != nil {
		return s.werr
	}
	if s.hijacked {
		return api.ErrHijacked
	}
	if !s.headSent {
		return api.ErrWrongState
	}
	if len(p) == 0 {
		return nil
	}
	if s.length >= 0 && s.written+int64(len(p)) > s.length {
		s.closeAfter = true
		return http.ErrContentLength
	}
	s.written += int64(len(p))
	if s.noBody {
		return nil
	}
	c := s.c
	if s.chunked {
		c.wbuf = h1.AppendChunkHeader(c.wbuf, len(p))
	}
	if len(c.wbuf)+len(p) <= maxBuffered {
		c.wbuf = append(c.wbuf, p...)
	} else {
		if err := s.write(c.wbuf, p); err != nil {
			return err
		}
		c.wbuf = c.wbuf[:0]
	}
	if s.chunked {
		c.wbuf = h1.AppendChunkEnd(c.wbuf)
	}
	return nil
}

// writePiece is the most of a body one write sends, so that WriteTimeout
// and the response's minimum data rate apply to a piece a client can take
// in time, not to a whole large body at once.
const writePiece = 64 << 10

// write sends head (buffered bytes, maybe empty) and then body, in one
// system call where it can, each piece within WriteTimeout and the
// response's data rate.
func (s *stream) write(head, body []byte) error {
	var err error
	for first := true; first || len(body) > 0; first = false {
		piece := body[:min(len(body), writePiece)]
		body = body[len(piece):]
		if err = s.writeOnce(head, piece); err != nil {
			break
		}
		head = nil
	}
	return err
}

func (s *stream) writeOnce(head, body []byte) error {
	k := len(head) + len(body)
	to, slow := s.outTimeout(k)
	waited, err := s.c.io.write(head, body, to)
	s.out.Waited(waited)
	s.out.Moved(k)
	if err != nil {
		if slow && errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("%w: %w", ErrTooSlow, err)
		}
		err = peerGone(err)
		s.werr = err
	}
	return err
}

// peerGone marks a write error that says the client closed the connection
// as ErrClientGone, so that the container ends the request quietly instead
// of logging a server failure. Other errors (a write timeout: the client is
// slow, not gone) are returned as they are.
func peerGone(err error) error {
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		return fmt.Errorf("%w: %w", ErrClientGone, err)
	}
	return err
}

func (s *stream) Flush() error {
	if s.finished {
		return api.ErrCompleted // see WriteBody
	}
	return s.flush()
}

// flush is Flush for Finish too, which marks the stream finished first.
func (s *stream) flush() error {
	if s.werr != nil {
		return s.werr
	}
	if s.hijacked {
		return api.ErrHijacked
	}
	if len(s.c.wbuf) == 0 {
		return nil
	}
	err := s.write(s.c.wbuf, nil)
	s.c.wbuf = s.c.wbuf[:0]
	return err
}

func (s *stream) Finish(trailers http.Header) error {
	if s.finished || s.hijacked {
		return nil
	}
	s.finished = true
	var err error
	switch {
	case !s.headSent:
		err = api.ErrWrongState
		s.closeAfter = true
	case s.chunked:
		s.c.wbuf = h1.AppendLastChunk(s.c.wbuf, trailers)
	case s.length >= 0 && s.written < s.length && !s.noBody:
		s.closeAfter = true // short body: only a close tells the client
	}
	if s.headSent && !s.closeAfter && s.out.Total() == 0 && s.rbody().overDiscard(s.c.srv.limits().MaxDiscardBytes) {
		// The connection closes after this response without reading the
		// rest of the body (afterResponse): the head, still all in
		// c.wbuf while nothing was written, says so, as net/http's does,
		// so that the client does not send its next request on a
		// connection about to close.
		s.c.wbuf = h1.SetClose(s.c.wbuf)
		s.closeAfter = true
	}
	if ferr := s.flush(); err == nil {
		err = ferr
	}
	s.c.releaseWriteBuffer()
	s.handOff()
	return err
}

func (s *stream) Abort(err error) {
	if s.finished || s.hijacked {
		return
	}
	s.finished, s.aborted = true, true
	s.c.io.breakConn() // the owner closes the connection
	s.c.releaseWriteBuffer()
	s.handOff()
}

// handOff continues the connection on this goroutine's behalf if the
// connection goroutine already left (the request had suspended).
func (s *stream) handOff() {
	if from, ok := s.handoff.fire(hoFinish); ok && from == hoDetached {
		s.c.io.resume(s)
	}
}

// Yield implements dispatcher.Yielder: once the request's tasks leave the
// goroutine that began them, its writes and reads may park again (see
// serveEP).
func (s *stream) Yield() bool {
	return s.c.io.liftNoPark()
}

// NoPark implements dispatcher.NoParker: a blocking wait in place on the
// producer would stop the selector, and the timers and events that end it.
func (s *stream) NoPark() bool {
	return s.c.io.noPark()
}

// Watch implements Stream. A w that is a HangupWatcher also hears the
// client hang up while the handler runs, not only while the request is
// suspended (epoll): net/http's server ends a request's context when its
// background read finds the connection closed, and a handler waiting on
// that context with nothing to write (a long poll, an event stream between
// events) would otherwise run on for a client long gone. The portable
// connector hears it only that way, while the dispatch runs (hangupWatch).
func (s *stream) Watch(w Watcher) {
	s.watcher = w
	if hw, ok := w.(HangupWatcher); ok {
		if rw, ok := s.c.io.(runningWatcher); ok {
			rw.watchRunning(hw.Hangup())
		}
	}
}

// runningWatcher is the connIO of a connection that hears a hang-up while
// its request's handler runs (epoll's fdConn, and portableIO while the
// dispatch runs). watchRunning(nil) stops that: the handler returned, or
// the connection was taken over.
type runningWatcher interface {
	watchRunning(w Watcher)
}

// TimerWheel returns the timer wheel of the selector that polls the
// stream's connection, or nil (the portable connector): the container
// files the request's suspend timeout there, so that it costs no runtime
// timer and fires on the selector. Any goroutine may call it.
func (s *stream) TimerWheel() *timerwheel.Wheel { return s.c.io.timerWheel() }

// RunInline runs w, the work of a suspended NonBlocking request whose
// timeout fired in the selector's wheel, on the selector's producer,
// where it fired (PC mode), under the rule the producer's requests keep:
// I/O that would park fails instead. The rule is the connection's, so it
// runs w only once no other goroutine may use the connection: the
// goroutine that dispatched the request has let it go (detached), and no
// body is left for a goroutine of the handler's to read. Otherwise, and
// for the portable connector, it reports false, running nothing. Only
// the goroutine the timeout fired on may call it.
func (s *stream) RunInline(w interface{ Run() }) bool {
	if s.handoff.Load() != hoDetached || !s.rbody().done() {
		return false
	}
	return s.c.io.runInline(w)
}

// Tunnel implements Tunneler: the epoll connector's connection (TLS too)
// stays registered with its selector, read and written without blocking
// by whoever took it (package websocket), and counted in the server's
// books until the Tunnel closes. Elsewhere it returns api.ErrNotSupported
// and takes nothing.
func (s *stream) Tunnel() (api.Tunnel, error) {
	if err := s.takeOverErr(); err != nil {
		return nil, err
	}
	c := s.c
	// A task of a suspended request (an upgrade once an asynchronous
	// authentication answered) may take the connection over while the
	// goroutine that served the request still settles it, giving the read
	// buffer back under the body's lock (releaseIdleReadBuffer): the
	// buffer is read under that lock, here and in Hijack.
	s.body.mu.Lock()
	rest := bytes.Clone(c.rbuf[c.r:c.w])
	s.body.mu.Unlock()
	t, err := c.io.tunnel(rest)
	if err != nil {
		return nil, err // nothing taken: Hijack still may
	}
	s.body.mu.Lock()
	c.r = c.w
	s.body.mu.Unlock()
	s.tunneled = true
	s.tookOver()
	return t, nil
}

func (s *stream) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if s.hijacked {
		return nil, nil, api.ErrHijacked
	}
	if s.finished {
		return nil, nil, api.ErrCompleted // the connection went on to the next request
	}
	c := s.c
	if p, ok := c.io.(*portableIO); ok {
		// Its hang-up watch reads the socket that is the hijacker's now,
		// and puts what it read in the buffer handed over below.
		p.endWatch()
	}
	if s.headSent {
		// As net/http's Hijack flushes a head written before it: what
		// the stream holds of the response goes out first, so that the
		// taker's bytes follow it on the wire, and nothing is left for
		// a connection that is no longer the connector's to write.
		if err := s.Flush(); err != nil {
			return nil, nil, err
		}
		c.releaseWriteBuffer()
	}
	nc, err := c.io.release()
	if err != nil {
		return nil, nil, err
	}
	nc.SetDeadline(time.Time{})
	s.body.mu.Lock() // see Tunnel
	rest := c.restThen(nc)
	s.body.mu.Unlock()
	rw := bufio.NewReadWriter(bufio.NewReader(rest), bufio.NewWriter(nc))
	// The connection is the hijacker's from now on, as on net/http's
	// server (StateHijacked): it leaves the books at once, not when the
	// handler that took it returns, which may be much later (a
	// WebSocket's read loop), so that it no longer counts in Stats or
	// against MaxConnections, and Shutdown does not wait for it.
	c.srv.hijacking.Add(1) // until next lets go of the connection
	c.srv.removeConn(c)
	s.tookOver()
	return nc, rw, nil
}

// takeOverErr says why the connection cannot become a Tunnel now, if it
// cannot. Unlike Hijack's, a Tunnel's taker gets no part of a response
// begun: it must come before the head.
func (s *stream) takeOverErr() error {
	switch {
	case s.hijacked:
		return api.ErrHijacked
	case s.finished:
		return api.ErrCompleted
	case s.headSent:
		return api.ErrCommitted
	}
	return nil
}

// tookOver marks the connection taken over: the stream is inert, its
// body settled, and the goroutine serving it lets the connection go.
func (s *stream) tookOver() {
	s.hijacked = true
	if rw, ok := s.c.io.(runningWatcher); ok {
		// The connection is the taker's now: its close is not the
		// request's client leaving, and net/http keeps a hijacked
		// request's context until its handler returns.
		rw.watchRunning(nil)
	}
	s.body.mu.Lock()
	s.body.settled = true
	s.body.mu.Unlock()
	s.handOff()
}
