package container

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/connector"
	engine "github.com/wharf-go/wharf/internal/exchange"
	"github.com/wharf-go/wharf/internal/h1"
)

// output is the container's Response: it buffers the body so that small
// responses go out in one write with a Content-Length, and commits the head
// to the stream when the buffer fills or on Flush. It is not safe for
// concurrent use; async's handles guarantee a single serialized user.
type output struct {
	s       connector.Stream
	header  http.Header // made on first use; dropped once sent while the response goes on
	sentHdr *sentHeader // the fields sent, in place of header: see keepSentHeader
	// ctype is the Content-Type SetContentType set while there is no
	// header map; Header moves it into the map it makes.
	ctype string
	buf   []byte   // a pooled buffer's if its capacity is pooledCap
	bufs  *outBufs // the container's: the buffer's size and pool
	more  *outMore // a sticky stream error and the trailer fields, made when either is

	// What went to the stream, for the exchange's async.Result.
	sentBytes int64 // body bytes the stream accepted and will send

	// The small fields share a word: a status is 200 to 999 (SetStatus,
	// api.StatusOf), and every request keeps its output while it waits.
	status     uint16 // 0: 200
	sentStatus uint16 // status of the head the stream accepted; 0 before
	committed  bool
	hijacked   bool
	finished   bool
	countBody  bool // the head allows a body (not HEAD, 1xx, 204, 304); for sentBytes
}

// outMore is what few responses have: one pointer in every output
// instead of three words.
type outMore struct {
	err     error // sticky stream error
	trailer http.Header
}

// extra returns o.more, making it.
func (o *output) extra() *outMore {
	if o.more == nil {
		o.more = new(outMore)
	}
	return o.more
}

// failure returns the sticky stream error, if any.
func (o *output) failure() error {
	if o.more == nil {
		return nil
	}
	return o.more.err
}

// clientTooSlow reports whether err is the stream's failure (or wraps
// it) and that failure is a write that waited for the client past its
// bounds: WriteTimeout, or the minimum data rate (connector.ErrTooSlow).
// A client that stops reading its response is the client's doing, as one
// that leaves is (connector.ErrClientGone), not a failure of the
// server's: the handler that returns such an error, as io.Copy hands it
// on, is not a 500 to log.
func (o *output) clientTooSlow(err error) bool {
	f := o.failure()
	return f != nil && errors.Is(err, f) &&
		(errors.Is(f, os.ErrDeadlineExceeded) || errors.Is(f, connector.ErrTooSlow))
}

// fail records err as the sticky stream error.
func (o *output) fail(err error) { o.extra().err = err }

// writeFailed is fail for an error from the stream's write of bytes the
// handler gave it, past the commit: a write past the declared
// Content-Length is refused whole (every stream checks before it
// writes), so it is the handler's to hear of, as in net/http, and the
// response may still end with the body it declared.
func (o *output) writeFailed(err error) {
	if !errors.Is(err, http.ErrContentLength) {
		o.fail(err)
	}
}

// trailers returns the trailer fields, nil if none were asked for.
func (o *output) trailers() http.Header {
	if o.more == nil {
		return nil
	}
	return o.more.trailer
}

var (
	_ api.Response          = (*output)(nil)
	_ api.Hijacker          = (*output)(nil)
	_ api.Tunneler          = (*output)(nil)
	_ engine.Discarder      = (*output)(nil)
	_ api.ContentTypeSetter = (*output)(nil)
)

func (o *output) init(s connector.Stream, bufs *outBufs) {
	o.s = s
	o.bufs = bufs
}

// outBufs is what every output of a container shares: how much of a body
// it buffers (WithOutputBufferSize), and the pool small body buffers come
// from (of *[pooledCap]byte). Kept once per container, not in every output.
type outBufs struct {
	size int
	pool sync.Pool
}

// pooledCap is the capacity of pooled buffers; larger ones are not kept.
// Small responses, the common case, borrow one for the life of the
// response instead of allocating their own. The pool holds arrays, whose
// pointers it stores without an allocation, so that an output needs no
// field to remember where its buffer came from: a buffer of this capacity
// is one (or one the same size, as good to reuse).
const pooledCap = 2048

