package h3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/h1"
	"github.com/wharf-go/wharf/internal/rate"
)

// The connector's limits that quic-go has no setting for are enforced
// here, between quic-go's server and the container: limitHandler checks a
// request's head before the container sees it, and wraps its body and
// response writer so that reads and writes carry the connector's timeouts
// and the body its size limit. connLimit counts connections for
// MaxConnections. quic-go itself bounds the header section
// (MaxHeaderBytes), the handshake (ReadHeaderTimeout) and idle
// connections (IdleTimeout); see Serve.

// The package's errors; neither reaches a caller as such.
var (
	// errConnLimit refuses a connection over MaxConnections (the client
	// gets CONNECTION_REFUSED).
	errConnLimit = errors.New("h3: MaxConnections reached")
	// errShuttingDown refuses a connection that comes once the
	// container shuts down (CONNECTION_REFUSED).
	errShuttingDown = errors.New("h3: shutting down")
	// errTrailers is inside the 431 a body read fails with when the
	// trailer section has more fields than MaxHeaders.
	errTrailers = errors.New("h3: more trailer fields than MaxHeaders")
)

// handshakeIdleTimeout is quic.Config.HandshakeIdleTimeout for
// ReadHeaderTimeout: quic-go gives up a handshake idle for it, or not done
// in twice it. A ReadHeaderTimeout of none (connector.NoTimeout) leaves
// quic-go's own bound (zero: 5 s idle, 10 s in all), as none would hold a
// connection's state, and its MaxConnections slot, for good: a QUIC
// handshake begins with a single packet, from an address nobody has
// checked, where a TCP one needs the client's answer first.
func handshakeIdleTimeout(readHeader time.Duration) time.Duration {
	if readHeader >= connector.NoTimeout {
		return 0
	}
	return readHeader / 2
}

// noneAsZero is d, or zero for none (connector.NoTimeout): how quic-go's
// http3.Server says none.
func noneAsZero(d time.Duration) time.Duration {
	if d >= connector.NoTimeout {
		return 0
	}
	return d
}

// limitHandler is the http.Handler quic-go's server calls: the container,
// behind the connector's limits, and behind reqs, which Shutdown waits on.
type limitHandler struct {
	h    http.Handler
	lim  connector.Limits
	reqs *inflight

	// Tests' hooks (export_test.go), nil for none: run as quic-go hands
	// a request over, before reqs counts it, and once it has.
	testTaken, testCounted func()
}

