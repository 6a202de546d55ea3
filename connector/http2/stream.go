package http2

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/h1"
	"github.com/wharf-go/wharf/internal/rate"
)

// stream is one HTTP/2 request and its response: the Stream the
// container serves.
//
// Goroutines: the reader goroutine creates it and feeds its body; the
// Stream methods are called by the exchange's serialized tasks on any
// goroutine. The protocol state, windows and watcher are under the
// connection's mutex; the response fields (head, wbuf, written...) belong
// to the exchange's tasks alone.
type stream struct {
	hc   *serverConn
	id   uint32
	req  api.RequestHead
	body requestBody

	// Under hc.mu.
	state       h2State
	sendWin     int64
	recvWin     int64
	recvCred    int64
	unread      int64 // body bytes received and not yet read
	watcher     connector.Watcher
	handlerDone bool
	localReset  bool  // the server reset it: late frames are ignored
	resetErr    error // why it ended before its response did
	waitExpired bool  // a write waited for the client longer than WriteTimeout or its data rate allowed
	waitArmed   bool  // a write waits for the client: waitTimer may expire it
	waitSlow    bool  // that wait is bounded by MinResponseDataRate, not WriteTimeout
	waitBy      time.Time
	waits       int    // reads and writes of the stream waiting for the client
	draining    bool   // answered; the client's body is read and dropped
	withheld    bool   // the handler closed the body and the client sent past MaxDiscardBytes: the stream's window stays shut
	continued   bool   // a 100 (Continue) was queued, or can no longer be: the response head was
	lastQueued  uint64 // hc.queuedSeq when the stream last queued a frame: purgeLocked skips a stream with none left
	// What the stream has in hc.frames, if lastQueued is past hc.takenSeq
	// (the writer took the rest): purgeLocked's account of it.
	// (int32: both are bounded by the connection's queue, h2MaxFrames and
	// h2MaxQueued, and two of them keep the stream in its size class).
	queuedFrames, queuedBytes int32
	purgedSeq                 uint64 // its frames up to this hc.queuedSeq were dropped from the queue

	// The reader's own.
	declared int64 // the request's content-length, -1 if none
	received int64

	// Set by the reader before the stream is dispatched.
	expect100 bool // "expect: 100-continue" on a request whose body is still to come

	// The exchange's own.
	head      []hpack.HeaderField // response head not yet queued
	headSent  bool
	noBody    bool
	isHead    bool
	length    int64 // the response's declared length, -1 if none
	written   int64
	wbuf      *[]byte
	done      bool       // Finish or Abort was called
	closeConn bool       // the head's Connection field named "close": the connection goes away after the response (see moveLocked)
	out       rate.Meter // MinResponseDataRate
	// waitTimer ends a write's wait for the client (a window or room in
	// the connection's queue); made by the first wait, reused by the next.
	waitTimer *time.Timer

	// Set by the reader before the stream is dispatched, taken by run.
	prepared connector.Prepared // what the Handler's Prepare mapped, if it is a Preparer
}

func newStream(hc *serverConn, id uint32) *stream {
	st := &stream{hc: hc, id: id, declared: -1, length: -1}
	st.sendWin = hc.peerInitialWindow()
	st.recvWin = h2StreamWindow
	st.body.st = st
	st.body.max = hc.lim.MaxBodyBytes
	st.body.rate = rate.New(hc.lim.MinRequestDataRate, hc.lim.DataRateGrace)
	st.out = rate.New(hc.lim.MinResponseDataRate, hc.lim.DataRateGrace)
	return st
}

func (hc *serverConn) peerInitialWindow() int64 {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	return hc.peer.initialWindow
}

