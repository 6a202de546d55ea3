package http2

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	xhttp2 "golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/owner"
	"github.com/wharf-go/wharf/internal/rate"
)

// What the HTTP/2 server advertises and enforces.
const (
	// h2StreamWindow is the receive window of each stream (request body
	// bytes a client may send ahead of the handler reading them).
	h2StreamWindow = 256 << 10
	// h2ConnWindow is the receive window of a connection, over all its
	// streams.
	h2ConnWindow = 1 << 20
	// h2MinRefresh is the least connection window given back before half
	// of it is due (see creditLocked).
	h2MinRefresh = 4 << 10
	// h2MaxStreams is SETTINGS_MAX_CONCURRENT_STREAMS.
	h2MaxStreams = 250
	// h2MaxHandlers bounds the requests whose handlers have not finished,
	// reset ones included: a client that opens and resets streams (rapid
	// reset) cannot start more work than this at once.
	h2MaxHandlers = 4 * h2MaxStreams
	// h2ResetBurst and h2ResetRate bound the streams a client ends with
	// a reset before their response is complete, its own RST_STREAM or
	// one it provokes (rapid reset, CVE-2023-44487; MadeYouReset,
	// CVE-2025-8671): a token bucket of h2ResetBurst resets, refilled
	// at h2ResetRate a second (see countResetLocked). Each such stream
	// may have started a handler, which h2MaxHandlers bounds only while
	// it runs. The burst lets a browser cancel every stream it has open
	// twice over, as when its user navigates away.
	h2ResetBurst = 2 * h2MaxStreams
	h2ResetRate  = 100
	// h2MaxFrame is the largest frame read (SETTINGS_MAX_FRAME_SIZE's
	// default, which the server keeps).
	h2MaxFrame = 16 << 10
	// h2MaxControl bounds the control frames (PING and SETTINGS acks,
	// RST_STREAM, WINDOW_UPDATE) queued and not yet written: a client that
	// provokes them without reading is disconnected.
	h2MaxControl = 10000
	// h2MaxQueued bounds the response bytes queued on a connection before
	// handlers writing more wait for the writer.
	h2MaxQueued = 1 << 20
	// h2MaxWindow is the largest flow-control window (2^31-1).
	h2MaxWindow = 1<<31 - 1
	// h2GoAwayTimeout bounds each write of a connection that ends on an
	// error: the GOAWAY waits only while the client reads what was sent
	// before it (see socketWriter).
	h2GoAwayTimeout = time.Second
	// h2Linger and h2LingerBytes bound the reading that follows the last
	// write of a connection that ends, so that the close does not reset
	// it before the client has read the GOAWAY.
	h2Linger      = 500 * time.Millisecond
	h2LingerBytes = 16 << 20
	// h2MaxFrames bounds the stream frames queued on a connection: with
	// h2MaxQueued it keeps a client that opens its windows a byte at a
	// time from making the server queue a frame per byte.
	h2MaxFrames = 4096
	// h2FramesPerRun bounds the frames a reader on a Waiter handles in one
	// run, which may be on the selector's goroutine (see errH2Yield).
	h2FramesPerRun = 64
	// h2CarryMax is the largest partial frame a reader on a Waiter copies
	// out of its buffer when the socket runs dry, so that the 16 KiB
	// buffer goes back to the pool (see read): without it a client that
	// sends a few bytes of a frame and stalls holds 16 KiB for as long as
	// a stream is open, which no deadline bounds (a long poll may last
	// minutes). A partial frame this large or larger keeps the buffer:
	// the client had to send that much, so it holds at most 16 times what
	// it sent, and a large DATA frame arriving in TCP segments (the first
	// one usually past 1 KiB) is never copied.
	h2CarryMax = 1 << 10
)

// serverConn is one HTTP/2 connection.
//
// Goroutines: the reader (read) is the connection's producer. It reads
// every frame and handles it at once without ever waiting for anything
// but the socket: SETTINGS, PING, WINDOW_UPDATE, RST_STREAM,
// GOAWAY and PRIORITY only change state and queue answers; DATA goes into
// a bounded body buffer; a complete request head becomes a stream handed to
// the executor. Handlers never run on it, so a handler waiting for a
// flow-control window cannot stop the WINDOW_UPDATE that would free it (the
// HTTP/2 deadlock of "Eat What You Kill without Starvation"). On a
// connector.Waiter (the epoll connector's connections) the reader runs
// only while frames come: when the socket has nothing more it returns,
// and the Waiter's callback starts it again on a goroutine of its own,
// never one queued behind the executor's work; elsewhere it is one goroutine
// waiting on the socket for the connection's life. A writer goroutine
// runs only while frames are queued; it owns the framer's write
// side and the HPACK encoder. A stream whose request is suspended holds
// no goroutine. Everything both sides touch is under mu.
type serverConn struct {
	srv     *Server
	nc      net.Conn
	books   connector.Books // closed when the connection ends
	lim     connector.Limits
	log     *slog.Logger
	handler connector.Handler
	execute func(dispatcher.Task)
	info    *api.ConnInfo // the connection's; every request points at it

	// The reader's own: checked by readG in tests.
	readG      owner.Goroutine
	wait       connector.Waiter // nc, if it can wait without the reader's goroutine
	wake       func()           // starts the reader again: wait's callback
	src        io.Reader        // the connection's bytes (connector.Handover.Reader)
	br         *bufio.Reader    // reads src and holds a whole frame; pooled while the reader waits with it empty or carried
	carry      []byte           // while br is pooled, the partial frame it held (under h2CarryMax), read before src
	dispatched bool             // a request went to the executor in this run
	prefaced   bool             // the client preface was read
	started    bool             // and its SETTINGS frame: the connection runs
	fr         *xhttp2.Framer
	maxID      uint32      // the highest stream id the client opened
	skipped    [][2]uint32 // recent runs of ids the client passed over (see openID)
	skippedOld [2]uint32   // the span of older runs, merged ([0, 0] if none)
	upgraded   *stream     // the request that asked for h2c, to serve first
	hdec       *hpack.Decoder
	blk        headerBlock // the header block being read (headers.go)

	mu       sync.Mutex
	cond     sync.Cond // handlers waiting for a window or queue space; the close waiting for the writer
	streams  map[uint32]*stream
	open     int // streams counted against MAX_CONCURRENT_STREAMS
	handlers int // streams whose handler has not finished
	lastID   uint32
	sendWin  int64 // the connection's send window
	recvWin  int64 // the connection's receive window left
	recvCred int64 // bytes consumed but not yet given back with WINDOW_UPDATE
	peer     h2Settings
	state    connState           // going away, ending, closed (state.go): changed only by fire
	draining int                 // streams answered whose client still sends a body
	resetIDs map[uint32]struct{} // streams the server reset lately
	err      error               // why it ended, for streams that ask
	starved  bool                // every stream waits for a client below a minimum data rate: the reader ends the connection
	headBy   time.Time           // while a header block is read: when it must be complete
	// prefaceBy is, until the client's preface and SETTINGS came, when
	// they must have (ReadHeaderTimeout): the reader's deadline, which
	// a graceful close or a handler's end before then leaves standing.
	prefaceBy time.Time

	// The reset bucket (countResetLocked).
	resets rate.Bucket

	// The write queue: control frames go first, stream frames in order.
	ctrl   []h2Frame
	frames []h2Frame
	queued int // data bytes in frames
	rsts   int // RST_STREAM frames in frames
	purged int // frames in frames that a reset dropped (see purgeLocked)
	// queuedSeq counts the stream frames queued, takenSeq where it stood
	// when the writer last took the queue (or the queue was dropped): a
	// stream whose lastQueued is not past takenSeq has nothing queued, and
	// its counts of what it queued (queuedFrames, queuedBytes) are stale.
	queuedSeq, takenSeq uint64
	writing             bool // a writer goroutine is running
	// writer is writeLoop, made once: a go statement on the method
	// value would make it again for every run of the writer.
	writer func()

	// endBy is, once the connection is ending on an error, the UnixNano by
	// which every write must be done (0 before): set under mu, read by
	// socketWriter without it.
	endBy atomic.Int64

	// The writer's own, checked by writeG in tests.
	writeG owner.Goroutine
	bw     *bufio.Writer
	wfr    *xhttp2.Framer
	henc   *hpack.Encoder
	hbuf   []byte
	batch  []h2Frame
}