func (l *limitHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if l.testTaken != nil {
		l.testTaken()
	}
	// First of all: until the container counts the request, reqs is all
	// that keeps Shutdown from returning under it.
	if !l.reqs.enter() {
		reject(w)
		return
	}
	defer l.reqs.exit()
	if l.testCounted != nil {
		l.testCounted()
	}
	resets, _ := r.Context().Value(resetsKey{}).(*resetBucket)
	rc := http.NewResponseController(w)
	dw := &deadlineWriter{ResponseWriter: w, rc: rc, timeout: l.lim.WriteTimeout, rate: rate.New(l.lim.MinResponseDataRate, l.lim.DataRateGrace),
		isHead: r.Method == http.MethodHead, length: -1}
	// Expect is read as HTTP/1.1 and HTTP/2 read it: one list across its
	// fields, each member without the white space around it (quic-go
	// hands values over as they came; the container trims them only once
	// this handler calls it).
	var expect100, expectOther bool
	for _, v := range r.Header.Values("Expect") {
		cont, other := h1.ExpectMembers(v)
		expect100, expectOther = expect100 || cont, expectOther || other
	}
	if status := l.refuse(r, expectOther); status != 0 {
		// Answered here, as the connector answers a head it refuses:
		// the handler never runs, and quic-go stops the unread body
		// (STOP_SENDING) when this returns.
		msg := http.StatusText(status) + "\n"
		dw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		dw.Header().Set("Content-Length", strconv.Itoa(len(msg)))
		dw.WriteHeader(status)
		io.WriteString(dw, msg)
		return
	}
	if _, ok := r.Header["Host"]; !ok && r.Host != "" {
		// The Host is among the request's fields, as on HTTP/1.1 and
		// on Wharf's HTTP/2, which adds :authority's: quic-go keeps a
		// host field only where the client sent one beside :authority
		// (which clients do not), and a filter that read the field
		// found it empty over HTTP/3 alone. The map is this request's,
		// made by quic-go; the field is not counted against
		// MaxHeaders, no more than :authority is.
		r.Header["Host"] = []string{r.Host}
	}
	if r.ContentLength < 0 && ended(r.Body, rc) {
		// quic-go says -1 for a request with no Content-Length field,
		// even one whose HEADERS ended the stream; net/http's server,
		// and so HTTP/1.1 and HTTP/2, say 0 for a request with no body.
		r.ContentLength = 0
	}
	b := &body{src: r.Body, r: r, rc: rc, max: l.lim.MaxBodyBytes, timeout: l.lim.ReadTimeout, total: l.lim.ReadBodyTimeout,
		maxTrailers: l.lim.MaxHeaders, rate: rate.New(l.lim.MinRequestDataRate, l.lim.DataRateGrace)}
	if r.ContentLength != 0 && expect100 {
		// quic-go sends no 100 (Continue) of its own, and a client may
		// hold its body back until one comes (RFC 9110 §10.1.1): invited
		// at the first read, as the connector's HTTP/1.1 and HTTP/2 do.
		b.invite = dw.continue100
	}
	r.Body = b
	// Counted as the handler returns, panicking or not: a stream the
	// client stopped before its response was complete, or one answered.
	defer resets.ended(r.Context(), dw)
	if !awaitHandshake(r, resets.quicConn()) {
		return // the client left, or the connection ended, first
	}
	l.h.ServeHTTP(dw, r)
	if dw.length >= 0 && dw.written < dw.length {
		// Fewer bytes than the head declared: quic-go would end the
		// stream as if the response were whole, a malformed one (RFC
		// 9114 §4.1.2) that a client or cache that does not count the
		// bytes takes for complete. quic-go resets the stream instead
		// (H3_INTERNAL_ERROR), as Wharf's HTTP/2 resets it.
		panic(http.ErrAbortHandler)
	}
	// The trailers, set once the head went (a field of the head was
	// cleaned as it went), are sent by quic-go when this returns, from
	// its map: cleaned as the head's were.
	maps.Copy(w.Header(), dw.header)
	cleanFields(w.Header())
	// quic-go writes what is buffered when this returns: under one more
	// deadline.
	dw.rc.SetWriteDeadline(time.Now().Add(dw.timeout))
}

// refuse returns the status a request's head is refused with, as the
// connector's HTTP/2 refuses one, or 0. quic-go checks the :path only for
// beginning with "/" (or being "*"), and url.ParseRequestURI takes a
// space, a byte outside ASCII and a '#' with what follows into the path,
// so the target is held to HTTP/1.1's rules, as HTTP/2 holds it
// (h1.ValidTarget: a fragment would be routed as part of the path, where
// a proxy in front drops it). For a plain CONNECT, RequestURI is the
// authority, checked below. quic-go checks the :authority
// only for being there, agreeing with Host and (for http and https)
// holding no userinfo, so the host is held here to the rules HTTP/1.1 and
// HTTP/2 apply (h1.ValidHost: no path, no percent-escape, a numeric port;
// for a plain CONNECT, a port too). An extended CONNECT (RFC 9220, whose
// :protocol quic-go gives as r.Proto) is answered 501: quic-go's server
// offers it to every client (SETTINGS_ENABLE_CONNECT_PROTOCOL, with no
// setting to turn it off), but a handler has no tunnel to give it (no
// api.Tunneler, no Hijack over HTTP/3), and any 2xx it answered would
// tell the client that its tunnel (a WebSocket, say) was open (RFC 9110
// §9.3.6). expectOther says the request's Expect list names an expectation other
// than 100-continue: a 417 after the limits, as on HTTP/1.1 and HTTP/2.
func (l *limitHandler) refuse(r *http.Request, expectOther bool) int {
	if !h1.ValidHost([]byte(r.Host), false) || !h1.ValidTarget([]byte(r.RequestURI)) {
		return http.StatusBadRequest
	}
	if r.Method == http.MethodConnect && r.Proto != "HTTP/3.0" {
		return http.StatusNotImplemented
	}
	if r.Method == http.MethodConnect && !h1.ValidConnectAuthority([]byte(r.Host)) {
		return http.StatusBadRequest
	}
	n := 0
	for _, vs := range r.Header {
		n += len(vs)
	}
	switch {
	case n > l.lim.MaxHeaders:
		return http.StatusRequestHeaderFieldsTooLarge
	case len(r.RequestURI) > l.lim.MaxURILength:
		return http.StatusRequestURITooLong
	case l.lim.MaxBodyBytes >= 0 && r.ContentLength > l.lim.MaxBodyBytes:
		return http.StatusRequestEntityTooLarge
	case expectOther:
		return http.StatusExpectationFailed
	}
	return 0
}