// moveLocked applies ev to the stream's state; it reports whether the move
// was legal. A stream that reaches closed stops counting as open (or as
// draining), and is dropped once its handler is done too. hc.mu is held.
func (st *stream) moveLocked(ev h2Event) bool {
	to, ok := h2Transition(st.state, ev)
	if !ok {
		return false
	}
	if to == h2Closed && st.state != h2Closed {
		if ev != h2RecvRst && ev != h2SendRst {
			// Ended in full, both ways: a stream answered gives a reset
			// back (see countResetLocked).
			st.hc.resets.Give()
		}
		if st.draining {
			st.hc.draining--
		} else {
			st.hc.open--
		}
		st.state = to
		if st.handlerDone {
			st.hc.streamDoneLocked(st)
		} else {
			st.hc.idleDeadlineLocked()
		}
	} else {
		st.state = to
	}
	if ev == h2SendEnd && st.closeConn {
		// The response's last frame was just queued, under the lock the
		// reader takes a new stream under: the GOAWAY follows it, and
		// names no stream the client opened once it had the response,
		// which it then retries on a new connection. (Queued when the
		// response ends, not as x/net's server queues it with the head:
		// the client reads the whole answer first.)
		st.hc.shutdownLocked()
	}
	return true
}

// handlerDoneLocked records that the exchange ended (or never started).
// hc.mu is held.
func (st *stream) handlerDoneLocked() {
	if st.handlerDone {
		return
	}
	st.handlerDone = true
	st.hc.handlers--
	if st.state == h2Closed {
		st.hc.streamDoneLocked(st)
	} else {
		st.hc.idleDeadlineLocked() // this may have been the last busy stream
	}
}

// reset ends the stream at once: the server resets it (h2SendRst, with a
// RST_STREAM carrying code) or the client did (h2RecvRst). Its queued
// frames are dropped (except after a complete response, which a NO_ERROR
// reset follows), its body fails with err and gives back its window,
// writers waiting for a window wake up, and a watcher hears that the client
// is gone. It fails only when a client provokes more resets than it reads,
// or resets (or provokes) more than the reset bucket allows
// (countResetLocked).
func (st *stream) reset(ev h2Event, code xhttp2.ErrCode, err error) error {
	return st.resetAs(ev, code, err, false)
}

// provokedReset is a server reset the client's frames provoked; it counts
// against the control-frame bound and the reset bucket (see
// queueRSTLocked).
func (st *stream) provokedReset(code xhttp2.ErrCode, err error) error {
	return st.resetAs(h2SendRst, code, err, true)
}

func (st *stream) resetAs(ev h2Event, code xhttp2.ErrCode, err error, provoked bool) error {
	hc := st.hc
	hc.mu.Lock()
	if st.state == h2Closed {
		hc.mu.Unlock()
		return nil
	}
	var qerr error
	if ev == h2SendRst {
		st.localReset = true
		if code != xhttp2.ErrCodeNo {
			hc.purgeLocked(st)
		}
		qerr = hc.queueRSTLocked(st.id, code, provoked)
	} else {
		hc.purgeLocked(st)
		if st.state != h2HalfClosedLocal {
			// The client's reset of a stream whose response had not
			// ended: rapid reset's.
			qerr = hc.countResetLocked()
		}
	}
	st.resetErr = err
	st.moveLocked(ev)
	w := st.watcher
	if st.handlerDone {
		w = nil
	}
	hc.cond.Broadcast()
	hc.mu.Unlock()
	st.body.fail(err)
	if n := st.body.drop(); n > 0 {
		st.consumed(n) // the connection window is not held by a dead stream
	}
	if w != nil {
		w.ClientGone(connector.ErrClientGone)
	}
	return qerr
}