// grow makes room in the buffer for n more bytes, borrowing a pooled buffer
// first.
func (o *output) grow(n int) {
	if o.buf != nil {
		return // append grows it
	}
	if n <= pooledCap {
		b, _ := o.bufs.pool.Get().(*[pooledCap]byte)
		if b == nil {
			b = new([pooledCap]byte)
		}
		o.buf = b[:0]
		return
	}
	o.buf = make([]byte, 0, min(o.bufs.size, max(n, 512)))
}

// release gives a pooled buffer back once the response no longer needs it.
func (o *output) release() {
	if cap(o.buf) == pooledCap {
		o.bufs.pool.Put((*[pooledCap]byte)(o.buf[:pooledCap]))
	}
	o.buf = nil
}

// Header returns the header fields, made on first use: a suspended request
// that has not touched them holds none. Once the head is sent, changing
// them has no effect, as in net/http; a response that goes on after its
// head keeps only the fields sent (keepSentHeader), and Header returns a
// copy of those.
func (o *output) Header() http.Header {
	if o.header == nil {
		if o.sentHdr != nil {
			return o.sentHdr.header()
		}
		o.header = make(http.Header)
		if o.ctype != "" {
			o.header["Content-Type"] = []string{o.ctype}
			o.ctype = ""
		}
	}
	return o.header
}

// SetContentType implements api.ContentTypeSetter: without a header map,
// the type waits in ctype, and the stream gets it beside a nil header, as
// it gets a sniffed type.
func (o *output) SetContentType(v string) {
	switch {
	case o.committed:
	case o.header != nil || v == "": // "" is a field of its own (and sniffed over), as with Set
		o.Header()["Content-Type"] = []string{v}
	default:
		o.ctype = v
	}
}

func (o *output) Status() int {
	if o.status == 0 {
		return http.StatusOK
	}
	return int(o.status)
}

func (o *output) SetStatus(code int) error {
	if o.committed {
		return api.ErrCommitted
	}
	// A 1xx is interim (RFC 9110 §15.2): sent as the response's status,
	// it would be the only head the client got, with no final response
	// after it, and the client would wait for one. 101 is written by the
	// upgrade APIs (Tunnel, Hijack, package websocket), 100 Continue by
	// the connector.
	if code < 200 || code > 999 {
		return &api.StatusError{Code: http.StatusInternalServerError, Err: errBadStatus(code)}
	}
	o.status = uint16(code)
	return nil
}

type errBadStatus int

func (e errBadStatus) Error() string {
	if e >= 100 && e < 200 {
		return "container: status " + strconv.Itoa(int(e)) + " is interim: interim responses are not supported (101 is sent by the upgrade APIs)"
	}
	return "container: invalid status code " + strconv.Itoa(int(e))
}

// bodyless reports whether the status set has no body: 204 and 304
// (SetStatus refuses 1xx).
func (o *output) bodyless() bool {
	return o.status == http.StatusNoContent || o.status == http.StatusNotModified
}

// bodyRefused returns the error a write of n body bytes gets while the
// status has no body, nil otherwise. The stream would drop the bytes, and
// a nil error would tell the handler they went; net/http's Write returns
// http.ErrBodyNotAllowed there too. An empty write is let through, as in
// net/http (WriteNow(nil) is a flush). The answer to HEAD takes its
// writes: the method drops its body, not the status, and a handler
// writes it as it would for GET.
func (o *output) bodyRefused(n int64) error {
	if n == 0 || !o.bodyless() {
		return nil
	}
	return errNoBody(o.status)
}

// errNoBody is a write refused because the status, its value, has no
// body.
type errNoBody uint16

func (e errNoBody) Error() string {
	return "container: writing a body on a " + strconv.Itoa(int(e)) + " response: " + http.ErrBodyNotAllowed.Error()
}

func (e errNoBody) Unwrap() error { return http.ErrBodyNotAllowed }

