package api

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// Request is an immutable HTTP request as seen by handlers and filters.
//
// The container builds a Request once per dispatch; nothing it does later
// (forward, re-dispatch of a resumed continuation, completion) changes a
// Request a handler already holds. Every method is therefore safe to call
// from any goroutine, at any time, including after the response completed.
// The With methods return a modified copy.
//
// The one stateful part is the body: Body returns the same stream for every
// Request derived from the same exchange, and a stream is read once, and
// only until the response finishes (the connection then discards what is
// left, or closes). Form and PostForm read it for a URL-encoded body, once
// per exchange, and every Request of the exchange sees that one result: a
// form parsed before the response finished stays readable after it.
type Request struct {
	ctx   context.Context
	head  *RequestHead // shared by every derivation; never modified
	attrs *attr        // persistent list, newest first
	m     mapping
	ex    Exchange  // the container's per-request state; nil without one
	form  *formSlot // the exchange's body form; shared by every derivation
}

// RequestHead is what a connector parsed off the wire, plus the connection
// facts a handler may need. The container fills it once; a Request keeps a
// pointer to it and never modifies it.
type RequestHead struct {
	Method        string             // "GET", ...
	Target        string             // the request-target as sent: "/a/b?x=1"
	Path          string             // decoded, cleaned path: "/a/b"
	RawQuery      string             // "x=1", without '?'
	Proto         string             // "HTTP/1.1"
	ProtoMajor    int                // 1
	ProtoMinor    int                // 1
	Host          string             // from the Host header or the absolute target
	Header        Header             // read-only view of the header fields
	ContentLength int64              // -1 if unknown (chunked)
	Conn          *ConnInfo          // the connection's facts, shared: never written through; nil: none known
	Body          io.ReadCloser      // never nil once in a Request
	Trailer       func() http.Header // request trailers after the body is read, read-only (Request.Head's returns copies); may be nil

	// MaxFormBytes is the largest URL-encoded body Form reads; zero means
	// DefaultMaxFormBytes; negative means no limit. A form body is held
	// in memory whole, so the limit is what keeps a client from making a
	// handler buffer gigabytes; a container may set it from its
	// configuration.
	MaxFormBytes int64
}

// ConnInfo is what a request knows of the connection it came on. A
// connector makes one per connection and points every request of the
// connection at it, so that a request does not carry copies of them: it
// is shared, and never modified once a request points at it.
type ConnInfo struct {
	RemoteAddr string               // "ip:port" of the peer
	LocalAddr  string               // "ip:port" the connection was accepted on
	TLS        *tls.ConnectionState // nil on cleartext connections

	// Scheme is the scheme the client used where it is not this
	// connection's: a proxy that took the client's request over TLS and
	// forwarded it in cleartext says https (package filters/forwarded puts
	// what a trusted proxy said here). TLS still describes the
	// connection, so it cannot say so. The zero value, SchemeOfConn, means
	// the connection's own: https with TLS, else http.
	Scheme Scheme
}

// Scheme is the scheme a client used, as a ConnInfo records it: one byte,
// so that a connection's ConnInfo stays in its 48-byte size class.
type Scheme uint8

// The schemes a ConnInfo may record. The zero value defers to the
// connection, so that a connector sets nothing and only a proxy's word
// (filters/forwarded) overrides it.
const (
	SchemeOfConn Scheme = iota // the connection's own: https with TLS, else http
	SchemeHTTP                 // http, whatever the connection
	SchemeHTTPS                // https, whatever the connection
)

// DefaultMaxFormBytes is the form body limit used when
// RequestHead.MaxFormBytes is zero: 10 MiB, net/http's default.
const DefaultMaxFormBytes = 10 << 20

type attr struct {
	key, value any
	next       *attr
}

// Attr is one request attribute: a key and its value. Keys follow the
// context.Context convention: use an unexported type to avoid collisions.
type Attr struct {
	Key, Value any
}