// recvData takes body bytes (and the end of the body) from the reader.
func (st *stream) recvData(data []byte, end bool) error {
	hc := st.hc
	st.received += int64(len(data))
	if st.declared >= 0 && (st.received > st.declared || end && st.received != st.declared) {
		hc.mu.Lock()
		hc.creditLocked(nil, int64(len(data)))
		hc.mu.Unlock()
		return st.provokedReset(xhttp2.ErrCodeProtocol, errBodyLength)
	}
	if len(data) > 0 {
		hc.mu.Lock()
		// The response has ended once its END_STREAM is queued: the
		// client may see it, and send more, before Finish has marked the
		// stream draining. Judge by the state, or that body would sit
		// buffered for nobody, never reset.
		draining := st.draining || st.state == h2HalfClosedLocal
		hc.mu.Unlock()
		if draining && st.received > hc.lim.MaxDiscardBytes {
			// The response is complete and the client still sends a body
			// nobody reads: ask it to stop (RFC 9113 §8.1). Up to
			// MaxDiscardBytes are read first, which lets a body that
			// contradicts its content-length be reported as the error it is.
			hc.mu.Lock()
			hc.creditLocked(nil, int64(len(data)))
			hc.mu.Unlock()
			return st.provokedReset(xhttp2.ErrCodeNo, errBodySettled)
		}
		if !st.body.push(data) {
			hc.mu.Lock()
			// The state as it is now: Finish may have run since it was
			// read above, and a draining stream must keep its window.
			if !st.draining && st.state != h2HalfClosedLocal && st.received > hc.lim.MaxDiscardBytes {
				// The handler closed the body and runs on: past
				// MaxDiscardBytes the stream's window is not opened
				// again, so the client stops sending a body nobody
				// reads (as x/net's server does), and Finish asks it to
				// stop. The connection's window is, for its other
				// streams.
				st.withheld = true
				hc.creditLocked(nil, int64(len(data)))
			} else {
				hc.creditLocked(st, int64(len(data))) // nobody will read it
			}
			hc.mu.Unlock()
		} else {
			hc.mu.Lock()
			st.unread += int64(len(data))
			hc.mu.Unlock()
		}
	}
	if end {
		st.body.end()
		hc.mu.Lock()
		st.moveLocked(h2RecvEnd)
		hc.mu.Unlock()
	}
	return nil
}

// consumed gives back the window of n body bytes the handler read.
func (st *stream) consumed(n int) {
	hc := st.hc
	hc.mu.Lock()
	st.unread -= int64(n)
	hc.creditLocked(st, int64(n))
	hc.mu.Unlock()
}

// recvTrailers takes a HEADERS frame on a stream already open: the
// request's trailers.
func (st *stream) recvTrailers(f *xhttp2.MetaHeadersFrame) error {
	hc := st.hc
	hc.mu.Lock()
	state, local := st.state, st.localReset
	hc.mu.Unlock()
	switch {
	case state == h2Closed && local:
		return nil // reset by the server: frames in flight are ignored
	case state == h2Closed:
		return h2ConnectionError{xhttp2.ErrCodeStreamClosed, "HEADERS on a closed stream"}
	case state == h2HalfClosedRemote:
		return st.provokedReset(xhttp2.ErrCodeStreamClosed, errH2StreamReset)
	case !f.StreamEnded() || len(f.PseudoFields()) > 0 || f.Truncated:
		return st.provokedReset(xhttp2.ErrCodeProtocol, errH2StreamReset)
	}
	tr := make(http.Header)
	for _, hf := range f.RegularFields() {
		k := h1.CanonicalKey(hf.Name)
		if !h1.ForbiddenTrailer(k) { // as HTTP/1.1's chunked trailers
			tr[k] = append(tr[k], hf.Value)
		}
	}
	st.body.setTrailer(tr)
	return st.recvData(nil, true)
}

// task is how the stream runs on the executor.
func (st *stream) task() dispatcher.Task { return dispatcher.Task{Run: st.run} }

func (st *stream) run() {
	defer func() {
		if p := recover(); p != nil {
			st.hc.log.Error("http2: panic serving a stream", "panic", p)
			if !st.done {
				st.Abort(connector.ErrAborted)
			}
		}
	}()
	if p := st.prepared; p != nil {
		st.prepared = nil
		p.Start()
		return
	}
	st.hc.handler.ServeStream(st)
}