// overLength returns the error a write of n more body bytes gets when,
// with what is buffered, it would pass the Content-Length the handler
// set, nil otherwise: net/http's Write returns http.ErrContentLength
// there, and nothing of the write goes. Without it the bytes would be
// taken, and the response would fail as it finished, where the handler
// cannot hear of it. Once the head is committed, the stream counts.
func (o *output) overLength(n int64) error {
	if o.committed {
		return nil
	}
	declared, ok := declaredLength(o.header)
	if !ok || int64(len(o.buf))+n <= declared {
		return nil // a value that is no length is the stream's to refuse
	}
	return errOverLength(declared)
}

// declaredLength returns the length the Content-Length field of h (a map
// of canonical keys) declares; ok is false for none, or for a value that
// is no length.
func declaredLength(h http.Header) (n int64, ok bool) {
	v := headerValue(h, "Content-Length")
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n >= 0
}

// errOverLength is a write refused because it would pass the declared
// Content-Length, its value.
type errOverLength int64

func (e errOverLength) Error() string {
	return "container: writing more than the declared Content-Length, " + strconv.FormatInt(int64(e), 10) + ": " + http.ErrContentLength.Error()
}

func (e errOverLength) Unwrap() error { return http.ErrContentLength }

func (o *output) check() error {
	switch {
	case o.hijacked:
		return api.ErrHijacked
	case o.finished:
		return api.ErrCompleted
	}
	return o.failure()
}

func (o *output) Write(p []byte) (int, error) {
	if err := o.check(); err != nil {
		return 0, err
	}
	if err := o.bodyRefused(int64(len(p))); err != nil {
		return 0, err
	}
	if !o.committed {
		if err := o.overLength(int64(len(p))); err != nil {
			return 0, err
		}
		if len(o.buf)+len(p) <= o.bufs.size {
			o.grow(len(p))
			o.buf = append(o.buf, p...)
			return len(p), nil
		}
		n := len(p)
		p = o.sniffAhead(p)
		if err := o.commit(-1); err != nil {
			return 0, err
		}
		if len(p) == 0 {
			return n, nil
		}
		if err := o.s.WriteBody(p); err != nil {
			o.writeFailed(err)
			return 0, err
		}
		o.sent(len(p))
		return n, nil
	}
	if err := o.s.WriteBody(p); err != nil {
		o.writeFailed(err)
		return 0, err
	}
	o.sent(len(p))
	return len(p), nil
}

// sniffLen is how much of a body http.DetectContentType reads.
const sniffLen = 512

// sniffAhead moves the first bytes of p into the buffer, up to sniffLen
// in all, when p is about to commit a head whose type is to be sniffed,
// and returns the rest of p. commitHead sniffs the buffer: without this a
// first write larger than the buffer would commit with nothing buffered
// and go without a type, and one after a few buffered bytes would be
// typed by those alone, where net/http sniffs the start of the body
// whatever the writes it came in.
func (o *output) sniffAhead(p []byte) []byte {
	if len(p) == 0 || len(o.buf) >= sniffLen || o.ctype != "" || headerValue(o.header, "Content-Type") != "" || noSniff(o.header) {
		return p
	}
	n := min(len(p), sniffLen-len(o.buf))
	o.grow(n)
	o.buf = append(o.buf, p[:n]...)
	return p[n:]
}

// sent counts n body bytes the stream accepted, if they go to the client.
func (o *output) sent(n int) {
	if o.countBody {
		o.sentBytes += int64(n)
	}
}

func (o *output) WriteString(s string) (int, error) {
	// Buffered, the string is appended without converting it first;
	// Write handles the rest, and reports a refused body.
	if err := o.check(); err == nil && !o.committed && len(o.buf)+len(s) <= o.bufs.size && !o.bodyless() && o.overLength(int64(len(s))) == nil {
		o.grow(len(s))
		o.buf = append(o.buf, s...)
		return len(s), nil
	}
	return o.Write([]byte(s))
}

func (o *output) Flush() error {
	if err := o.check(); err != nil {
		return err
	}
	if !o.committed {
		if err := o.commit(-1); err != nil {
			return err
		}
	}
	if err := o.s.Flush(); err != nil {
		o.fail(err)
		return err
	}
	return nil
}

func (o *output) Committed() bool { return o.committed }

// Buffered returns the body bytes held uncommitted: a timeout discards
// them before a continuation's expired re-dispatch (see async's Listener).
func (o *output) Buffered() int { return len(o.buf) }