// AttrDetacher is implemented by an attribute value that stands for state
// of the request's exchange: a lookup put off until someone asks, which
// holds the request to make it, say. Detach stores what DetachAttr returns
// in the detached copy instead of such a value, so that the copy keeps
// nothing of the exchange. Detach calls it on its own goroutine, during
// the call: where the request's attributes may be read (its dispatch, for
// a WebSocket upgrade).
type AttrDetacher interface {
	DetachAttr() any
}

// NewRequest returns a Request for head with context ctx. Containers call it
// once per exchange; tests call it to drive a handler directly. The head is
// shared, not copied: the caller must not modify it afterwards. ex is the
// container's per-exchange state, returned by Exchange; it may be nil.
func NewRequest(ctx context.Context, head *RequestHead, ex Exchange) *Request {
	return NewMappedRequest(ctx, head, Mapping{}, ex)
}

// NewMappedRequest is NewRequest for a request already mapped to its
// handler: one allocation instead of NewRequest followed by WithMapping.
// The Request keeps a pointer to the Route m came from (Route.Map); a
// Mapping made otherwise costs a Route of its own.
func NewMappedRequest(ctx context.Context, head *RequestHead, m Mapping, ex Exchange) *Request {
	return new(RequestStorage).Init(ctx, head, m, ex)
}

// RequestStorage is room for an exchange's first Request inside a
// container's own per-request state, so that building the request costs
// no allocation of its own. A container embeds one in the state it keeps
// for each request and calls Init once; the Request it returns keeps
// that state reachable for as long as anything holds the Request (as its
// Exchange does anyway).
type RequestStorage struct {
	rf requestWithForm
}

// Init builds in s the Request NewMappedRequest would allocate, and
// returns it. It must be called once, by the goroutine that made s,
// before the Request is shared; s must not be copied afterwards.
func (s *RequestStorage) Init(ctx context.Context, head *RequestHead, m Mapping, ex Exchange) *Request {
	if ctx == nil {
		ctx = context.Background()
	}
	if head.Body == nil {
		head.Body = http.NoBody
	}
	// The exchange's form state lives beside the first Request:
	// derivations copy the pointer, so they all share one parse, and no
	// request pays an extra allocation for it.
	rf := &s.rf
	rf.Request = Request{ctx: ctx, head: head, m: m.compact(nil), ex: ex}
	rf.Request.form = &rf.form
	return &rf.Request
}

// requestWithForm is an exchange's first Request and the form state it
// shares with its derivations.
type requestWithForm struct {
	Request
	form formSlot
}

// Context returns the request's context. The container cancels it when the
// request completes and when it is closed; a connector that notices the
// client going away cancels it then too.
func (r *Request) Context() context.Context { return r.ctx }

// Method returns the request method.
func (r *Request) Method() string { return r.head.Method }

// Target returns the request-target as the client sent it, or, on a
// Request a forward or include built (package dispatcher), the target it
// forwarded to: the caller of the forward holds the client's.
func (r *Request) Target() string { return r.head.Target }

// Path returns the decoded, cleaned request path, including the context path.
func (r *Request) Path() string { return r.head.Path }

// RawQuery returns the query string without the '?'.
func (r *Request) RawQuery() string { return r.head.RawQuery }

// Query parses the query string. Each call parses anew and returns a map the
// caller owns; malformed pairs are dropped as url.ParseQuery does.
func (r *Request) Query() url.Values {
	v, _ := url.ParseQuery(r.head.RawQuery)
	return v
}

// QueryValue returns the first value of the query parameter key, or "",
// as r.Query().Get(key) would. It scans the raw query instead of building a
// map, and allocates only to unescape.
func (r *Request) QueryValue(key string) string {
	return queryValue(r.head.RawQuery, key)
}