// respondError answers a request the handler never sees.
func (st *stream) respondError(status int) {
	msg := h1.StatusText(status) + "\n"
	h := http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	st.WriteHead(status, "", h, int64(len(msg)), nil)
	st.WriteBody([]byte(msg))
	st.Finish(nil)
}

// Request implements Stream.
func (st *stream) Request() *api.RequestHead { return &st.req }

// Watch implements Stream.
func (st *stream) Watch(w connector.Watcher) {
	st.hc.mu.Lock()
	st.watcher = w
	gone := st.state == h2Closed && st.resetErr != nil
	st.hc.mu.Unlock()
	if gone {
		// Reset between dispatch and Watch: tell it now. The container
		// queues the failure behind its first dispatch.
		w.ClientGone(connector.ErrClientGone)
	}
}

// Hijack implements Stream: HTTP/2 streams cannot be hijacked.
func (st *stream) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, api.ErrNotSupported
}

// WriteHead implements Stream. The head is queued with the first data, or
// with the end of the response when there is none, so that a response
// without a body is one HEADERS frame with END_STREAM.
func (st *stream) WriteHead(status int, contentType string, h http.Header, contentLength int64, trailers []string) error {
	if st.headSent || st.head != nil {
		return api.ErrCommitted
	}
	bodyless := h1.Bodyless(status)
	st.noBody = st.isHead || bodyless
	fields := make([]hpack.HeaderField, 0, len(h)+4)
	fields = append(fields, hpack.HeaderField{Name: ":status", Value: statusValue(status)})
	if _, ok := h["Date"]; !ok {
		fields = append(fields, hpack.HeaderField{Name: "date", Value: st.hc.srv.dates.Value(time.Now())})
	}
	// Values as HTTP/2 may carry them (h1.CleanValue): a client takes a
	// message with a control character in a value, or white space around
	// it, as malformed (RFC 9113 §8.2.1), and an intermediary that turns
	// the response into HTTP/1.1 could split on a CR or LF.
	for k, vs := range h {
		if f := h1.FramingField(k); f != "" {
			// Framing is HTTP/2's own and connection fields are
			// forbidden (RFC 9113 §8.2.2), whatever the key's case. But
			// a "close" is the handler asking the client to come back on
			// a new connection (to rebalance, after a logout), as it
			// would on HTTP/1.1: heeded as x/net's server heeds it.
			st.closeConn = st.closeConn || f == "Connection" && h1.ListsToken(vs, "close")
			continue
		}
		if !h1.IsTokenString(k) {
			continue // not a field name: nothing a client could parse
		}
		lk := lowerHeader(k)
		for _, v := range vs {
			fields = append(fields, hpack.HeaderField{Name: lk, Value: h1.CleanValue(v)})
		}
	}
	if contentType != "" {
		fields = append(fields, hpack.HeaderField{Name: "content-type", Value: h1.CleanValue(contentType)})
	}
	if contentLength >= 0 && !bodyless {
		st.length = contentLength
		fields = append(fields, hpack.HeaderField{Name: "content-length", Value: strconv.FormatInt(contentLength, 10)})
	}
	if len(trailers) > 0 {
		fields = append(fields, hpack.HeaderField{Name: "trailer", Value: strings.Join(trailers, ", ")})
	}
	st.head = fields
	return nil
}

// WriteBody implements Stream: bytes are gathered into frames of up to
// 16 KiB.
func (st *stream) WriteBody(p []byte) error {
	if err := st.writeErr(); err != nil {
		return err
	}
	if !st.headSent && st.head == nil {
		return api.ErrWrongState
	}
	if st.length >= 0 && st.written+int64(len(p)) > st.length {
		return http.ErrContentLength
	}
	st.written += int64(len(p))
	if st.noBody {
		return nil
	}
	for len(p) > 0 {
		if st.wbuf == nil {
			st.wbuf = st.hc.srv.getBuf()
		}
		b := *st.wbuf
		n := copy(b[len(b):cap(b)], p)
		*st.wbuf = b[:len(b)+n]
		p = p[n:]
		if len(*st.wbuf) == cap(*st.wbuf) {
			if err := st.send(false); err != nil {
				return err
			}
		}
	}
	return nil
}

