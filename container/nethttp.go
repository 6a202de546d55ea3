package container

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/internal/h1"
	"github.com/wharf-go/wharf/internal/httppath"
)

// ServeHTTP makes the Container an http.Handler, so httptest and any
// net/http server can drive it. The calling goroutine waits until the
// request completes, because net/http requires the response to be finished
// when ServeHTTP returns; a suspended request therefore holds this goroutine
// (the Wharf connector is the way to avoid that).
//
// The request's context carries the values of r's, which middleware
// around the container put there (a span, an authenticated user), and
// ends when the request completes. When r's context ends first (its
// client left, net/http says so), the request fails with
// connector.ErrClientGone, as on Wharf's connectors.
//
// A handler's Connection field that names "close" (in any case, under a
// key in any case) reaches net/http's server as "Connection: close", so
// that its HTTP/1 server closes the connection and its HTTP/2 server
// sends GOAWAY, as Wharf's connectors do.
//
// A response that cannot be finished (that client gone, the container's
// Close, a failure after the head was sent) is aborted as a net/http
// handler aborts one: ServeHTTP panics with http.ErrAbortHandler once
// the request is over, which a net/http server recovers without logging
// and answers by closing the connection or resetting the stream. A test
// that calls ServeHTTP itself with an httptest.ResponseRecorder (to have
// a stream or a long poll end by canceling the request's context) gets
// that panic on its own goroutine: recover it there, or drive the
// container through httptest.NewServer.
func (c *Container) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := newHTTPStream(w, r)
	c.ServeStream(s)
	<-s.done
	if s.aborted {
		panic(http.ErrAbortHandler)
	}
}

// valuesContext is the context of a request that a net/http server drives
// (ServeHTTP): the request's own, which ends when it completes, carrying
// the values of net/http's request context, which the middleware around
// the container put there (a span of otelhttp's, an authenticated user).
// Its end is not net/http's: a client gone is heard through Watch, and
// fails the request as on Wharf's connectors.
type valuesContext struct {
	*requestContext
	values context.Context
}

func (c *valuesContext) Value(key any) any { return c.values.Value(key) }

// httpStream is a connector.Stream over a net/http ResponseWriter.
type httpStream struct {
	w        http.ResponseWriter
	r        *http.Request
	head     api.RequestHead
	done     chan struct{}
	aborted  bool
	finished bool
	trailers []string
	// unwatch stops Watch's watch of the request's context, once the
	// response is done; nil before Watch.
	unwatch func() bool
	// length is the Content-Length the head declared (-1: none), and
	// written the body bytes net/http took: see WriteBody.
	length, written int64
	// cut says the container's Close came (cutOff): the connection is
	// net/http's, which Close cannot close, so the response is aborted
	// instead, as a cut connection ends it on Wharf's connectors. Set by
	// Close's goroutine, read by the request's.
	cut atomic.Bool
}

// errCut is what the writes of a response fail with once the container's
// Close cut it off.
var errCut = fmt.Errorf("container: the response was cut off by Close: %w", connector.ErrServerClosed)

// cutOff has the response aborted rather than finished: Close completes
// a live request as its response stands, which net/http would send as a
// complete answer (a 200 with an empty body, or a streamed body ended
// cleanly), where the client of a closed server must see a failure.
func (s *httpStream) cutOff() { s.cut.Store(true) }

// trimmedFields returns h with no white space around a field value, as
// Wharf's own connectors give every request's fields on every protocol.
// net/http's HTTP/1 reader trims them already; its HTTP/2 server, and
// quic-go's HTTP/3 server (package h3 serves through here), hand a value
// on as the client sent it, so that " 2" and "2" would differ there only.
// h is the server's and is not modified: a header with something to trim
// is copied.
func trimmedFields(h http.Header, protoMajor int) http.Header {
	if protoMajor < 2 {
		return h
	}
	for _, vs := range h {
		for _, v := range vs {
			if len(strings.Trim(v, " \t")) != len(v) {
				return trimAll(h.Clone())
			}
		}
	}
	return h
}

// trimAll removes the white space around every value of h, in place.
func trimAll(h http.Header) http.Header {
	for _, vs := range h {
		for i, v := range vs {
			vs[i] = strings.Trim(v, " \t")
		}
	}
	return h
}