// h2Settings are the client's settings that the server obeys.
type h2Settings struct {
	initialWindow  int64
	maxFrame       uint32
	headerTable    uint32
	headerTableLow uint32 // the least headerTable set since the writer took the settings (MaxUint32: none)
	maxHeaderBytes uint32
}

// newServerConn makes the HTTP/2 connection of h, whose bytes (the client
// preface first) are in h.Reader.
func newServerConn(srv *Server, h *connector.Handover) *serverConn {
	hc := &serverConn{
		srv:     srv,
		nc:      h.Conn,
		books:   h.Books,
		lim:     h.Limits,
		log:     h.Logger,
		handler: h.Handler,
		execute: h.Execute,
		info:    h.Info,
		src:     h.Reader,
		streams: make(map[uint32]*stream),
		sendWin: 65535,
		recvWin: h2ConnWindow,
		peer:    h2Settings{initialWindow: 65535, maxFrame: 16384, headerTable: 4096, headerTableLow: math.MaxUint32},
	}
	if hc.info == nil {
		hc.info = &api.ConnInfo{} // a Handover made by hand may leave it out
	}
	hc.cond.L = &hc.mu
	hc.wait, _ = h.Conn.(connector.Waiter)
	hc.wake = hc.read
	hc.writer = hc.writeLoop
	hc.fr = xhttp2.NewFramer(nil, frameSource{hc})
	hc.fr.SetMaxReadFrameSize(h2MaxFrame)
	hc.fr.SetReuseFrames()
	hc.hdec = hc.newHeaderDecoder()
	hc.wfr = xhttp2.NewFramer(frameSink{hc}, nil)
	hc.henc = hpack.NewEncoder((*appendWriter)(&hc.hbuf))
	return hc
}

// maxHeaderList is SETTINGS_MAX_HEADER_LIST_SIZE: Config.MaxHeaderBytes,
// counted as HTTP/2 counts (each field's name and value plus 32).
func (hc *serverConn) maxHeaderList() int {
	return hc.lim.MaxHeaderBytes + 32*hc.lim.MaxHeaders
}

// h2ConnectionError ends the connection with a GOAWAY carrying its code.
type h2ConnectionError struct {
	code   xhttp2.ErrCode
	reason string
}

func (e h2ConnectionError) Error() string {
	return "http2: connection error " + e.code.String() + ": " + e.reason
}

// serve starts the connection: its SETTINGS, the upgraded request if any,
// and the reader.
func (hc *serverConn) serve() {
	hc.nc.SetDeadline(time.Time{})
	tracked := hc.books.Track(hc.shutdown)
	hc.mu.Lock()
	hc.queueOwnCtrl(h2Frame{kind: h2fSettings})
	hc.queueOwnCtrl(h2Frame{kind: h2fWindowUpdate, n: h2ConnWindow - 65535})
	if !tracked {
		// The server is shutting down: serve what was already accepted (an
		// upgraded request, answered 101 already) and nothing more.
		hc.fire(connEvGoAway)
		hc.queueFrame(h2Frame{kind: h2fGoAway, n: hc.lastID})
	}
	hc.prefaceBy = time.Now().Add(hc.lim.ReadHeaderTimeout)
	hc.idleDeadlineLocked()
	hc.mu.Unlock()
	if st := hc.upgraded; st != nil {
		hc.upgraded = nil
		if hc.keepUpgraded(st) {
			hc.dispatch(st)
		}
	}
	hc.read()
}

// keepUpgraded reports whether the upgraded request's stream is to be
// dispatched. Not on a connection already closed: the writer, started by
// serve's SETTINGS, may have failed since the 101 (a client that hung up
// after reading it), and a handler started then could never send its
// response, as onHeaders says of any new stream. Going away does not drop
// it: the stream was accepted before any GOAWAY, whose last stream id is 1.
// A dropped stream is closed and done, counted nowhere.
func (hc *serverConn) keepUpgraded(st *stream) bool {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	if !hc.state.closed() {
		return true
	}
	hc.noteResetLocked(st.id) // the client's frames on it are ignored
	st.moveLocked(h2SendRst)
	st.handlerDoneLocked()
	return false
}