// Flush implements Stream.
func (st *stream) Flush() error {
	if err := st.writeErr(); err != nil {
		return err
	}
	if st.head == nil && (st.wbuf == nil || len(*st.wbuf) == 0) {
		return nil
	}
	return st.send(false)
}

// Finish implements Stream.
func (st *stream) Finish(trailers http.Header) error {
	if st.done {
		return api.ErrWrongState
	}
	st.done = true
	if !st.headSent && st.head == nil {
		st.WriteHead(http.StatusOK, "", nil, 0, nil) // Stream's contract says it was called; be safe
	}
	var tr []hpack.HeaderField
	for k, vs := range trailers {
		if !h1.SendableTrailer(k) {
			continue
		}
		lk := lowerHeader(k)
		for _, v := range vs {
			tr = append(tr, hpack.HeaderField{Name: lk, Value: h1.CleanValue(v)})
		}
	}
	err := st.writeErr()
	if err == nil && st.length >= 0 && st.written < st.length && !st.noBody {
		// Fewer bytes than the declared content-length: ending the stream
		// would make the response malformed (RFC 9113 §8.1.1).
		err = http.ErrContentLength
	}
	if err == nil {
		err = st.send(len(tr) == 0)
	}
	late := st.body.timedOutRead()
	hc := st.hc
	hc.mu.Lock()
	if err == nil && len(tr) > 0 {
		if st.state == h2Closed || hc.state.closed() {
			err = st.errLocked()
		} else if err = st.waitRoomLocked(); err == nil {
			// Waited for as a bodyless response's head is (see send):
			// the trailers end the stream too.
			hc.queueFrame(h2Frame{kind: h2fHeaders, stream: st.id, end: true, fields: tr, st: st})
			st.moveLocked(h2SendEnd)
		}
	}
	stop := false
	if err == nil && st.state == h2HalfClosedLocal && (late || st.withheld) {
		// The client was too slow to send its body (the response is
		// likely the 408 of that), or sent more than MaxDiscardBytes of
		// a body the handler closed: the body is not drained, as on
		// HTTP/1.1 the connection would be closed.
		stop = true
	} else if err == nil && st.state == h2HalfClosedLocal {
		// The response is complete and the client is still sending its
		// body. The stream drains it (up to MaxDiscardBytes, so that a body
		// contradicting its content-length is still reported) without
		// counting against the concurrent streams or keeping the connection
		// from idling or shutting down; past h2MaxStreams such streams, the
		// client is asked to stop at once (RFC 9113 §8.1).
		if hc.draining < h2MaxStreams {
			st.draining = true
			hc.draining++
			hc.open--
			hc.idleDeadlineLocked()
		} else {
			stop = true
		}
	}
	hc.mu.Unlock()
	if stop {
		st.reset(h2SendRst, xhttp2.ErrCodeNo, errBodySettled)
	}
	if err != nil {
		// The response cannot end normally (a window never opened, the
		// stream or connection failed): reset it so that it ends at all.
		st.handlerReset(resetCode(err), err)
	}
	if late || errors.Is(err, connector.ErrTooSlow) {
		st.hc.starvedAfter()
	}
	st.release()
	return err
}

// resetCode is the RST_STREAM code of a stream that ends on err:
// CANCEL for a client that went away, ENHANCE_YOUR_CALM for one slower
// than a minimum data rate (see waitTimedOut), INTERNAL_ERROR otherwise.
func resetCode(err error) xhttp2.ErrCode {
	switch {
	case errors.Is(err, connector.ErrClientGone):
		return xhttp2.ErrCodeCancel
	case errors.Is(err, connector.ErrTooSlow):
		return xhttp2.ErrCodeEnhanceYourCalm
	}
	return xhttp2.ErrCodeInternal
}