// ended reports whether a request's body is known to be empty as its
// handler starts: the client's FIN came with the end of the HEADERS frame,
// or before the server read it, as HTTP/2's END_STREAM comes on HEADERS.
// A read whose deadline has passed does not wait: quic-go answers it with
// io.EOF once the stream's end is all that is left, with the deadline's
// error before handing out any byte otherwise. The read asks for no byte,
// so that none of the body's could be taken from it.
func ended(src io.Reader, rc *http.ResponseController) bool {
	if rc.SetReadDeadline(time.Unix(1, 0)) != nil {
		return false
	}
	n, err := src.Read(nil)
	rc.SetReadDeadline(time.Time{})
	return n == 0 && err == io.EOF
}

// body is a request body under the connector's rules: ReadTimeout for
// each read and ReadBodyTimeout for the whole body (408), MaxBodyBytes (api.ErrBodyTooLarge, 413), MaxHeaders for
// the trailer fields (431), and a body cut short answered 400. Its errors
// are sticky. Reads come from one goroutine at a time, as from any body.
type body struct {
	src         io.ReadCloser
	r           *http.Request // its Trailer, filled in by quic-go at the end
	rc          *http.ResponseController
	n, max      int64 // read so far; MaxBodyBytes, -1 for none
	timeout     time.Duration
	total       time.Duration // ReadBodyTimeout, 0 for none
	until       time.Time     // the first read plus total
	rate        rate.Meter    // MinRequestDataRate
	maxTrailers int
	invite      func() // sends the 100 (Continue) the client waits for; nil for none
	err         error
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.invite != nil {
		b.invite()
		b.invite = nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	start := time.Now()
	if b.until.IsZero() && b.total > 0 {
		b.until = start.Add(b.total)
	}
	to, slow := b.rate.Timeout(b.timeout)
	if !b.until.IsZero() {
		// The whole body's deadline, as on TCP: a client that sends a
		// byte just often enough is cut off there (connector.ErrTooSlow).
		if left := b.until.Sub(start); left < to {
			to, slow = max(left, time.Nanosecond), true
		}
	}
	b.rc.SetReadDeadline(start.Add(to))
	n, err := b.src.Read(p)
	b.rate.Waited(time.Since(start))
	b.rate.Moved(n)
	b.n += int64(n)
	switch {
	case b.max >= 0 && b.n > b.max:
		// The bytes past the limit are not handed over with the error,
		// as on the connector: a reader that finds its end in them would
		// not read again to meet it.
		n -= int(b.n - b.max)
		b.n = b.max
		err = api.ErrBodyTooLarge
	case err == nil:
	case err == io.EOF:
		if trailerFields(b.r.Trailer) > b.maxTrailers {
			err = &api.StatusError{Code: http.StatusRequestHeaderFieldsTooLarge, Err: errTrailers}
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		if slow {
			err = fmt.Errorf("%w: %w", connector.ErrTooSlow, err)
		}
		err = &api.StatusError{Code: http.StatusRequestTimeout, Err: err}
	case trailersTooLarge(err):
		err = &api.StatusError{Code: http.StatusRequestHeaderFieldsTooLarge, Err: err}
	default:
		// The client reset the stream or left, or framed the body
		// wrongly: a 400, not a server failure, as on the connector.
		err = &api.StatusError{Code: http.StatusBadRequest, Err: err}
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

func (b *body) Close() error { return b.src.Close() }

// trailersTooLarge reports whether err is quic-go's refusal of a trailer
// section over its MaxHeaderBytes. quic-go does not export the error, so
// its text is matched; TestLimits fails if it changes.
func trailersTooLarge(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "http3: headers too large") || strings.HasPrefix(msg, "http3: HEADERS frame too large")
}

func trailerFields(h http.Header) int {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	return n
}

// deadlineWriter gives each write of a response WriteTimeout and the
// response's MinResponseDataRate, as the connector does.
// http.ResponseController reaches quic-go's writer through Unwrap.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	rate    rate.Meter

	// The body's read may send a 100 (Continue) from another goroutine
	// than the response's: mu orders it before the response's first
	// head, and started, set by either, keeps it from following one.
	mu      sync.Mutex
	started bool

	// header is the handler's map (Header), not quic-go's: quic-go sends
	// the fields of its map with a 1xx, and a 100 (Continue) may go out
	// from the body's reader while the handler's goroutine fills the
	// map, a concurrent map read and write. The fields reach quic-go's
	// map as the head goes (WriteHeader), the trailers once the handler
	// returned (limitHandler.ServeHTTP). The handler's goroutine's alone.
	header  http.Header
	headSet bool // a final head went to quic-go

	// length is the Content-Length the final head declared for a body it
	// carries (-1: none; an answer to HEAD, a 204 or a 304 carries none),
	// written the body bytes quic-go took.
	isHead          bool
	length, written int64
}

// Header returns the handler's fields (see header).
func (w *deadlineWriter) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header)
	}
	return w.header
}