// read runs the reader until the connection ends or, on a Waiter, until
// the socket has nothing more for now: it then leaves the Waiter its
// callback, which runs it again when bytes come, the read deadline passes
// or the connection closes.
//
// The reader's buffer goes back to the server's pool while it waits with
// nothing in it, so that a quiet connection keeps none, or with a partial
// frame of less than h2CarryMax, which waits in carry: a client that
// stalls in the middle of a frame then holds the bytes it sent, not 16 KiB.
func (hc *serverConn) read() {
	hc.readG.Acquire()
	if hc.br == nil {
		if hc.carry != nil {
			hc.br = hc.srv.getReader(carrySource{hc})
		} else {
			hc.br = hc.srv.getReader(hc.src)
		}
	}
	err := hc.readFrames()
	if hc.wait == nil {
		hc.end(err)
		hc.readG.Release()
		return
	}
	switch {
	case errors.Is(err, api.ErrWouldBlock):
		if n := hc.br.Buffered(); n < h2CarryMax {
			if n > 0 {
				b, _ := hc.br.Peek(n)
				hc.carry = bytes.Clone(b)
			}
			hc.srv.putReader(hc.br)
			hc.br = nil
		}
		if !hc.blk.active {
			hc.releaseFields()
		}
		dispatched := hc.dispatched
		hc.dispatched = false
		hc.readG.Release()
		hc.wait.NotifyReadable(hc.wake)
		if dispatched {
			// Let the handlers just handed to the executor run before this
			// goroutine, often the selector's, reads on: started in a
			// burst, each would start on a goroutine of its own and grow
			// its stack (a fifth of the throughput of one request per
			// connection at a time).
			runtime.Gosched()
		}
		return
	case err == errH2Yield:
		hc.readG.Release()
		go hc.read()
		return
	}
	hc.srv.putReader(hc.br)
	hc.br = nil
	hc.carry = nil
	hc.releaseFields()
	hc.readG.Release()
	go hc.end(err)
}

// carrySource is what a reader's buffer reads after the reader waited
// with a partial frame carried: the carried bytes, then the connection's.
type carrySource struct{ hc *serverConn }

func (s carrySource) Read(p []byte) (int, error) {
	hc := s.hc
	if hc.carry == nil {
		return hc.src.Read(p)
	}
	n := copy(p, hc.carry)
	hc.carry = hc.carry[n:]
	if len(hc.carry) == 0 {
		hc.carry = nil
	}
	return n, nil
}

// releaseFields gives the header block's slice back to the server, the
// reader having nothing in it to finish. The reader's.
func (hc *serverConn) releaseFields() {
	hc.srv.putFields(hc.blk.fields)
	hc.blk.fields = nil
}

// frameSource is what the reader's framer reads: the reader's buffer,
// which readFrame filled with the whole frame first.
type frameSource struct{ hc *serverConn }

func (s frameSource) Read(p []byte) (int, error) { return s.hc.br.Read(p) }

// readFrames reads the preface, then frames, until an error.
func (hc *serverConn) readFrames() (err error) {
	defer func() {
		if p := recover(); p != nil {
			// A bug in this package: the connection ends, the process
			// goes on, as for HTTP/1.1.
			hc.log.Error("http2: panic serving a connection", "panic", p)
			err = h2ConnectionError{xhttp2.ErrCodeInternal, "internal error"}
		}
	}()
	if !hc.started {
		if err := hc.readPreface(); err != nil {
			return err
		}
	}
	return hc.readLoop()
}

// readPreface reads the client preface and its first SETTINGS frame.
func (hc *serverConn) readPreface() error {
	if !hc.prefaced {
		b, err := hc.br.Peek(len(xhttp2.ClientPreface))
		if err != nil {
			return err
		}
		if string(b) != xhttp2.ClientPreface {
			return h2ConnectionError{xhttp2.ErrCodeProtocol, "bad client preface"}
		}
		hc.br.Discard(len(b))
		hc.prefaced = true
	}
	f, err := hc.readFrame()
	if err != nil {
		return hc.frameError(err)
	}
	hc.started = true
	sf, ok := f.(*xhttp2.SettingsFrame)
	if !ok || sf.IsAck() {
		return h2ConnectionError{xhttp2.ErrCodeProtocol, "the client preface lacks SETTINGS"}
	}
	hc.mu.Lock()
	hc.prefaceBy = time.Time{}
	hc.idleDeadlineLocked()
	hc.mu.Unlock()
	return hc.onSettings(sf)
}

// readLoop reads and handles frames until the connection ends.
func (hc *serverConn) readLoop() error {
	for n := 0; ; n++ {
		if n == h2FramesPerRun && hc.wait != nil {
			return errH2Yield
		}
		f, err := hc.readFrame()
		if err != nil {
			if errors.Is(err, api.ErrWouldBlock) {
				return err // the end of what the socket had, every run
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if done := hc.deadlineReached(); done != nil {
					return done
				}
				continue
			}
			if se, ok := asStreamError(err); ok {
				// A frame that does not parse (a WINDOW_UPDATE of 0);
				// readFrame made those of HEADERS connection errors.
				if hc.idle(se.StreamID) {
					return h2ConnectionError{xhttp2.ErrCodeProtocol, "frame on an idle stream"}
				}
				if err := hc.resetStream(se.StreamID, se.Code); err != nil {
					return err
				}
				continue
			}
			return hc.frameError(err)
		}
		if err := hc.onFrame(f); err != nil {
			return err
		}
	}
}

// frameError turns a framer error into what ends the connection.
func (hc *serverConn) frameError(err error) error {
	var ce xhttp2.ConnectionError
	switch {
	case errors.As(err, &ce):
		return h2ConnectionError{xhttp2.ErrCode(ce), "bad frame"}
	case errors.Is(err, xhttp2.ErrFrameTooLarge):
		return h2ConnectionError{xhttp2.ErrCodeFrameSize, "frame larger than SETTINGS_MAX_FRAME_SIZE"}
	}
	return err
}