// Abort implements Stream: the stream is reset, the connection goes on.
func (st *stream) Abort(err error) {
	if st.done {
		return
	}
	st.done = true
	st.handlerReset(resetCode(err), err)
	if errors.Is(err, connector.ErrTooSlow) || st.body.timedOutRead() {
		st.hc.starvedAfter()
	}
	st.release()
}

// handlerReset is the reset the handler's side sends (Abort, a response
// that cannot end): unlike the reader's and the timers' resets, it waits,
// as a write does, for room in the connection's queue. The reset closes
// the stream at once, so it no longer counts against
// MAX_CONCURRENT_STREAMS; without the wait, a handler that fails before
// its head went out would let a client that reads nothing grow the queue
// by a RST_STREAM a request. The stream's own queued frames, which the
// reset drops anyway, make room first. Whatever ends the wait (the
// client's reset, WriteTimeout, the connection's end), the reset follows.
func (st *stream) handlerReset(code xhttp2.ErrCode, err error) {
	hc := st.hc
	hc.mu.Lock()
	if st.state != h2Closed && !hc.state.closed() && !st.waitExpired {
		// (Not after a write that already waited WriteTimeout out: the
		// reset would wait as long again.)
		hc.purgeLocked(st)
		_ = st.waitRoomLocked()
	}
	hc.mu.Unlock()
	st.reset(h2SendRst, code, err)
}

// release ends the exchange's hold on the stream.
func (st *stream) release() {
	if st.wbuf != nil {
		*st.wbuf = (*st.wbuf)[:0]
		st.hc.srv.bufs.Put(st.wbuf)
		st.wbuf = nil
	}
	st.body.close()
	hc := st.hc
	hc.mu.Lock()
	st.handlerDoneLocked()
	if st.closeConn {
		// A response reset before its end (an Abort, a failed write)
		// still sends its client elsewhere, as the handler asked; after
		// the end, the GOAWAY was queued already (moveLocked) and this
		// is refused.
		hc.shutdownLocked()
	}
	hc.mu.Unlock()
}

// writeErr reports why the response can no longer be written, if so.
func (st *stream) writeErr() error {
	st.hc.mu.Lock()
	defer st.hc.mu.Unlock()
	if st.state == h2Closed || st.state == h2HalfClosedLocal || st.hc.state.closed() {
		return st.errLocked()
	}
	return nil
}

func (st *stream) errLocked() error {
	switch {
	case st.resetErr != nil:
		return st.resetErr
	case st.hc.err != nil:
		return st.hc.err
	case st.waitExpired:
		return errH2WriteWait
	case st.state == h2HalfClosedLocal || st.state == h2Closed:
		return api.ErrWrongState
	}
	return connector.ErrAborted
}