// begin marks the response started as its head goes (WriteHeader, which
// a first Write or Flush goes through), after a 100 (Continue) being sent.
func (w *deadlineWriter) begin() {
	w.mu.Lock()
	w.started = true
	w.mu.Unlock()
}

// continue100 sends a 100 (Continue) unless the response has started: a
// client that has its answer sends no body (RFC 9110 §10.1.1).
func (w *deadlineWriter) continue100() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return
	}
	w.started = true
	w.write(0, func() error { w.ResponseWriter.WriteHeader(http.StatusContinue); return nil })
}

// write runs f, which moves k bytes toward the client, under the write
// deadline, and counts its wait.
func (w *deadlineWriter) write(k int, f func() error) error {
	to, slow := w.rate.TimeoutFor(k, w.timeout)
	start := time.Now()
	w.rc.SetWriteDeadline(start.Add(to))
	err := f()
	w.rate.Waited(time.Since(start))
	w.rate.Moved(k)
	if slow && errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("%w: %w", connector.ErrTooSlow, err)
	} else if err != nil && clientGone(err) {
		// As Wharf's HTTP/1.1 and HTTP/2 say it: a handler that returns
		// the error ends the request quietly, where quic-go's alone was
		// a server failure, logged with a 500, for every client that
		// left in the middle of a response.
		err = fmt.Errorf("%w: %w", connector.ErrClientGone, err)
	}
	return err
}

// clientGone reports whether err, a write's error from quic-go, says that
// the client stopped the stream (STOP_SENDING) or closed the connection,
// with an application's code or a transport's, or that the connection
// timed out, before its handshake ended or after, or was reset
// statelessly, its client gone. An end of the server's own making (its
// close, a reset of the stream by this side) says Remote false.
func clientGone(err error) bool {
	if e, ok := errors.AsType[*http3.Error](err); ok {
		return e.Remote
	}
	if e, ok := errors.AsType[*quic.StreamError](err); ok {
		return e.Remote
	}
	if e, ok := errors.AsType[*quic.ApplicationError](err); ok {
		return e.Remote
	}
	if e, ok := errors.AsType[*quic.TransportError](err); ok {
		return e.Remote
	}
	// A response to a request that came in 0-RTT can be written before the
	// handshake ends; a client that never finishes it leaves the
	// connection to time out there.
	_, handshake := errors.AsType[*quic.HandshakeTimeoutError](err)
	_, idle := errors.AsType[*quic.IdleTimeoutError](err)
	_, reset := errors.AsType[*quic.StatelessResetError](err)
	return handshake || idle || reset
}