// deadlineReached handles a read deadline: a starved connection's (see
// starvedAfter), a header block's, the idle timeout, or the end of a
// graceful close. It returns the error that ends
// the reader, or nil to go on reading.
func (hc *serverConn) deadlineReached() error {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	if hc.starved {
		return errH2Starved
	}
	if !hc.headBy.IsZero() {
		// A header block unfinished after ReadHeaderTimeout. Nothing but
		// its CONTINUATION may follow it, so the connection cannot go on
		// without it: the client holds the whole connection, as a slow
		// HTTP/1.1 head holds its own, and is cut off as abusive.
		return h2ConnectionError{xhttp2.ErrCodeEnhanceYourCalm, "header block not complete within ReadHeaderTimeout"}
	}
	if hc.handlers > 0 || hc.open > 0 {
		hc.nc.SetReadDeadline(time.Time{}) // a stream started meanwhile
		return nil
	}
	if hc.fire(connEvGoAway) {
		hc.queueFrame(h2Frame{kind: h2fGoAway, n: hc.lastID})
	}
	return errH2Done
}

// idleDeadlineLocked arms the reader's deadline: for now when the
// connection is starved; for the end of the client's preface, until it
// came; for the end of the header block being read, if any; else for the
// connection's idle timeout when no stream is active, or for now when a
// graceful close is complete; and clears it otherwise.
func (hc *serverConn) idleDeadlineLocked() {
	switch {
	case hc.state.closed():
		// end is draining the socket under its own deadline.
	case hc.starved:
		hc.nc.SetReadDeadline(time.Now()) // deadlineReached ends it
	case !hc.prefaceBy.IsZero():
		// Not now for a graceful close (the upgraded request answered, a
		// Shutdown): the preface's reader takes a deadline for the
		// socket's failure and would drop what is queued, the answer and
		// the GOAWAY; nor none while the upgraded request runs, which
		// would let a client that never sends the preface hold the
		// connection. The reader arms the close once the preface came.
		hc.nc.SetReadDeadline(hc.prefaceBy)
	case !hc.headBy.IsZero():
		hc.nc.SetReadDeadline(hc.headBy)
	case hc.handlers > 0 || hc.open > 0:
		hc.nc.SetReadDeadline(time.Time{})
	case hc.state.goingAway():
		hc.nc.SetReadDeadline(time.Now())
	default:
		hc.nc.SetReadDeadline(time.Now().Add(hc.lim.IdleTimeout))
	}
}

// onFrame handles one frame on the reader goroutine.
func (hc *serverConn) onFrame(f xhttp2.Frame) error {
	hc.readG.Check()
	switch f := f.(type) {
	case *xhttp2.HeadersFrame:
		return hc.onHeadersFrame(f)
	case *xhttp2.DataFrame:
		return hc.onData(f)
	case *xhttp2.SettingsFrame:
		return hc.onSettings(f)
	case *xhttp2.PingFrame:
		if !f.IsAck() {
			hc.mu.Lock()
			err := hc.queueCtrl(h2Frame{kind: h2fPing, ping: f.Data})
			hc.mu.Unlock()
			return err
		}
	case *xhttp2.WindowUpdateFrame:
		return hc.onWindowUpdate(f)
	case *xhttp2.RSTStreamFrame:
		if hc.idle(f.StreamID) {
			return h2ConnectionError{xhttp2.ErrCodeProtocol, "RST_STREAM on an idle stream"}
		}
		hc.mu.Lock()
		st := hc.streams[f.StreamID]
		hc.mu.Unlock()
		if st != nil {
			err := errH2StreamReset // a client's error report: worth a log line
			switch f.ErrCode {
			case xhttp2.ErrCodeNo, xhttp2.ErrCodeCancel, xhttp2.ErrCodeRefusedStream:
				err = errH2ClientReset // it no longer wants the answer
			}
			return st.reset(h2RecvRst, f.ErrCode, err)
		}
	case *xhttp2.PriorityFrame:
		if f.StreamID == f.StreamDep {
			return hc.resetStream(f.StreamID, xhttp2.ErrCodeProtocol)
		}
	case *xhttp2.GoAwayFrame:
		hc.mu.Lock()
		hc.fire(connEvGoAway) // refused if it was going away already
		hc.idleDeadlineLocked()
		hc.mu.Unlock()
	case *xhttp2.PushPromiseFrame:
		return h2ConnectionError{xhttp2.ErrCodeProtocol, "PUSH_PROMISE from a client"}
	case *xhttp2.ContinuationFrame:
		// The framer lets one through only right after the HEADERS or
		// CONTINUATION without END_HEADERS of the same stream.
		if !hc.blk.active {
			return h2ConnectionError{xhttp2.ErrCodeProtocol, "unexpected CONTINUATION"}
		}
		return hc.onFragment(f.HeaderBlockFragment(), f.HeadersEnded())
	}
	// Unknown frame types are ignored (RFC 9113 §4.1).
	return nil
}

// idle reports whether stream id was never opened by the client: above
// the highest it opened, or even. Even streams are the server's to open,
// by PUSH_PROMISE, which it never sends: each stays idle however high the
// client's ids go, and only HEADERS (a PROTOCOL_ERROR of its own) and
// PRIORITY may come on it (RFC 9113 §5.1).
func (hc *serverConn) idle(id uint32) bool { return id > hc.maxID || id%2 == 0 }

// openID records that the client opened stream id, above maxID. The ids
// it passed over are closed without ever having been opened (RFC 9113
// §5.1.1): a HEADERS frame on one of them later opens a stream out of
// order, a PROTOCOL_ERROR, where one on a stream that ended is
// STREAM_CLOSED. Recent runs are kept one by one; once h2MaxStreams of
// them are, the older half is merged into skippedOld, a span that takes
// in the streams opened between them, whose late HEADERS are then
// PROTOCOL_ERROR as well (see usedStream): an id passed over is never
// forgotten.
func (hc *serverConn) openID(id uint32) {
	next := hc.maxID + 2
	if hc.maxID == 0 {
		next = 1
	}
	if id > next {
		if len(hc.skipped) >= h2MaxStreams {
			half := len(hc.skipped) / 2
			lo := hc.skipped[0][0]
			if hc.skippedOld[1] != 0 {
				lo = hc.skippedOld[0]
			}
			hc.skippedOld = [2]uint32{lo, hc.skipped[half-1][1]}
			hc.skipped = hc.skipped[:copy(hc.skipped, hc.skipped[half:])]
		}
		hc.skipped = append(hc.skipped, [2]uint32{next, id - 2})
	}
	hc.maxID = id
}