func (o *output) Reset() error {
	if o.committed {
		return api.ErrCommitted
	}
	o.reset()
	return nil
}

// reset is discard that takes every header field with it.
func (o *output) reset() {
	o.discard()
	clear(o.header)
}

// Discard implements engine.Discarder: the uncommitted body, status and
// trailers go, with the header fields that describe the body; the other
// header fields stay.
func (o *output) Discard() error {
	if o.committed {
		return api.ErrCommitted
	}
	o.discard()
	return nil
}

// discard is what an error or a timeout does to the uncommitted output
// before it answers, as net/http's http.Error and the Servlet API's
// sendError do: the answer replaces the body and the status, but header
// fields set on purpose (WWW-Authenticate, Allow, a filter's CORS or
// security headers) still apply to it.
func (o *output) discard() {
	o.status = 0
	engine.ClearBodyHeaders(o.header)
	o.ctype = ""
	if o.more != nil {
		o.more.trailer = nil
	}
	o.buf = o.buf[:0]
}

func (o *output) Trailer() http.Header {
	m := o.extra()
	if m.trailer == nil {
		m.trailer = make(http.Header)
	}
	return m.trailer
}

// Tunnel implements api.Tunneler where the stream can hand its
// connection over as a Tunnel (the epoll connector's HTTP/1.1, TLS included);
// api.ErrNotSupported elsewhere, taking nothing.
func (o *output) Tunnel() (api.Tunnel, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.committed {
		return nil, api.ErrCommitted
	}
	t, ok := o.s.(api.Tunneler)
	if !ok {
		return nil, api.ErrNotSupported
	}
	tn, err := t.Tunnel()
	if err == nil {
		o.hijacked = true
	}
	return tn, err
}

func (o *output) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if err := o.check(); err != nil {
		return nil, nil, err
	}
	nc, rw, err := o.s.Hijack()
	if err == nil {
		o.hijacked = true
		if !o.committed {
			// The taker sends the head, with these fields (api.FromHTTP's
			// Hijack after a WriteHeader does): it is final here, as
			// commitHead's is.
			uncacheCookie(o.header)
		}
	}
	return nc, rw, err
}

// commit sends the head, then the buffered body. length is the body length
// when known.
func (o *output) commit(length int64) error {
	if err := o.commitHead(length); err != nil {
		return err
	}
	if len(o.buf) > 0 {
		n := len(o.buf)
		err := o.s.WriteBody(o.buf)
		o.buf = o.buf[:0]
		if err != nil {
			o.fail(err)
			return err
		}
		o.sent(n)
	}
	return nil
}