func (w *deadlineWriter) WriteHeader(status int) {
	// quic-go sends every field it is given, and a client takes a message
	// with one of HTTP/1.1's connection fields as malformed (RFC 9114
	// §4.2), throwing the response away: leave out those a handler
	// written for HTTP/1.1 sets, as Wharf's HTTP/2 does, under a key in
	// any case (a map written without Set). A "Connection: close" goes
	// unheeded: quic-go's server sends a GOAWAY only as the whole server
	// shuts down (see the package doc).
	w.begin()
	h := w.Header()
	for k := range h {
		if h1.ConnectionField(h1.FramingField(k)) {
			delete(h, k)
		}
	}
	cleanFields(h)
	dst := w.ResponseWriter.Header()
	clear(dst)
	maps.Copy(dst, h)
	if status >= 200 && !w.headSet {
		w.length = -1
		if n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && n >= 0 && !w.isHead &&
			status != http.StatusNoContent && status != http.StatusNotModified {
			w.length = n
		}
	}
	w.headSet = w.headSet || status >= 200
	w.write(0, func() error { w.ResponseWriter.WriteHeader(status); return nil })
}

// implicitHead writes the 200 head a write before WriteHeader implies,
// through WriteHeader: quic-go would write its own map's.
func (w *deadlineWriter) implicitHead() {
	if !w.headSet {
		w.WriteHeader(http.StatusOK)
	}
}

// cleanFields makes h's fields ones a client can parse, as Wharf's HTTP/2
// writes them: quic-go sends them as they are, and a client throws away a
// response with a name that is no token, or a value with a control
// character (RFC 9114 §4.2, RFC 9110 §5.5), and fails the read of its
// body for such a trailer field. Such a name is dropped; those bytes of a
// value become spaces, and the white space around it goes
// (h1.CleanValue). A key quic-go sends as a trailer (http.TrailerPrefix)
// is checked without its prefix.
func cleanFields(h http.Header) {
	for k, vs := range h {
		if !h1.IsTokenString(strings.TrimPrefix(k, http.TrailerPrefix)) {
			delete(h, k)
			continue
		}
		for i, v := range vs {
			vs[i] = h1.CleanValue(v)
		}
	}
}

func (w *deadlineWriter) Write(p []byte) (n int, err error) {
	w.implicitHead()
	err = w.write(len(p), func() error {
		n, err = w.ResponseWriter.Write(p)
		return err
	})
	w.written += int64(n)
	return n, err
}

// FlushError is what http.ResponseController's Flush calls.
func (w *deadlineWriter) FlushError() error {
	w.implicitHead()
	return w.write(0, w.rc.Flush)
}

func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// connLimit counts a transport's connections, handshakes included, for
// MaxConnections: quic.Transport.ConnContext runs when a client's first
// packet would open one, and its context ends with the connection. At the
// limit the client is refused (CONNECTION_REFUSED) rather than left
// waiting: QUIC has no listen backlog in which a waiting connection costs
// the server nothing.
//
// Once closing reports true (the container's Shutdown or Close began),
// every new connection is refused, as the closed listener refuses one
// over TCP: quic-go's server, shut down, accepts no connection any more,
// but the QUIC listener is closed only with the transport, once the
// connections it lets finish are done, and until then would take the
// handshake of a new one into its queue, where the client's requests
// would wait for the client's own timeout, served by no one. (One admitted
// before, its handshake under way, is closed from that queue by
// refuseQueued.)
type connLimit struct {
	max     int64 // 0 for no limit
	closing func() bool
	n       atomic.Int64
}

func (l *connLimit) admit(ctx context.Context, _ *quic.ClientInfo) (context.Context, error) {
	if l.closing() {
		return ctx, errShuttingDown
	}
	if l.max <= 0 {
		return ctx, nil
	}
	if l.n.Add(1) > l.max {
		l.n.Add(-1)
		return ctx, errConnLimit
	}
	context.AfterFunc(ctx, func() { l.n.Add(-1) })
	return ctx, nil
}