// wasSkipped reports whether stream id is in one of the recent runs of
// ids the client passed over when it opened a higher one (see openID).
func (hc *serverConn) wasSkipped(id uint32) bool {
	for _, r := range hc.skipped {
		if r[0] <= id && id <= r[1] {
			return true
		}
	}
	return false
}

// onSettings applies the client's settings in order and acknowledges them.
func (hc *serverConn) onSettings(f *xhttp2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	hc.mu.Lock()
	defer hc.mu.Unlock()
	before := hc.peer.initialWindow
	high := before // the highest SETTINGS_INITIAL_WINDOW_SIZE of the frame
	for i := range f.NumSettings() {
		s := f.Setting(i)
		if err := hc.applySettingLocked(s); err != nil {
			return err
		}
		if s.ID == xhttp2.SettingInitialWindowSize {
			high = max(high, hc.peer.initialWindow)
		}
	}
	if err := hc.moveWindowsLocked(hc.peer.initialWindow-before, high-before); err != nil {
		return err
	}
	if hc.peer.initialWindow > before {
		// The streams' windows grew: a response waiting for one may go
		// on. Not for a frame that changed none, which a client may send
		// without end (see waitLocked).
		hc.cond.Broadcast()
	}
	return hc.queueCtrl(h2Frame{kind: h2fSettingsAck})
}