// send queues the pending head and gathered data, ending the stream with
// end. Data waits for the stream's and the connection's send windows and
// for room in the connection's queue: that is waiting for the client
// (its WINDOW_UPDATE, or its reading of the socket, which the queue
// drains to), bounded by WriteTimeout and by MinResponseDataRate (see
// beginWaitLocked).
func (st *stream) send(end bool) error {
	hc := st.hc
	var data []byte
	buf := st.wbuf
	st.wbuf = nil
	if buf != nil {
		data = *buf
	}
	hc.mu.Lock()
	defer hc.mu.Unlock()
	if st.state == h2Closed || st.state == h2HalfClosedLocal || hc.state.closed() || hc.state.ending() {
		return st.errLocked()
	}
	if st.head != nil || len(data) == 0 && end {
		// A frame that needs no window (a head, the empty DATA that ends
		// a stream) waits for room in the queue as DATA does: queued, it
		// may end the stream, which then no longer counts against
		// MAX_CONCURRENT_STREAMS, and a client that reads nothing could
		// have bodyless responses (HEAD, 204) queued without bound.
		if err := st.waitRoomLocked(); err != nil {
			return err
		}
	}
	if st.head != nil {
		hc.queueFrame(h2Frame{kind: h2fHeaders, stream: st.id, end: end && len(data) == 0, fields: st.head, st: st})
		st.head, st.headSent = nil, true
		st.continued = true // a 100 after the final head would be malformed
		if end && len(data) == 0 {
			st.moveLocked(h2SendEnd)
			if buf != nil {
				hc.srv.bufs.Put(buf)
			}
			return nil
		}
	}
	if len(data) == 0 {
		if buf != nil {
			hc.srv.bufs.Put(buf)
		}
		if end {
			hc.queueFrame(h2Frame{kind: h2fData, stream: st.id, end: true, st: st})
			st.moveLocked(h2SendEnd)
		}
		return nil
	}
	for len(data) > 0 {
		if st.state == h2Closed || hc.state.closed() || hc.state.ending() || st.waitExpired {
			return st.errLocked()
		}
		n := 0
		if err := st.waitLocked(func() bool {
			n = int(min(int64(len(data)), st.sendWin, hc.sendWin, int64(min(hc.peer.maxFrame, h2MaxFrame))))
			return n > 0 && !hc.queueFullLocked()
		}); err != nil {
			return err
		}
		// What a window (or the queue) takes at once is the client's
		// progress, whatever it waited for: a window opened a few bytes at
		// a time earns a few bytes' worth of waiting.
		st.out.Moved(n)
		chunk := data[:n]
		data = data[n:]
		st.sendWin -= int64(n)
		hc.sendWin -= int64(n)
		f := h2Frame{kind: h2fData, stream: st.id, data: chunk, st: st}
		if len(data) == 0 {
			f.end = end
			f.buf = buf
		}
		hc.queueFrame(f)
	}
	if end {
		st.moveLocked(h2SendEnd)
	}
	return nil
}

// waitRoomLocked waits, as send does for DATA, until the connection's
// queue has room for another stream frame. hc.mu is held.
func (st *stream) waitRoomLocked() error {
	return st.waitLocked(func() bool { return st.hc.liveFramesLocked() < h2MaxFrames })
}

// waitLocked waits until ready reports true, for the client: a wait
// bounded by WriteTimeout and MinResponseDataRate (beginWaitLocked) and
// ended early by the stream's or the connection's end. hc.mu is held.
//
// The waits share hc.cond, so a Broadcast wakes every response waiting on
// the connection: it is sent only for what may end a wait (a window
// opening from none, the writer making room in a full queue, a reset, a
// timer, the connection's end), never for a frame that changes nothing
// for them. A client holding h2MaxStreams responses stalled could
// otherwise make each of its 9-byte frames (an empty SETTINGS, a PING,
// a WINDOW_UPDATE to a window already open) cost 250 wake-ups.
func (st *stream) waitLocked(ready func() bool) error {
	hc := st.hc
	var waitStart time.Time
	for !ready() {
		if waitStart.IsZero() {
			waitStart = time.Now()
			st.beginWaitLocked(waitStart)
		}
		hc.cond.Wait()
		if st.state == h2Closed || hc.state.closed() || hc.state.ending() || st.waitExpired {
			st.endWaitLocked(waitStart)
			return st.errLocked()
		}
	}
	st.endWaitLocked(waitStart)
	return nil
}

// continueHead is the header block of a 100 (Continue).
var continueHead = []hpack.HeaderField{{Name: ":status", Value: "100"}}

// continue100 answers "expect: 100-continue" with a 100 (Continue) when
// the handler first reads the body (RFC 9110 §10.1.1), as HTTP/1.1 does: a
// client may hold its body back until then (Go's waits its
// ExpectContinueTimeout, a second by default, on every such request). None
// goes out once the response head has, or once the client ended its side.
func (st *stream) continue100() {
	hc := st.hc
	hc.mu.Lock()
	defer hc.mu.Unlock()
	if st.continued || st.state != h2Open || hc.state.closed() || hc.state.ending() {
		return
	}
	st.continued = true
	hc.queueFrame(h2Frame{kind: h2fHeaders, stream: st.id, fields: continueHead, st: st})
}