// awaitHandshake holds a request that came in 0-RTT data, before conn's
// handshake completed, until it completes, unless its method is safe (RFC
// 9110 §9.2.1: GET, HEAD, OPTIONS, TRACE). Whoever captured 0-RTT data
// can send it again, on connections of their own, and the server runs
// the request each time; but a replayed ClientHello never completes a
// handshake, which needs the keys of the client that made it. So a
// request with effects waits (RFC 8470 §3), and runs once, for the one
// client that completes the handshake: its response costs the round trip
// that 0-RTT saved, where a GET, the common 0-RTT request, runs at once.
// r.TLS, taken by quic-go as the request came, is then taken again: the
// handler sees the handshake complete, as on a request that came after
// it. It reports false, the handler to be left
// unrun, when the request's context ends first: the client stopped the
// stream, or the connection ended, its handshake failed or timed out. A
// nil conn (a request that came through no Serve) waits for nothing.
func awaitHandshake(r *http.Request, conn *quic.Conn) bool {
	if conn == nil || r.TLS == nil || r.TLS.HandshakeComplete {
		return true
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	select {
	case <-conn.HandshakeComplete():
	case <-r.Context().Done():
		return false
	}
	state := conn.ConnectionState().TLS
	r.TLS = &state
	return true
}

// resetsKey is the context key of a connection's resetBucket, which
// Serve's http3.Server.ConnContext puts in every request's context.
type resetsKey struct{}

// The bucket of streams a client may stop before their response is
// complete, per connection: resetBurst at once, refilled at resetRate a
// second (and by one for each stream answered), as HTTP/2's (package
// connector/http2, h2ResetBurst and h2ResetRate). The burst lets a
// client cancel every stream it may have open, twice over, as a browser
// does when its user leaves a page.
const (
	resetBurst = 2 * MaxStreams
	resetRate  = 100
)

// resetBucket counts a connection's streams that its client stopped
// (STOP_SENDING, with or without RESET_STREAM) before their response was
// complete. quic-go returns such a stream's credit to the client as soon
// as both its directions end, which for a handler that returns when its
// request's context ends is at once: a client that opens a request
// stream and stops it, over and over, starts one handler for each at no
// more cost than a few frames (rapid reset, CVE-2023-44487, over QUIC),
// which MaxStreams does not bound. Past the bucket, the connection is
// closed with H3_EXCESSIVE_LOAD (RFC 9114 §8.1). A stream answered in
// full gives a token back, so that a client whose requests are mostly
// answered (one cancelling a share of its calls at their deadlines) is
// never cut off however fast it goes. The server's own resets (a
// handler's abort, a write timeout) are not counted.
type resetBucket struct {
	conn *quic.Conn

	mu     sync.Mutex
	bucket rate.Bucket
}

// connResets is http3.Server.ConnContext: a new bucket for each
// connection.
func connResets(ctx context.Context, conn *quic.Conn) context.Context {
	return context.WithValue(ctx, resetsKey{}, &resetBucket{conn: conn})
}

// ended counts a request whose handler returned: ctx is the request's
// context from quic-go, which ends when the client stops the stream (or
// the connection ends), w its response. A nil b (a request that came
// through no Serve) counts nothing.
func (b *resetBucket) ended(ctx context.Context, w *deadlineWriter) {
	if b == nil {
		return
	}
	if ctx.Err() == nil || (w.length >= 0 && w.written >= w.length) {
		// Answered, or the whole declared body handed over before the
		// client stopped the stream: it had its response.
		b.mu.Lock()
		b.bucket.Give()
		b.mu.Unlock()
		return
	}
	if b.conn.Context().Err() != nil {
		return // the connection ended, not the stream
	}
	if !b.spend() {
		b.conn.CloseWithError(quic.ApplicationErrorCode(http3.ErrCodeExcessiveLoad), "h3: too many streams reset")
	}
}

// quicConn returns the connection b counts for, or nil for a nil b.
func (b *resetBucket) quicConn() *quic.Conn {
	if b == nil {
		return nil
	}
	return b.conn
}

// spend takes a token from the bucket, or reports false when none is
// left.
func (b *resetBucket) spend() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bucket.Take(time.Now(), resetBurst, resetRate)
}