// moveWindowsLocked moves every open stream's send window by delta, the
// change a SETTINGS frame made to SETTINGS_INITIAL_WINDOW_SIZE (RFC 9113
// §6.9.2). Each value of the frame moves the windows by its difference to
// the one before and only the sum remains, so they move once per frame: a
// frame may repeat the setting 2,730 times, and a pass over the streams
// per value made it cost the server thousands of times its size. rise is
// the frame's highest value less the one before the frame: a window
// overflows where it would have at that value, applying each in turn.
// hc.mu is held.
func (hc *serverConn) moveWindowsLocked(delta, rise int64) error {
	if delta == 0 && rise == 0 {
		return nil
	}
	for _, st := range hc.streams {
		if st.state == h2Closed {
			// Kept only until its handler finishes: it sends nothing
			// more, and its window, which the client may have opened
			// to the top, is not one to overflow.
			continue
		}
		if st.sendWin+rise > h2MaxWindow {
			return h2ConnectionError{xhttp2.ErrCodeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window"}
		}
		st.sendWin += delta
	}
	return nil
}

// applySettingLocked applies one of the client's settings. hc.mu is held.
func (hc *serverConn) applySettingLocked(s xhttp2.Setting) error {
	if err := s.Valid(); err != nil {
		var ce xhttp2.ConnectionError
		if errors.As(err, &ce) {
			return h2ConnectionError{xhttp2.ErrCode(ce), "invalid " + s.ID.String()}
		}
		return err
	}
	switch s.ID {
	case xhttp2.SettingInitialWindowSize:
		// The streams' windows move by the change once the frame is
		// applied (moveWindowsLocked); new streams start with this.
		hc.peer.initialWindow = int64(s.Val)
	case xhttp2.SettingMaxFrameSize:
		hc.peer.maxFrame = s.Val
	case xhttp2.SettingHeaderTableSize:
		// The encoder's table follows it (followTableSize). A size that
		// drops and comes back before the next header block, in one
		// frame or several, must still be signaled (RFC 7541 §4.2): the
		// client's decoder may have emptied its table when it dropped.
		hc.peer.headerTable = s.Val
		hc.peer.headerTableLow = min(hc.peer.headerTableLow, s.Val)
	case xhttp2.SettingMaxHeaderListSize:
		hc.peer.maxHeaderBytes = s.Val
	}
	return nil
}

// onWindowUpdate grows a send window.
func (hc *serverConn) onWindowUpdate(f *xhttp2.WindowUpdateFrame) error {
	if f.StreamID != 0 && hc.idle(f.StreamID) {
		return h2ConnectionError{xhttp2.ErrCodeProtocol, "WINDOW_UPDATE on an idle stream"}
	}
	hc.mu.Lock()
	if f.StreamID == 0 {
		shut := hc.sendWin <= 0
		hc.sendWin += int64(f.Increment)
		if hc.sendWin > h2MaxWindow {
			hc.mu.Unlock()
			return h2ConnectionError{xhttp2.ErrCodeFlowControl, "connection window above 2^31-1"}
		}
		if shut && hc.sendWin > 0 {
			hc.cond.Broadcast() // see waitLocked
		}
		hc.mu.Unlock()
		return nil
	}
	st := hc.streams[f.StreamID]
	if st == nil || st.state == h2Closed {
		hc.mu.Unlock()
		return nil // a stream that ended; its window no longer matters
	}
	shut := st.sendWin <= 0
	st.sendWin += int64(f.Increment)
	over := st.sendWin > h2MaxWindow
	if !over && shut && st.sendWin > 0 {
		hc.cond.Broadcast() // see waitLocked
	}
	hc.mu.Unlock()
	if over {
		return st.provokedReset(xhttp2.ErrCodeFlowControl, errH2FlowControl)
	}
	return nil
}

// onData delivers request body bytes.
func (hc *serverConn) onData(f *xhttp2.DataFrame) error {
	id := f.StreamID
	if hc.idle(id) {
		return h2ConnectionError{xhttp2.ErrCodeProtocol, "DATA on an idle stream"}
	}
	n := int64(f.Length) // padding included: it counts against the windows
	hc.mu.Lock()
	if n > hc.recvWin {
		hc.mu.Unlock()
		return h2ConnectionError{xhttp2.ErrCodeFlowControl, "DATA beyond the connection window"}
	}
	hc.recvWin -= n
	st := hc.streams[id]
	if st == nil || (st.state != h2Open && st.state != h2HalfClosedLocal) {
		// A stream that ended: give the connection window back at once.
		hc.creditLocked(nil, n)
		hc.mu.Unlock()
		if st != nil && st.state == h2Closed && st.localReset || st == nil && hc.wasReset(id) {
			return nil // reset by the server: frames in flight are ignored
		}
		return hc.resetStream(id, xhttp2.ErrCodeStreamClosed)
	}
	if n > st.recvWin {
		hc.creditLocked(nil, n)
		hc.mu.Unlock()
		return st.provokedReset(xhttp2.ErrCodeFlowControl, errH2FlowControl)
	}
	st.recvWin -= n
	data := f.Data()
	if pad := n - int64(len(data)); pad > 0 {
		hc.creditLocked(st, pad) // padding is never read: credit it now
	}
	hc.mu.Unlock()
	return st.recvData(data, f.StreamEnded())
}

// onHeaders opens a stream, or takes a request's trailers.
func (hc *serverConn) onHeaders(f *xhttp2.MetaHeadersFrame) error {
	id := f.StreamID
	if id%2 == 0 {
		return h2ConnectionError{xhttp2.ErrCodeProtocol, "even stream id from a client"}
	}
	if !hc.idle(id) {
		st, err := hc.usedStream(id)
		if st == nil {
			return err
		}
		return st.recvTrailers(f)
	}
	hc.openID(id) // the stream is open, or closed at once below
	if f.HasPriority() && f.Priority.StreamDep == id {
		hc.refused(0, "http2: request reset: ", xhttp2.ErrCodeProtocol)
		return hc.resetStream(id, xhttp2.ErrCodeProtocol)
	}
	st := newStream(hc, id)
	code, status := st.parseRequest(f)
	hc.mu.Lock()
	switch {
	case hc.state.goingAway() || hc.state.closed():
		// Above the last stream id of our GOAWAY: ignored, and so are the
		// frames that follow on it. So on a connection the writer closed
		// before anyone went away (broken): the reader may still find
		// whole frames in what it read, and a handler started for one
		// could never send its response.
		hc.noteResetLocked(id)
		hc.mu.Unlock()
		return nil
	case hc.handlers >= h2MaxHandlers:
		hc.mu.Unlock()
		return h2ConnectionError{xhttp2.ErrCodeEnhanceYourCalm, "too many unfinished requests"}
	case hc.open >= h2MaxStreams:
		code = xhttp2.ErrCodeRefusedStream
	}
	if code != xhttp2.ErrCodeNo {
		hc.mu.Unlock()
		hc.refused(0, "http2: request reset: ", code)
		return hc.resetStream(id, code)
	}
	hc.streams[id] = st
	hc.lastID = id
	hc.open++
	hc.handlers++
	hc.idleDeadlineLocked()
	hc.mu.Unlock()
	if f.StreamEnded() {
		if err := st.recvData(nil, true); err != nil {
			return err
		}
	}
	if status != 0 {
		hc.refused(status, "http2: request refused: ", xhttp2.ErrCodeNo)
		// Answered on the executor like any response: it may wait for a
		// flow-control window, which only this goroutine can open.
		hc.execute(dispatcher.Task{Run: func() { st.respondError(status) }})
		return nil
	}
	hc.dispatch(st)
	return nil
}

// usedStream is where a HEADERS frame on stream id, which is not idle,
// goes: the stream, if the server still has it (the request's trailers),
// else the error that answers the frame, nil for one to ignore.
func (hc *serverConn) usedStream(id uint32) (*stream, error) {
	hc.mu.Lock()
	st := hc.streams[id]
	reset := st == nil && hc.wasResetLocked(id)
	hc.mu.Unlock()
	switch {
	case st != nil:
		return st, nil
	case hc.wasSkipped(id):
		// Before the resets: one answered a frame on an id never opened
		// (DATA, say), which says nothing of a HEADERS frame opening it.
		return nil, h2ConnectionError{xhttp2.ErrCodeProtocol, "stream id lower than one already opened"}
	case reset:
		return nil, nil // the server reset or refused it: frames in flight are ignored
	case hc.skippedOld[0] <= id && id <= hc.skippedOld[1]:
		// Passed over, or a stream that ended long ago among ids passed
		// over: RFC 9113 §5.1 lets a frame that comes a significant time
		// after a stream ended be a PROTOCOL_ERROR too.
		return nil, h2ConnectionError{xhttp2.ErrCodeProtocol, "stream id lower than one already opened"}
	}
	return nil, h2ConnectionError{xhttp2.ErrCodeStreamClosed, "HEADERS on a closed stream"}
}

// dispatch hands a stream to the Handler on the executor: never on the
// reader, which must go on reading frames whatever the handler does. A
// Handler that maps requests first (connector.Preparer) does so here, and
// one that must wait for its turn (Admitter) is left to the Handler.
func (hc *serverConn) dispatch(st *stream) {
	if p, ok := hc.handler.(connector.Preparer); ok {
		st.prepared = p.Prepare(st)
		if a, ok := st.prepared.(Admitter); ok && !a.Admit() {
			return
		}
	}
	hc.execute(st.task())
	hc.dispatched = true
}

// resetStream sends RST_STREAM for id with code, closing the stream if it
// exists. It fails when a client provokes more resets than it reads.
func (hc *serverConn) resetStream(id uint32, code xhttp2.ErrCode) error {
	hc.mu.Lock()
	st := hc.streams[id]
	if st == nil || st.state == h2Closed {
		err := hc.queueRSTLocked(id, code, true)
		hc.mu.Unlock()
		return err
	}
	hc.mu.Unlock()
	return st.provokedReset(code, errH2StreamReset)
}

// queueRSTLocked queues a RST_STREAM and remembers that the server reset
// the stream. Resets the client provoked (a malformed frame, a flow-control
// error, a refused stream) count with the control frames against
// h2MaxControl, since a client can provoke them without reading, and but
// for NO_ERROR against the reset bucket (countResetLocked). The server's
// own (a handler's Abort, a timeout) always go out and count nowhere.
// hc.mu is held.
func (hc *serverConn) queueRSTLocked(id uint32, code xhttp2.ErrCode, provoked bool) error {
	hc.noteResetLocked(id)
	if hc.state.closed() {
		return nil
	}
	if provoked {
		if len(hc.ctrl)+hc.rsts >= h2MaxControl {
			return h2ConnectionError{xhttp2.ErrCodeEnhanceYourCalm, "too many streams reset unanswered"}
		}
		hc.rsts++
	}
	hc.queueFrame(h2Frame{kind: h2fRST, stream: id, code: code})
	if provoked && code != xhttp2.ErrCodeNo {
		// (NO_ERROR follows a complete response: the client is only
		// asked to stop sending its body.)
		return hc.countResetLocked()
	}
	return nil
}

// countResetLocked counts a stream ended by a reset the client caused
// before its response was complete: its RST_STREAM on a stream whose
// response was still to end, or a reset its frames provoked. Such a stream
// costs the server a stream's setup and often a handler's start, and
// costs the client a frame or two: past h2ResetBurst of them, refilled at
// h2ResetRate a second, the connection ends. The bucket is refilled here,
// from the time of the last refill, rather than by a timer, and by each
// stream that ends in full both ways (moveLocked): a client whose streams
// are mostly answered (a gRPC client cancelling a share of its calls at
// their deadlines, a proxy's many users on one connection) is never cut
// off however fast it goes, and one that mixes answered streams in to
// earn resets pays a whole request's work for each, which only the
// bounds on concurrent streams and handlers bound, as for any client.
// hc.mu is held.
func (hc *serverConn) countResetLocked() error {
	if !hc.resets.Take(time.Now(), h2ResetBurst, h2ResetRate) {
		return h2ConnectionError{xhttp2.ErrCodeEnhanceYourCalm, "too many streams reset"}
	}
	return nil
}

// noteResetLocked remembers a stream the server reset or refused, so that
// the frames the client sent before it heard are ignored (RFC 9113 §5.1)
// rather than taken as errors. Only recent ones are kept. hc.mu is held.
func (hc *serverConn) noteResetLocked(id uint32) {
	if len(hc.resetIDs) >= h2MaxStreams {
		clear(hc.resetIDs)
	}
	if hc.resetIDs == nil {
		hc.resetIDs = make(map[uint32]struct{})
	}
	hc.resetIDs[id] = struct{}{}
}

func (hc *serverConn) wasResetLocked(id uint32) bool {
	_, ok := hc.resetIDs[id]
	return ok
}

// wasReset is wasResetLocked for a caller without hc.mu.
func (hc *serverConn) wasReset(id uint32) bool {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	return hc.wasResetLocked(id)
}

// refused logs, at Debug, a request refused before any handler saw it
// (reset as malformed, or answered status), as package connector logs the
// HTTP/1.1 ones: no filter saw it, so no access log has it. The reason is
// prefix followed by code's name, or by status's text when code is
// ErrCodeNo. Nothing is built unless Debug is enabled.
func (hc *serverConn) refused(status int, prefix string, code xhttp2.ErrCode) {
	if !hc.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	reason := prefix + code.String()
	if code == xhttp2.ErrCodeNo {
		reason = prefix + http.StatusText(status)
	}
	hc.log.LogAttrs(context.Background(), slog.LevelDebug, "connector: request refused",
		slog.String("remote", hc.info.RemoteAddr),
		slog.Int("status", status),
		slog.String("reason", reason),
		slog.String("proto", "HTTP/2.0"))
}

// end closes the connection: a GOAWAY for a connection error (ahead of
// what is queued), what is queued written, every remaining stream reset.
func (hc *serverConn) end(err error) {
	var ce h2ConnectionError
	if errors.As(err, &ce) {
		// The client broke the protocol or a limit: worth a line for the
		// operator, not an error of the server's.
		hc.log.Debug("http2: connection error", "remote", hc.info.RemoteAddr, "code", ce.code.String(), "reason", ce.reason)
	}
	hc.mu.Lock()
	if !hc.state.closed() {
		switch {
		case errors.As(err, &ce):
			// Ahead of everything queued: the answers to a flood must not
			// stand between the client and the reason the connection ends.
			// But not of the server's SETTINGS, if the writer has not taken
			// it yet (a connection that fails at once): the server's
			// preface is a SETTINGS frame first (RFC 9113 §3.4).
			at := 0
			if len(hc.ctrl) > 0 && hc.ctrl[0].kind == h2fSettings {
				at = 1
			}
			hc.ctrl = slices.Insert(hc.ctrl, at, h2Frame{kind: h2fGoAway, n: hc.lastID, code: ce.code})
			hc.startWriterLocked()
		case errors.Is(err, errH2Done):
		default:
			hc.frames, hc.ctrl, hc.purged = nil, nil, 0 // the socket failed: nothing more goes out
			hc.takenSeq = hc.queuedSeq
		}
	}
	if errors.Is(err, errH2Done) {
		hc.fire(connEvGoAway) // refused if it was going away already
	} else {
		// The writer may be stuck on a client that does not read (the
		// flood that ended the connection, say). From now on each write
		// must make progress within h2GoAwayTimeout (socketWriter sets
		// the deadline of those that follow), and all of them end within
		// WriteTimeout: a client that reads gets the GOAWAY behind what it
		// was sent before, one that does not is closed a second later.
		hc.fire(connEvError) // refused if it was ending already
		hc.endBy.Store(time.Now().Add(hc.lim.WriteTimeout).UnixNano())
		hc.nc.SetWriteDeadline(time.Now().Add(h2GoAwayTimeout))
	}
	// Let the writer finish what is queued, then close.
	for hc.writing {
		hc.cond.Wait()
	}
	hc.fire(connEvClose) // refused if the writer closed it
	if hc.err == nil {
		hc.err = err
	}
	streams := make([]*stream, 0, len(hc.streams))
	for _, st := range hc.streams {
		streams = append(streams, st)
	}
	hc.cond.Broadcast()
	hc.mu.Unlock()
	if ce.code != xhttp2.ErrCodeNo || errors.Is(err, errH2Done) {
		// Let the client read the GOAWAY before the close resets the
		// connection: a close with bytes unread sends RST, which throws
		// away what the client has not received yet. Stop sending, and
		// drain what it sent, for h2Linger at most: after a flood that is
		// megabytes.
		if cw, ok := hc.nc.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
			hc.nc.SetReadDeadline(time.Now().Add(h2Linger))
			io.Copy(io.Discard, io.LimitReader(hc.nc, h2LingerBytes))
		}
	}
	hc.nc.Close()
	for _, st := range streams {
		st.reset(h2SendRst, xhttp2.ErrCodeCancel, connector.ErrClientGone)
	}
	hc.books.Close()
}

