package api

// Handler produces the response to a request. Serve runs as a serialized task
// of the request: the Response is valid until Serve returns. A non-nil error
// is answered by the container through the context's error pages, unless the
// response is already committed, in which case the connection is aborted.
//
// A returned error discards the uncommitted body, status and trailers
// together with the header fields that describe that body (Content-Type,
// Content-Length, Content-Encoding, ETag, Last-Modified, ...), and keeps
// every other header field set so far (a WWW-Authenticate or Allow set
// before returning api.Error(401, ...) or api.Error(405, ...), a filter's
// CORS headers), as net/http's http.Error does. A caching policy set so
// far (Cache-Control, Expires) was the failed response's: the container
// answers the error with Cache-Control: no-store in its place.
//
// Serve may be called more than once for the same exchange when a
// continuation is resumed or expires; each call gets a new Request.
type Handler interface {
	Serve(w Response, r *Request) error
}

// ReadOnlyHandler is implemented by handlers that serve something to read
// and answer GET and HEAD only, as a file handler (static.Handler) does.
// Given directly as an error page, such a handler is served the failed
// request as a GET (a HEAD stays a HEAD), as the target of an error page's
// forward is: it renders the failure of a request of any method, where a
// POST would have it answer 405 in place of the page.
type ReadOnlyHandler interface {
	Handler
	// ReadOnly does nothing: it marks the handler.
	ReadOnly()
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(w Response, r *Request) error

// Serve calls f(w, r).
func (f HandlerFunc) Serve(w Response, r *Request) error { return f(w, r) }

// Chain is the rest of a filter chain: the remaining filters and the handler.
// A filter calls Next to pass the request on, possibly with a different
// Request or a wrapped Response.
type Chain interface {
	Next(w Response, r *Request) error
}

// ChainFunc adapts a function to a Chain.
type ChainFunc func(w Response, r *Request) error

// Next calls f(w, r).
func (f ChainFunc) Next(w Response, r *Request) error { return f(w, r) }

// Filter intercepts requests on their way to a handler. It may answer itself,
// call next.Next with the same or a derived Request, wrap the Response, or do
// work after next returns. It runs in the same serialized task as the handler.
type Filter interface {
	Filter(w Response, r *Request, next Chain) error
}

// FilterFunc adapts a function to a Filter.
type FilterFunc func(w Response, r *Request, next Chain) error

// Filter calls f(w, r, next).
func (f FilterFunc) Filter(w Response, r *Request, next Chain) error { return f(w, r, next) }

// Compose returns a Handler that runs filters in order and then h. It is how
// the container builds a chain, exposed for tests and for code that builds
// chains outside a container.
func Compose(h Handler, filters ...Filter) Handler {
	for i := len(filters) - 1; i >= 0; i-- {
		h = &link{f: filters[i], next: h}
	}
	return h
}

type link struct {
	f    Filter
	next Handler
}

func (l *link) Serve(w Response, r *Request) error { return l.f.Filter(w, r, l) }
func (l *link) Next(w Response, r *Request) error  { return l.next.Serve(w, r) }