func newHTTPStream(w http.ResponseWriter, r *http.Request) *httpStream {
	s := &httpStream{w: w, r: r, done: make(chan struct{}), length: -1}
	s.head = api.RequestHead{
		Method:        r.Method,
		Target:        r.RequestURI,
		Path:          httppath.Clean(r.URL.Path),
		RawQuery:      r.URL.RawQuery,
		Proto:         r.Proto,
		ProtoMajor:    r.ProtoMajor,
		ProtoMinor:    r.ProtoMinor,
		Host:          r.Host,
		Header:        api.NewHeader(trimmedFields(r.Header, r.ProtoMajor)),
		ContentLength: r.ContentLength,
		Conn:          connInfo(r),
		Body:          r.Body,
		Trailer:       func() http.Header { return r.Trailer },
	}
	if r.Body != nil && r.Body != http.NoBody {
		// The server fills r.Trailer during the body's last Read, on
		// whichever goroutine reads it (net/http writes into the map,
		// quic-go assigns the field), while a Request's Trailer may be
		// asked for from any goroutine at any time: until a Read has
		// returned io.EOF the request shows the names declared at the
		// start, copied now, before anything reads the body.
		b := &trailerSyncBody{ReadCloser: r.Body, r: r, declared: r.Trailer.Clone()}
		s.head.Body, s.head.Trailer = b, b.trailer
	}
	if s.head.Target == "" {
		s.head.Target = r.URL.RequestURI()
	}
	if r.Method == http.MethodConnect && r.URL.Path == "" {
		// The target is an authority ("example.com:443"), not a path:
		// Clean would make it "/", and the handler and filters of the
		// root would serve it. It has no path, as on the connectors.
		s.head.Path = ""
	}
	return s
}

// trailerSyncBody is a net/http request body that tells when the server
// has filled the request's trailers: once a Read returned io.EOF, which
// the atomic store orders after the server's write.
type trailerSyncBody struct {
	io.ReadCloser
	r        *http.Request
	declared http.Header // r.Trailer before the body was read: the declared names
	eof      atomic.Bool
	closed   atomic.Bool // Close was called
}

func (b *trailerSyncBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == nil:
	case err == io.EOF:
		b.eof.Store(true)
	case err == io.ErrUnexpectedEOF:
		// net/http's server says the body was cut short: the client
		// closed mid-body, or a chunked body ended without its last
		// chunk. A 400, as Wharf's connectors answer it: passed on bare,
		// it was a 500 logged as a failure of the server's wherever a
		// handler returned the read's error as it was (formdata's Parse,
		// Request.Form), once for every upload a client abandoned.
		err = errBodyCut
	default:
		err = bodyReadError(err, b.closed.Load() || !serversBody(b.ReadCloser))
	}
	return n, err
}

// serversBody reports whether body is one a server made (net/http's, or
// x/net/http2's, whose errors bodyReadError knows), not one a middleware
// in front of the container put in its place: a decompressor, a spool on
// disk, a reader under a context. What such a reader's error means is
// its own, perhaps the server's failure, and a status under 500 would
// show its text (a file's path, say) to the client. A body that answers
// its errors with a status (HTTP/3's, http.MaxBytesReader's) has them
// kept either way. http.MaxBytesReader's reader, though of package
// net/http, fails with its limit's error or with the error of the reader
// it was given, which is what is looked at: a middleware's body under
// http.MaxBytesReader is still a middleware's.
func serversBody(body io.ReadCloser) bool {
	v := reflect.ValueOf(body)
	for {
		if v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return false
			}
			v = v.Elem()
			continue
		}
		t := v.Type()
		switch pkg := t.PkgPath(); {
		case pkg == "golang.org/x/net/http2":
			return true
		case pkg != "net/http":
			return false
		case t.Name() != "maxBytesReader":
			return true
		}
		// Its field r, the reader given (Type and Elem read an unexported
		// field; nothing here calls Interface). Gone in a later Go, the
		// body is taken for a middleware's: its errors stay, 500s.
		if v = v.FieldByName("r"); !v.IsValid() {
			return false
		}
	}
}

// Close records that the handler closed the body: a read after it fails
// by the handler's doing, not the client's.
func (b *trailerSyncBody) Close() error {
	b.closed.Store(true)
	return b.ReadCloser.Close()
}

// errBodyCut is what a read of a body net/http's server reports cut short
// returns.
var errBodyCut = &api.StatusError{Code: http.StatusBadRequest, Err: io.ErrUnexpectedEOF}