// shutdown starts a graceful close: GOAWAY, no new streams, the
// connection ends when its streams are done. The server's Shutdown calls
// it, and a response whose Connection field says "close" (see
// stream.moveLocked).
func (hc *serverConn) shutdown() {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	hc.shutdownLocked()
}

// shutdownLocked is shutdown with hc.mu held.
func (hc *serverConn) shutdownLocked() {
	if !hc.fire(connEvShutdown) { // refused once it goes away or closed
		return
	}
	hc.queueFrame(h2Frame{kind: h2fGoAway, n: hc.lastID})
	hc.idleDeadlineLocked()
}

// starvedAfter is called when a stream ended because its client was
// slower than a minimum data rate. If every stream still open waits for
// the client too (for a window, for the socket, or for body bytes), or
// none is left, the client is starving the connection as a whole: it
// ends with GOAWAY ENHANCE_YOUR_CALM, as HTTP/1.1 closes a slow client's
// connection, rather than stay open for IdleTimeout or until each stream
// has used up its own grace. The reader ends it (deadlineReached), so
// that the GOAWAY and the close follow the connection's one way of
// ending. A stream whose handler is busy, or whose client makes
// progress, keeps the connection.
func (hc *serverConn) starvedAfter() {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	if hc.state.closed() || hc.starved {
		return
	}
	for _, st := range hc.streams {
		if st.state != h2Closed && !st.draining && st.waits == 0 {
			return
		}
	}
	hc.starved = true
	hc.idleDeadlineLocked()
}