// queryValue follows url.ParseQuery: pairs split on '&', a pair with a ';'
// or an invalid escape is dropped, key and value are unescaped.
func queryValue(q, key string) string {
	if strings.Count(q, "&")+1 >= maxScannedPairs {
		// url.ParseQuery refuses a query of more pairs than its limit
		// (10,000 by default, or GODEBUG's urlmaxqueryparams) and parses
		// none of it, so Query and Form have no value where a scan would
		// find one. From a hundred pairs, rare in a query, it answers:
		// what that costs buys agreement with Query under any limit
		// from a hundred up. GODEBUG's limit is exclusive (100 refuses
		// a query of 100 pairs), so a query of exactly that many must
		// not be scanned.
		v, _ := url.ParseQuery(q)
		return v.Get(key)
	}
	// One pass over each pair finds its end, its first '=', a ';' that
	// drops it and whether its key or value holds an escape or a '+':
	// cutting it on each of those in turn cost more than the pair's bytes.
	for q != "" {
		end, eq := len(q), -1
		semi, escKey, escValue := false, false, false
	scan:
		for i := 0; i < len(q); i++ {
			switch q[i] {
			case '&':
				end = i
				break scan
			case ';':
				semi = true
			case '=':
				if eq < 0 {
					eq = i
				}
			case '%', '+':
				if eq < 0 {
					escKey = true
				} else {
					escValue = true
				}
			}
		}
		pair := q[:end]
		if end < len(q) {
			q = q[end+1:]
		} else {
			q = ""
		}
		if pair == "" || semi {
			continue
		}
		k, v := pair, ""
		if eq >= 0 {
			k, v = pair[:eq], pair[eq+1:]
		}
		if escKey {
			uk, err := url.QueryUnescape(k)
			if err != nil {
				continue
			}
			k = uk
		}
		if k != key {
			continue
		}
		if !escValue {
			return v
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			return uv
		}
	}
	return ""
}

// maxScannedPairs is the fewest pairs of a query that queryValue does
// not scan itself: url.ParseQuery answers, with its limit on pairs.
const maxScannedPairs = 100

// Header returns the read-only header view.
func (r *Request) Header() Header { return r.head.Header }

// Proto returns the protocol, such as "HTTP/1.1".
func (r *Request) Proto() string { return r.head.Proto }

// Host returns the host the request is addressed to.
func (r *Request) Host() string { return r.head.Host }

// ContentLength returns the declared body length, or -1 if unknown.
func (r *Request) ContentLength() int64 { return r.head.ContentLength }

// RemoteAddr returns the peer's "ip:port" ("" if the connector did not
// say).
func (r *Request) RemoteAddr() string {
	if c := r.head.Conn; c != nil {
		return c.RemoteAddr
	}
	return ""
}

// LocalAddr returns the "ip:port" the connection was accepted on ("" if
// the connector did not say).
func (r *Request) LocalAddr() string {
	if c := r.head.Conn; c != nil {
		return c.LocalAddr
	}
	return ""
}

// TLS returns the connection's TLS state, or nil for cleartext.
func (r *Request) TLS() *tls.ConnectionState {
	if c := r.head.Conn; c != nil {
		return c.TLS
	}
	return nil
}

// Scheme returns the scheme the client used: ConnInfo.Scheme if set (a
// trusted proxy's word, see filters/forwarded), else "https" on a TLS
// connection and "http" otherwise. Code that asks whether a request came
// over https asks this rather than whether TLS is nil, which describes
// the connection only. (ToHTTPRequest cannot pass it on: an
// *http.Request says https with its TLS state alone.)
func (r *Request) Scheme() string {
	c := r.head.Conn
	switch {
	case c == nil:
		return "http"
	case c.Scheme == SchemeHTTPS:
		return "https"
	case c.Scheme == SchemeHTTP:
		return "http"
	case c.TLS != nil:
		return "https"
	}
	return "http"
}

