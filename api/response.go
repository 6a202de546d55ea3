package api

import (
	"bufio"
	"net"
	"net/http"
)

// Response is the handle a serialized task uses to answer a request.
//
// Goroutines: a handle is valid only while the serialized task it was given
// to runs (a Handler's Serve, a Filter, an async task or IO callback). Once
// that task returns, every method that changes state returns
// ErrNotSerialized and writes nothing, Header returns a detached header
// whose changes are discarded, Committed reports true (nothing can change
// through the handle: SetCookie returns ErrCommitted) and Status 0. While the task runs, a goroutine it started
// may use the handle as net/http allows for a ResponseWriter, provided the
// task waits for it so that uses never overlap; to write after the task
// returns, submit a new task (async.Context.Dispatch).
//
// The status and header fields may change until the response is committed:
// by the first Flush, by a body larger than the output buffer, or at
// completion. After that, status and header changes are ignored.
type Response interface {
	// Header returns the response header fields to set before commit.
	// Once the head is sent and the response goes on, the container's
	// Response returns a copy of the fields sent: it keeps those, not the
	// map, so a change is lost and the next Header does not show it.
	Header() http.Header
	// Status returns the status set so far (200 if none was set).
	Status() int
	// SetStatus sets the status code. It returns ErrCommitted once the head
	// was sent. The container's Response takes a final status, 200 to
	// 999, and refuses any other with a *StatusError of 500. Interim
	// (1xx) responses are not supported: a 1xx set as the status would be
	// the only head the client got, and it would wait for a final one.
	// 101 Switching Protocols is sent by the upgrade APIs (Tunneler,
	// Hijacker, package websocket), 100 Continue by the connector.
	SetStatus(code int) error
	// Write appends p to the body, committing the response when the output
	// buffer fills. While the status is 204 No Content or 304 Not
	// Modified, which have no body, the container's Response writes
	// nothing and returns an error that wraps http.ErrBodyNotAllowed, as
	// net/http does (an empty p is not refused); the answer to HEAD takes
	// the bytes and drops them. A write that would take the body past a
	// Content-Length field the handler set writes nothing and returns an
	// error that wraps http.ErrContentLength; unlike net/http's, the
	// response goes on, and may still end with the body it declared.
	Write(p []byte) (int, error)
	// WriteString is Write for a string, without a copy where possible.
	WriteString(s string) (int, error)
	// Flush commits the response and sends what is buffered.
	Flush() error
	// Committed reports whether the head has been sent.
	Committed() bool
	// Reset clears the status, header fields and buffered body. It returns
	// ErrCommitted once the head was sent.
	Reset() error
	// Trailer returns the trailer fields to send after the body. Keys set
	// before commit are announced and force chunked encoding on HTTP/1.1;
	// values may be filled in until the response completes. Fields that a
	// recipient must not take from a trailer (framing, routing,
	// authentication and content fields such as Content-Length, Host,
	// Set-Cookie, Content-Type, and connection fields: RFC 9110 §6.5.1)
	// are neither announced nor sent, as with net/http's server.
	Trailer() http.Header
}

// Hijacker is implemented by a Response whose connection can be taken over
// (HTTP/1.1 only). After Hijack the container no longer touches the
// connection; the Response returns ErrHijacked. A response committed
// already (a Flush) may be taken over too, as on net/http's server: what
// was written of it goes out before the connection is handed over.
type Hijacker interface {
	Hijack() (net.Conn, *bufio.ReadWriter, error)
}

// Unwrapper is implemented by Response wrappers so that capabilities of the
// wrapped Response stay reachable.
type Unwrapper interface {
	Unwrap() Response
}