// bodyReadError is what a read of a body returns for err, net/http's
// error for it (other than io.EOF and io.ErrUnexpectedEOF). Its HTTP/2
// server reports a body cut short otherwise: a stream ended before the
// Content-Length it declared, a stream reset, a connection lost; over
// HTTP/1.1 a reset connection is a *net.OpError; and its ReadTimeout ends
// a read with os.ErrDeadlineExceeded. Those are the client's, a 400 (408
// for the timeout), as on Wharf's connectors, not a 500 logged as the
// server's failure. An error that has its status already (HTTP/3's body,
// http.MaxBytesReader's 413) stays, as does a read after the handler
// closed the body, and one of a body a middleware put in the server's
// place (keep).
func bodyReadError(err error, keep bool) error {
	switch {
	case keep || err == http.ErrBodyReadAfterClose || api.StatusOf(err) != http.StatusInternalServerError:
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &api.StatusError{Code: http.StatusRequestTimeout, Err: os.ErrDeadlineExceeded}
	}
	// A status under 500 says its error to the client: a *net.OpError's
	// text names the server's address, which a client behind a proxy
	// must not learn (the connector drops it too).
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	return &api.StatusError{Code: http.StatusBadRequest, Err: err}
}

// trailer is the RequestHead's Trailer: the declared names until the end
// of the body, then the trailers, which nothing writes again.
func (b *trailerSyncBody) trailer() http.Header {
	if b.eof.Load() {
		return b.r.Trailer
	}
	return b.declared
}

// connInfo is what r says of its connection. net/http has no value per
// connection to share, so each request gets its own.
func connInfo(r *http.Request) *api.ConnInfo {
	info := &api.ConnInfo{RemoteAddr: r.RemoteAddr, TLS: r.TLS}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		info.LocalAddr = la.String()
	}
	return info
}

func (s *httpStream) Request() *api.RequestHead { return &s.head }

func (s *httpStream) WriteHead(status int, contentType string, h http.Header, contentLength int64, trailers []string) error {
	if s.cut.Load() {
		return errCut
	}
	dst := s.w.Header()
	closeConn := false
	for k, v := range h {
		f := h1.FramingField(k)
		closeConn = closeConn || f == "Connection" && h1.ListsToken(v, "close")
		if f != "" && f != k {
			// A framing field under a key in another case (a map
			// written without Set), which net/http's server and
			// quic-go's send as they are, beside their own:
			// "transfer-encoding: chunked" with their Content-Length.
			continue
		}
		// A copy: dst is net/http's, which code around the container (a
		// middleware, a recorder's owner) may write in place, and v may be
		// a slice the handler gives every response.
		dst[k] = cleanValues(v)
	}
	if closeConn {
		// "close" alone, under the canonical key: net/http's HTTP/2
		// server starts its graceful close (GOAWAY) only for a first
		// value of exactly "close", and the HTTP/1 server reads the
		// canonical key only, where the connectors heed the token in
		// any case, among others, under a key in any case.
		dst["Connection"] = []string{"close"}
	}
	if contentType != "" {
		dst["Content-Type"] = []string{contentType}
	}
	if h1.Bodyless(status) {
		// A Content-Length the handler set is no length of this
		// response's, which has no body: a 204 must not carry one (RFC
		// 9110 §8.6), and Wharf's connectors send it on none of them.
		// net/http's HTTP/1 server leaves it out too, but quic-go's
		// HTTP/3 server (package h3 serves through here) sends what
		// it is given.
		delete(dst, "Content-Length")
	}
	if contentLength >= 0 && len(trailers) == 0 && !h1.Bodyless(status) {
		dst.Set("Content-Length", strconv.FormatInt(contentLength, 10))
	}
	if len(trailers) > 0 && s.r.ProtoMajor == 1 {
		// net/http's HTTP/1.x server sends a body with a Content-Length
		// as it is, unchunked, and drops the trailers: without the
		// handler's, it chunks, and they go, as Wharf's connector sends
		// them. Its HTTP/2 server sends both.
		delete(dst, "Content-Length")
	}
	for _, t := range trailers {
		dst.Add("Trailer", t)
	}
	s.trailers = trailers
	if n, ok := declaredLength(dst); ok {
		s.length = n
	}
	s.w.WriteHeader(status)
	return nil
}