// Body returns the request body stream. It is shared by every Request of the
// same exchange and can be read once: what one reader consumed, no Request
// of the exchange can read again. Form and PostForm are such a reader for a
// URL-encoded POST, PUT or PATCH body, so a handler that reads the body
// itself should not call them, and one that calls them after reading part of
// the body gets a form parsed from what remained. Any goroutine may call
// Body; reads of the stream must not overlap, and a read once the response
// finished fails: with an error wrapping ErrCompleted on Wharf's HTTP/1.1
// and HTTP/2 connectors, with net/http's or quic-go's own error when the
// container is served by net/http or over HTTP/3.
//
// Once the request has a ReadListener (async.Context.SetReadListener,
// which formdata.ParseAsync sets), the body is the listener's, as in the
// Servlet API: Body returns a stream whose Read fails with an error
// wrapping ErrWrongState that names the listener (its Close does
// nothing), on every connector, for every Request of the exchange whose
// body is the container's or the one the listener reads, in the dispatch
// that set the listener and in every later one (a re-dispatch, a resumed
// continuation's), so that no blocking read races the listener for the
// bytes. A body a Request was given after the listener came (WithBody)
// is read as usual.
func (r *Request) Body() io.ReadCloser {
	if l, ok := r.ex.(bodyListener); ok {
		if lb := l.ListenedBody(); lb != nil && r.listened(lb) {
			return listenedBody{}
		}
	}
	return r.head.Body
}

// bodyListener is the optional interface of an Exchange (see Exchange)
// that Body asks: ListenedBody returns the body a ReadListener reads, or
// nil while none does.
type bodyListener interface {
	ListenedBody() io.Reader
}

// listened reports whether r's body is one a ReadListener reading lb
// takes the bytes of: lb itself (a body a filter wrapped, the listener
// set on the wrapped Request), or the exchange's own, which lb is or
// reads from.
func (r *Request) listened(lb io.Reader) bool {
	if sameBody(r.head.Body, lb) {
		return true
	}
	base := r.ex.Request()
	return base != nil && sameBody(r.head.Body, base.head.Body)
}

// sameBody reports whether a and b are one body. Two values of one type
// that == cannot compare (a struct holding a slice, given by value, or
// io.NopCloser's around one) make it panic: those are two bodies.
// (reflect's Value.Comparable, which would tell, allocates.)
func sameBody(a, b io.Reader) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// listenedBody is what Body returns for a body a ReadListener reads.
type listenedBody struct{}

// errBodyListened is what a blocking read of a body a ReadListener reads
// fails with.
var errBodyListened = fmt.Errorf("wharf: %w: the request body is read by its ReadListener (async.Context.SetReadListener), not by a blocking read", ErrWrongState)

func (listenedBody) Read([]byte) (int, error) { return 0, errBodyListened }

// Close does nothing: the body is the listener's.
func (listenedBody) Close() error { return nil }

// Trailer returns the request trailers. They are complete only after the body
// has been read to EOF; before that, or on a protocol without trailers, it
// returns an empty header, or the fields that arrived already: never a
// name without a value, though net/http's server (and quic-go's) fills
// its map with the names the Trailer field declares before their values
// come (ToHTTPRequest's Trailer still holds them, as net/http's does).
func (r *Request) Trailer() Header {
	if r.head.Trailer == nil {
		return Header{}
	}
	tr := r.head.Trailer()
	for _, vs := range tr {
		if len(vs) == 0 {
			return NewHeader(withValues(tr))
		}
	}
	return NewHeader(tr)
}

// withValues returns a copy of tr without the names that have no value:
// declared, not yet received. Has and Len would count them otherwise,
// behind net/http alone.
func withValues(tr http.Header) http.Header {
	c := make(http.Header, len(tr))
	for k, vs := range tr {
		if len(vs) > 0 {
			c[k] = vs
		}
	}
	return c
}

// Head returns a copy of the request head, for building a derived request.
// Its Conn is still the connection's, shared with every request of the
// connection: to change an address (a proxy's client, say), point the
// copy at a ConnInfo of its own rather than write through Conn. Its
// Trailer returns a copy of the trailers at each call, which the caller
// may modify.
func (r *Request) Head() RequestHead {
	h := *r.head
	if tr := h.Trailer; tr != nil {
		// The connector's map is every Request's of the exchange, read
		// without a lock from any goroutine (Trailer): a caller that
		// wrote in it would change a Request others hold, and race
		// with their reads.
		h.Trailer = func() http.Header { return tr().Clone() }
	}
	return h
}