// As finds the first Response in w's Unwrap chain that implements T, as
// http.ResponseController does for http.ResponseWriter.
func As[T any](w Response) (T, bool) {
	for w != nil {
		if t, ok := w.(T); ok {
			return t, true
		}
		u, ok := w.(Unwrapper)
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	var zero T
	return zero, false
}

// Hijack takes over the connection under w, looking through wrappers. It
// returns ErrNotSupported if no Response in the chain can hijack.
func Hijack(w Response) (net.Conn, *bufio.ReadWriter, error) {
	h, ok := As[Hijacker](w)
	if !ok {
		return nil, nil, ErrNotSupported
	}
	return h.Hijack()
}

// ContentTypeSetter is implemented by a Response that can hold its
// Content-Type without a header map: the container's can, until Header is
// first called, which moves the type into the map it makes. SetContentType
// uses it.
type ContentTypeSetter interface {
	// SetContentType sets the Content-Type field to v, as Header().Set
	// would; once the response is committed, it is ignored.
	SetContentType(v string)
}

// SetContentType sets w's Content-Type field to v, as
// w.Header().Set("Content-Type", v) does, but without making w's header
// map when w can hold the type alone (ContentTypeSetter): a response whose
// only field is its type, the common case, then makes no map, three of the
// container's seven allocations for a small response (about 15% of its
// instructions, counted on HTTP/1.1). Header, called before or after,
// shows the type as if Set had put it there.
//
// It does not look through wrappers (Unwrap): a wrapper may keep header
// fields of its own (a buffer's, say), which must see the type; on a
// wrapper it calls w.Header().Set.
func SetContentType(w Response, v string) {
	if s, ok := w.(ContentTypeSetter); ok {
		s.SetContentType(v)
		return
	}
	w.Header().Set("Content-Type", v)
}

// RepresentationDescriber is implemented by a Response wrapper that derives
// header fields from the representation a response carries, as package
// filters/gzip derives Content-Encoding, ETag and Vary from the body's
// type and length. A 304 carries no body and no type, and a 206 a part of
// the body, yet each must carry the ETag and Vary that the 200 to the same
// request would (RFC 9110 §15.3.7, §15.4.5): a handler answering 304 or
// 206 calls DescribeRepresentation, found with As, before it sets the
// status, with what that 200 would have been. A wrapper that implements
// it passes the call on to the first RepresentationDescriber it wraps.
type RepresentationDescriber interface {
	// DescribeRepresentation gives the 200's Content-Type, the length of
	// its body (-1 if unknown) and its Content-Encoding ("" for none).
	DescribeRepresentation(contentType string, length int64, coding string)
}

// ResponseWrapper delegates every method to the wrapped Response. Embed it in
// a wrapper to override only what the wrapper changes; Unwrap keeps the
// wrapped Response's capabilities reachable. SetContentType reaches the
// wrapped Response through a wrapper only if the wrapper passes it on
// (its own SetContentType calling SetContentType(w.Response, v)), which
// one that keeps no header fields of its own may do; otherwise it goes
// through Header, as Header().Set would.
//
// A wrapper that overrides Write, WriteString or Flush to see
// or change the body must also embed BlockingWrites: otherwise a writer
// that finds the connection's NonBlockingWriter through Unwrap (package
// static's sendfile, async.Output) writes around it.
type ResponseWrapper struct {
	Response
}

// Unwrap returns the wrapped Response.
func (w ResponseWrapper) Unwrap() Response { return w.Response }

// Discarder is implemented by a Response that can drop its uncommitted
// output itself, more cheaply than Discard's fallback, and without losing
// the header fields that do not describe the body: the container's
// Response, and the one a task receives, do. Reset clears every header
// field, which would lose those a filter or an earlier task set on
// purpose (CORS, security headers, WWW-Authenticate).
type Discarder interface {
	// Discard drops what the response holds uncommitted — the buffered
	// body, the status, the trailers and the header fields that describe
	// the body (see ClearBodyHeaders) — and keeps every other header
	// field. It returns ErrCommitted once the head was sent.
	Discard() error
}

// Discard drops w's uncommitted output as net/http's http.Error and the
// Servlet API's sendError do: the buffered body, the status, the trailers
// and the header fields that describe the body are discarded, and every
// other header field set so far is kept. It uses w's Discard method if w
// is a Discarder; otherwise it calls w.Reset and sets the kept fields
// again. A wrapper that buffers on its own is reached through its Reset,
// so Discard does not look through Unwrap. It returns ErrCommitted, and
// changes nothing, once the head was sent: a committed response can only
// go on. async.Discard, a forward (package dispatcher) and the container
// before it renders an error all discard this way.
func Discard(w Response) error {
	if d, ok := w.(Discarder); ok {
		return d.Discard()
	}
	if w.Committed() {
		return ErrCommitted
	}
	kept := w.Header().Clone()
	ClearBodyHeaders(kept)
	if err := w.Reset(); err != nil {
		return err
	}
	h := w.Header()
	for k, v := range kept {
		h[k] = v
	}
	return nil
}

// bodyHeaders are the header fields that describe a response body, which
// go with it when it is discarded: Jetty's list for Response.resetContent,
// plus Trailer, which announces the trailers discarded with the body.
var bodyHeaders = [...]string{
	"Content-Type", "Content-Length", "Content-Encoding", "Content-Language",
	"Content-Range", "Content-Location", "Content-Disposition", "Content-Md5",
	"Transfer-Encoding", "Etag", "Last-Modified", "Trailer",
}

// ClearBodyHeaders deletes from h the fields that describe a response
// body and so go with it when it is discarded (async.Discard, a forward):
// Content-Type, Content-Length, Content-Encoding, Content-Language,
// Content-Range, Content-Location, Content-Disposition, Content-MD5,
// Transfer-Encoding, ETag, Last-Modified, and Trailer (the trailers go
// too). Keys are matched in their canonical form, as http.Header.Del does.
func ClearBodyHeaders(h http.Header) {
	if len(h) == 0 {
		return
	}
	for _, k := range bodyHeaders {
		delete(h, k)
	}
}