// headerValue is h.Get(key) for a key already in canonical form: the map
// holds canonical keys (Set and Add make them so, and Get would not find
// any other), so indexing it finds the same value without canonicalizing
// the key again on every response.
func headerValue(h http.Header, key string) string {
	if vs := h[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// commitHead hands the head to the stream, leaving the buffered body in
// o.buf (none for a status without a body). A length of -1 (unknown)
// means the response goes on after its head (a Flush, a body past the
// buffer, a write without blocking): its header map then gives way to the
// fields sent (keepSentHeader).
func (o *output) commitHead(length int64) error {
	goesOn := length < 0
	o.committed = true
	if o.ctype == "" && headerValue(o.header, "Content-Type") == "" && len(o.buf) > 0 && !o.bodyless() && !noSniff(o.header) {
		o.sniffType(o.buf)
	}
	if length == 0 && o.s.Request().Method == http.MethodHead {
		// The answer to HEAD ends with nothing written: no length
		// said, as net/http says none there. A handler that leaves the
		// body out for HEAD would otherwise declare GET's body empty,
		// which a client (and a cache, RFC 9111 §4.3.5) takes as GET's
		// length. One that knows it sets Content-Length itself.
		length = -1
	}
	if n, ok := declaredLength(o.header); ok {
		length = n
	}
	// Here, where the head is final, so that a Cache-Control set after
	// the cookie (a filter made the session, the handler set its policy)
	// cannot drop it.
	uncacheCookie(o.header)
	var trailers []string
	if len(o.trailers()) > 0 {
		trailers = o.trailerNames()
	}
	status := o.Status()
	if err := o.s.WriteHead(status, o.ctype, o.header, length, trailers); err != nil {
		o.fail(err)
		return err
	}
	o.sentStatus = uint16(status)
	if o.bodyless() {
		// Written before the status became 204 or 304, which have no
		// body: dropped here, where not every stream would drop them
		// (net/http's and HTTP/3's fail the response on them).
		o.buf = o.buf[:0]
	}
	o.countBody = status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified &&
		o.s.Request().Method != http.MethodHead
	if goesOn {
		o.keepSentHeader()
	}
	return nil
}

// The helpers below are commitHead's less common work, kept out of its
// frame: commitHead is on the way to every response's write, and a
// blocking request's goroutine starts with a small stack that one copy
// per request would grow (see exchange.fail). The compiler would inline
// them, frames and all, so they say not to.

// sniffType sets the Content-Type p, the body's first bytes, suggest.
//
//go:noinline
func (o *output) sniffType(p []byte) {
	t := http.DetectContentType(p)
	if o.header == nil {
		o.ctype = t // no map for it
		return
	}
	o.header["Content-Type"] = []string{t}
}

// noSniff reports whether the body's type is not to be sniffed: h holds
// Content-Type with a nil value, the way net/http's ResponseWriter is told
// to send no type and sniff none, or a Content-Encoding, whose body starts
// with the coding's bytes rather than the content's. net/http sniffs none
// there either (golang.org/issue/31753): gzip would be typed
// "application/x-gzip", and a browser that undoes the coding would offer
// the page as a download.
func noSniff(h http.Header) bool {
	vs, ok := h["Content-Type"]
	return ok && vs == nil || headerValue(h, "Content-Encoding") != ""
}

// trailerNames lists the declared trailer fields, but for those a trailer
// may not carry (h1.SendableTrailer), which the connectors do not send:
// announced, they would make a client such as Go's refuse the response.
//
//go:noinline
func (o *output) trailerNames() []string {
	t := o.trailers()
	names := make([]string, 0, len(t))
	for k := range t {
		if h1.SendableTrailer(k) {
			names = append(names, k)
		}
	}
	return names
}

// finish commits if needed (with the buffered length) and ends the stream.
func (o *output) finish() {
	if o.finished || o.hijacked {
		return
	}
	defer o.release()
	if !o.committed {
		if err := o.commit(int64(len(o.buf))); err != nil {
			o.finished = true
			o.s.Abort(err)
			return
		}
	}
	o.finished = true
	if err := o.failure(); err != nil {
		o.s.Abort(err)
		return
	}
	if err := o.s.Finish(o.trailers()); err != nil {
		o.fail(err)
	}
}

// result reports what went to the stream once the response is finished;
// nothing changes it afterwards.
func (o *output) result() (status int, bytes int64) {
	if o.hijacked {
		// The connection is someone else's from here, and what went on it
		// is not the Response's to count: no body bytes. Its status is
		// the head that went before (a Flush), or the one set before the
		// connection was taken, which the taker sends (a mounted net/http
		// handler's WriteHeader(200) for a tunnel, written by the
		// adapter's Hijack), as net/http's logging middleware report what
		// WriteHeader got; with neither, the taker writes its own head,
		// most often an upgrade's: the switch (101).
		switch {
		case o.sentStatus != 0:
			return int(o.sentStatus), 0
		case o.status != 0:
			return int(o.status), 0
		}
		return http.StatusSwitchingProtocols, 0
	}
	return int(o.sentStatus), o.sentBytes
}

// end reports how the finished response ended; err is what the exchange
// ended with.
func (o *output) end(err error) async.End {
	if o.hijacked {
		return async.EndAnswered
	}
	// A stream error means the connection failed under the response (the
	// client left, or a write timed out) — except a body longer than its
	// Content-Length, the handler's mistake.
	if f := o.failure(); errors.Is(err, connector.ErrClientGone) || f != nil && !errors.Is(f, http.ErrContentLength) {
		return async.EndClientGone
	}
	return async.EndAnswered
}