// Mapping returns how the request was mapped to its handler. Its Params
// are a copy the caller owns.
func (r *Request) Mapping() Mapping { return r.m.expand() }

// ContextPath returns the path of the context that holds the handler.
func (r *Request) ContextPath() string { return r.m.contextPath() }

// PathInContext returns the path relative to the context.
func (r *Request) PathInContext() string { return r.m.servletPath + r.m.pathInfo }

// PathParam returns the value of the {name} path parameter, or "".
func (r *Request) PathParam(name string) string {
	m := Mapping{Params: r.m.params}
	return m.Param(name)
}

// Exchange returns the state of the container that serves this request
// (see Exchange), or nil for a Request no container built.
func (r *Request) Exchange() Exchange { return r.ex }

// Exchange is the state a container keeps for one request. Every Request
// of that request — its initial dispatch, the derivations of With…, a
// forward, the re-dispatch after a resume or a timeout — returns the same
// Exchange, and a Request that no container built (NewRequest with nil, as
// tests do) returns nil. Handlers and filters use it in two ways only:
// compared to nil, to learn whether a container serves the request (and so
// whether it can suspend and outlive the call), and as a map key for state
// of their own that must last across the request's dispatches (it is
// comparable; filters/telemetry keys its spans on it).
//
// What else a container offers, the library's own packages find through
// optional interfaces of the value, as io finds a WriterTo behind a
// Reader: packages async and continuation the request's serialized
// executor, dispatcher.Forward the context's resolver and whether the
// container maps ambiguous paths, Request.Body the body a ReadListener
// reads (whose blocking reads it refuses). Programs do not
// implement it, except to build a Request a test hands to such a package.
type Exchange interface {
	// Request returns the Request of the initial dispatch (nil until it
	// starts).
	Request() *Request
}

// Attribute returns the value of the attribute key, or nil.
func (r *Request) Attribute(key any) any {
	for a := r.attrs; a != nil; a = a.next {
		if a.key == key {
			return a.value
		}
	}
	return nil
}

// Attributes yields every attribute, newest first, each key once.
func (r *Request) Attributes() iter.Seq2[any, any] {
	return func(yield func(any, any) bool) {
		for a := r.attrs; a != nil; a = a.next {
			if !shadowed(r.attrs, a) && !yield(a.key, a.value) {
				return
			}
		}
	}
}

func (r *Request) clone() *Request {
	c := *r
	return &c
}

// Detach returns a copy of r for what outlives its exchange (a WebSocket
// connection, say): the same head (copied, with no body, which belongs to
// the exchange: Body is http.NoBody and ContentLength 0), attributes (an
// AttrDetacher's value as its DetachAttr gives it) and mapping, ctx as its
// context, no Exchange (nil) and a form of its own, parsed from the query
// alone. It keeps none of the state the connector and the container kept
// for the request, which r's context and Exchange would hold on to, but
// the connection's ConnInfo, which the connection shares with all its
// requests; so the values of r's context are not ctx's unless the caller
// puts them there.
func (r *Request) Detach(ctx context.Context) *Request {
	if ctx == nil {
		panic("api: nil context")
	}
	d := &detached{head: *r.head}
	d.head.Body, d.head.Trailer, d.head.ContentLength = http.NoBody, nil, 0
	// No form state: without a body, there is no body form to share
	// (bodyForm); WithHead gives a copy with a body one of its own.
	d.Request = Request{ctx: ctx, head: &d.head, attrs: copyAttrs(r.attrs), m: r.m}
	return &d.Request
}