// streamDone drops a stream that is closed and whose handler finished.
// hc.mu is held.
func (hc *serverConn) streamDoneLocked(st *stream) {
	if hc.streams[st.id] == st {
		delete(hc.streams, st.id)
	}
	if len(hc.streams) == 0 && !hc.writing && hc.batch != nil {
		// The writer may have ended before this stream was dropped (its
		// handler finishes after its last frame is queued), and so kept
		// its batch for a stream that is gone. No writer runs while mu is
		// held and writing is false: the batch is free to give back.
		hc.writeG.Acquire()
		hc.releaseBatch()
		hc.writeG.Release()
	}
	if st.unread > 0 {
		hc.creditLocked(nil, st.unread) // body bytes nobody will read
		st.unread = 0
	}
	hc.idleDeadlineLocked()
}

// queueConnCredit queues a WINDOW_UPDATE of n for the connection, or adds
// n to one that is still queued: the writer has not taken it, and the
// client learns of both at once. hc.mu is held.
func (hc *serverConn) queueConnCredit(n int64) {
	for i := range hc.ctrl {
		if f := &hc.ctrl[i]; f.kind == h2fWindowUpdate && f.stream == 0 {
			f.n += uint32(n)
			return
		}
	}
	hc.queueOwnCtrl(h2Frame{kind: h2fWindowUpdate, n: uint32(n)})
}

// creditLocked gives back receive window for n bytes consumed on st (nil:
// the connection only), with a WINDOW_UPDATE once half a window is due.
func (hc *serverConn) creditLocked(st *stream, n int64) {
	if hc.state.closed() {
		return
	}
	hc.recvCred += n
	// Half a window at a time, or sooner once the credit would at least
	// double what the client has left (as x/net's server does): bytes that
	// handlers have not read hold the rest of the window, and past half of
	// it the credit of those read would never reach half a window, leaving
	// the connection's other streams without one for good. Not for less
	// than h2MinRefresh, so that a client sending tiny padded frames into
	// a nearly held window has fewer updates; unless the client has no
	// window left at all: held bytes leaving it less than h2MinRefresh,
	// the credit of the rest is all there will be, and kept back it would
	// stall the connection for good. An update still waiting for the
	// writer takes the credit of the next (queueConnCredit), so a client
	// that spends the window to nothing with each frame and reads nothing
	// has one queued, not one per frame.
	if hc.recvCred >= h2ConnWindow/2 || hc.recvCred >= hc.recvWin && (hc.recvCred >= h2MinRefresh || hc.recvWin == 0) {
		hc.queueConnCredit(hc.recvCred)
		hc.recvWin += hc.recvCred
		hc.recvCred = 0
	}
	if st == nil {
		return
	}
	st.recvCred += n
	if st.recvCred >= h2StreamWindow/2 && (st.state == h2Open || st.state == h2HalfClosedLocal) {
		hc.queueOwnCtrl(h2Frame{kind: h2fWindowUpdate, stream: st.id, n: uint32(st.recvCred)})
		st.recvWin += st.recvCred
		st.recvCred = 0
	}
}

// socketWriter is the connection's socket as the writer's bufio.Writer
// sees it. Until the connection ends on an error the writer sets one
// deadline per batch; after, each write (the 16 KiB buffer, or one frame)
// gets h2GoAwayTimeout from its start, and none goes past endBy.
type socketWriter struct{ hc *serverConn }

func (w socketWriter) Write(p []byte) (int, error) {
	if by := w.hc.endBy.Load(); by != 0 {
		d := time.Now().Add(h2GoAwayTimeout)
		if limit := time.Unix(0, by); d.After(limit) {
			d = limit
		}
		w.hc.nc.SetWriteDeadline(d)
	}
	return w.hc.nc.Write(p)
}

// appendWriter is an io.Writer appending to a byte slice.
type appendWriter []byte

func (w *appendWriter) Write(p []byte) (int, error) {
	*w = append(*w, p...)
	return len(p), nil
}