// waitBegins and waitEnds bracket a body read's wait for the client.
func (st *stream) waitBegins() {
	st.hc.mu.Lock()
	st.waits++
	st.hc.mu.Unlock()
}

func (st *stream) waitEnds() {
	st.hc.mu.Lock()
	st.waits--
	st.hc.mu.Unlock()
}

// beginWaitLocked starts a write's wait for the client: its timer ends
// the wait at WriteTimeout, or sooner when the response's data rate has
// no more waiting to spend. hc.mu is held.
func (st *stream) beginWaitLocked(now time.Time) {
	d, slow := st.out.Timeout(st.hc.lim.WriteTimeout)
	st.waits++
	if d <= 0 {
		return // neither bound: wait for as long as it takes
	}
	st.waitArmed, st.waitSlow, st.waitBy = true, slow, now.Add(d)
	if st.waitTimer == nil {
		st.waitTimer = time.AfterFunc(d, st.waitTimedOut)
	} else {
		st.waitTimer.Reset(d)
	}
}

// endWaitLocked ends the wait begun at start, if there was one, and
// counts it against the response's data rate. hc.mu is held.
func (st *stream) endWaitLocked(start time.Time) {
	if start.IsZero() {
		return
	}
	st.waits--
	st.out.Waited(time.Since(start))
	if st.waitArmed {
		st.waitArmed = false
		st.waitTimer.Stop()
	}
}

// waitTimedOut is waitTimer's function. A wait bounded by WriteTimeout
// fails the write (errH2WriteWait; Finish resets the stream). One bounded
// by the data rate resets the stream at once with ENHANCE_YOUR_CALM: the
// client takes the response too slowly to be worth the memory and the
// goroutine it holds, which is abuse, not a fault of the server's
// (INTERNAL_ERROR) nor the client's change of mind (CANCEL). Reset
// stream frames are dropped from the queue, and the connection may be
// starved (starvedAfter).
func (st *stream) waitTimedOut() {
	hc := st.hc
	hc.mu.Lock()
	// A timer that fired for an earlier wait, and ran only after the next
	// one began, finds a later waitBy.
	if !st.waitArmed || time.Now().Before(st.waitBy) {
		hc.mu.Unlock()
		return
	}
	st.waitArmed = false
	if !st.waitSlow {
		st.waitExpired = true
		hc.cond.Broadcast()
		hc.mu.Unlock()
		return
	}
	hc.mu.Unlock()
	// The writer goes on waiting until the reset wakes it, so that its
	// error is the reset's.
	st.reset(h2SendRst, xhttp2.ErrCodeEnhanceYourCalm, errH2SlowReader)
	hc.starvedAfter()
}

// statusValue is the :status pseudo-header value of code: its three
// digits (HTTP/2 has no reason phrase), without an allocation for the
// common ones.
func statusValue(code int) string {
	switch code {
	case 200:
		return "200"
	case 204:
		return "204"
	case 304:
		return "304"
	case 404:
		return "404"
	}
	return strconv.Itoa(code)
}

// lowerHeader is a canonical header key as HTTP/2 writes it.
func lowerHeader(k string) string {
	switch k {
	case "Content-Type":
		return "content-type"
	case "Date":
		return "date"
	case "Cache-Control":
		return "cache-control"
	case "Server":
		return "server"
	case "Alt-Svc":
		return "alt-svc"
	case "Content-Encoding":
		return "content-encoding"
	case "Vary":
		return "vary"
	case "Location":
		return "location"
	case "Set-Cookie":
		return "set-cookie"
	}
	return strings.ToLower(k)
}