// copyAttrs returns a copy of the attribute list a, in one allocation,
// with each key once (its newest value; older ones are hidden anyway) and
// each AttrDetacher's value replaced by what its DetachAttr returns. A
// node WithAttribute made lives inside the request it derived, which
// holds that request's context and exchange: a detached request must not
// point at it.
func copyAttrs(a *attr) *attr {
	n := 0
	for x := a; x != nil; x = x.next {
		if !shadowed(a, x) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	nodes := make([]attr, 0, n)
	for x := a; x != nil; x = x.next {
		if shadowed(a, x) {
			continue
		}
		v := x.value
		if d, ok := v.(AttrDetacher); ok {
			v = d.DetachAttr()
		}
		nodes = append(nodes, attr{key: x.key, value: v})
		if i := len(nodes) - 1; i > 0 {
			nodes[i-1].next = &nodes[i]
		}
	}
	return &nodes[0]
}

// shadowed reports whether a node newer than x, in the list from a, has
// x's key.
func shadowed(a, x *attr) bool {
	for y := a; y != x; y = y.next {
		if y.key == x.key {
			return true
		}
	}
	return false
}

// detached is a Request of Detach and its head, in one allocation: a
// WebSocket keeps it for the connection's life.
type detached struct {
	Request
	head RequestHead
}

// WithContext returns a copy of r with its context replaced.
func (r *Request) WithContext(ctx context.Context) *Request {
	if ctx == nil {
		panic("api: nil context")
	}
	c := r.clone()
	c.ctx = ctx
	return c
}

// WithAttribute returns a copy of r with the attribute key set to value. The
// receiver is unchanged. Keys must be comparable.
func (r *Request) WithAttribute(key, value any) *Request {
	c := &attributed{Request: *r, a: attr{key: key, value: value, next: r.attrs}}
	c.attrs = &c.a
	return &c.Request
}

// attributed is a copy of a Request with its newest attribute: one
// allocation where the copy and the attribute's node would be two (a
// re-dispatch derives its request this way, for one).
type attributed struct {
	Request
	a attr
}

// WithAttributes returns a copy of r with every attribute of attrs set.
func (r *Request) WithAttributes(attrs ...Attr) *Request {
	if len(attrs) == 0 {
		return r
	}
	c := r.clone()
	nodes := make([]attr, len(attrs)) // one allocation for the new nodes
	for i, a := range attrs {
		nodes[i] = attr{key: a.Key, value: a.Value, next: c.attrs}
		c.attrs = &nodes[i]
	}
	return c
}

// WithMapping returns a copy of r with its mapping replaced. Containers and
// dispatchers use it; handlers seldom need it. As NewMappedRequest, it
// shares the Route m came from, or r's if m keeps its context path,
// pattern and kind (r.Mapping() with other parameters, say), or makes one.
// The copy keeps m.Params, not a copy of it (a mapping's parameters cost
// no allocation): the caller must not modify that slice afterwards, as the
// request must not change.
func (r *Request) WithMapping(m Mapping) *Request {
	c := r.clone()
	c.m = m.compact(r.m.route)
	return c
}

// WithHead returns a copy of r with a new head (for example, a forward to
// another path, or a filter that rewrites headers). The receiver keeps its
// own head. The caller must not modify head afterwards.
//
// The copy stays part of r's exchange: it shares r's body form (see Form),
// even if head has another Body or MaxFormBytes. A detached request
// (Detach) has no body form to share: a copy of it given a body gets one
// of its own.
func (r *Request) WithHead(head *RequestHead) *Request {
	if head.Body == nil {
		head.Body = r.head.Body
	}
	c := r.clone()
	c.head = head
	if c.form == nil && head.Body != http.NoBody {
		c.form = new(formSlot) // a detached request given a body
	}
	return c
}

// WithHeader returns a copy of r whose header view is h.
func (r *Request) WithHeader(h Header) *Request {
	head := *r.head
	head.Header = h
	return r.WithHead(&head)
}

// WithBody returns a copy of r whose body is body (a filter that decompresses
// or limits the body, say). Like every Request of the exchange, the copy
// shares r's body form, parsed from the body of whichever Request asked
// first; a filter that replaces the body must therefore do so before
// anything calls Form, as it must before anything reads the body. (A copy
// of a detached request parses its own body: see WithHead.)
func (r *Request) WithBody(body io.ReadCloser) *Request {
	head := *r.head
	head.Body = body
	return r.WithHead(&head)
}