// WriteBody refuses a write past the declared Content-Length itself, as
// the other streams do, taking nothing: net/http's Write would count its
// bytes all the same, and fail every later write of the response.
func (s *httpStream) WriteBody(p []byte) error {
	if s.cut.Load() {
		return errCut
	}
	if s.length >= 0 && s.written+int64(len(p)) > s.length {
		return http.ErrContentLength
	}
	n, err := s.w.Write(p)
	s.written += int64(n)
	return err
}

// Flush flushes net/http's ResponseWriter. One that cannot flush
// (http.TimeoutHandler's, or a middleware's wrapper with neither Flush nor
// Unwrap) sends the body when it will, as it does for a net/http handler,
// whose flush is skipped there: the response goes on, where
// http.ErrNotSupported would fail it and abort the connection.
func (s *httpStream) Flush() error {
	err := http.NewResponseController(s.w).Flush()
	if errors.Is(err, http.ErrNotSupported) {
		return nil
	}
	return err
}

func (s *httpStream) Finish(trailers http.Header) error {
	if s.finished {
		return nil
	}
	if s.cut.Load() {
		s.Abort(errCut)
		return errCut
	}
	s.finished = true
	s.stopWatch()
	if s.r.Method == http.MethodHead && s.length < 0 && s.written == 0 {
		// An answer to HEAD that says no length (the handler wrote
		// nothing): its head goes now, as it is. quic-go's server
		// would add a Content-Length of the bytes written, 0, to a
		// head not yet sent, declaring GET's body empty (see
		// output.commitHead).
		_ = http.NewResponseController(s.w).Flush()
	}
	h := s.w.Header()
	for k, vs := range trailers {
		if !h1.SendableTrailer(k) {
			continue // as Wharf's connectors: net/http's server sends any
		}
		if !slices.Contains(s.trailers, k) {
			// Not announced in the head (set after a flush): net/http
			// sends a key with TrailerPrefix as a trailer all the same.
			k = http.TrailerPrefix + k
		}
		for _, v := range vs {
			h.Add(k, h1.CleanValue(v))
		}
	}
	close(s.done)
	return nil
}

// cleanValues returns a copy of vs with each value as Wharf's connectors
// send it (h1.CleanValue): net/http's server sends a control character
// in a value as it is, and Go's client, among others, then takes the
// whole head for malformed and fails the response.
func cleanValues(vs []string) []string {
	if vs == nil {
		return nil // a Content-Type key without values says: no type, none sniffed
	}
	c := make([]string, len(vs))
	for i, v := range vs {
		c[i] = h1.CleanValue(v)
	}
	return c
}

func (s *httpStream) Abort(error) {
	if s.finished {
		return
	}
	s.finished, s.aborted = true, true
	s.stopWatch()
	close(s.done)
}

func (s *httpStream) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, rw, err := http.NewResponseController(s.w).Hijack()
	if err != nil {
		return nil, nil, api.ErrNotSupported
	}
	s.finished = true
	s.stopWatch()
	close(s.done)
	return nc, rw, nil
}

// Watch implements connector.Stream. net/http, and quic-go's HTTP/3
// server (package h3), tell a handler that its client left (a closed
// connection, a reset stream) by cancelling the request's context, which
// the exchange does not follow: w hears of it instead, so that a
// suspended request fails at once, as on Wharf's connectors, rather than
// holding ServeHTTP's goroutine until its timeout (with none, for ever).
// The context also ends once ServeHTTP returns; by then the response is
// done and the watch stopped. A deadline that ends it was set by
// middleware around the container (a timeout), not by the client leaving:
// the request fails with a 503, as http.TimeoutHandler answers, rather
// than be aborted for a client that still waits.
func (s *httpStream) Watch(w connector.Watcher) {
	s.unwatch = context.AfterFunc(s.r.Context(), func() {
		err := s.r.Context().Err()
		if x, ok := w.(*exchange); ok && errors.Is(err, context.DeadlineExceeded) {
			x.deadlinePassed(&api.StatusError{Code: http.StatusServiceUnavailable, Err: fmt.Errorf("container: the request's context: %w", err)})
			return
		}
		w.ClientGone(connector.ErrClientGone)
	})
}

// stopWatch stops the watch Watch started, if any: the response is done.
func (s *httpStream) stopWatch() {
	if s.unwatch != nil {
		s.unwatch()
	}
}
