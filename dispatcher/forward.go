package dispatcher

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/httppath"
)

// Resolver maps a path within a request's context to what serves it. The
// container's exchanges implement it.
type Resolver interface {
	// Resolve returns the handler mapped to pathInContext (wrapped in the
	// filters mapped to it when filters is true) and the mapping. ok is false
	// if nothing is mapped there.
	Resolve(pathInContext string, filters bool) (h api.Handler, m api.Mapping, ok bool)
}

// resolverHolder is the optional interface of a container's api.Exchange
// that leads to the request's context.
type resolverHolder interface {
	Resolver() Resolver
}

// ambiguityHolder is the optional interface of a container's api.Exchange
// that says whether the container maps request paths with ambiguous
// escapes (container.WithAmbiguousPaths), so that a forward's target is
// read as the container reads a request's path.
type ambiguityHolder interface {
	AmbiguousPaths() bool
}

// ResolverOf returns the resolver for r's context, or nil.
func ResolverOf(r *api.Request) Resolver {
	if h, ok := r.Exchange().(resolverHolder); ok {
		return h.Resolver()
	}
	return nil
}

// maxForwardDepth is how deeply forwards and includes may nest: the target
// of that many nested ones fails a Forward or Include of its own with
// ErrForwardDepth. A Go stack overflow is fatal, not an error a container
// can answer, so a forward loop is cut here. Forwards made one after the
// other by the same handler do not add up: only nesting counts.
const maxForwardDepth = 32

// depthKey is the attribute that holds how many forwards and includes a
// Request is the target of, nested.
type depthKey struct{}

// Option changes how Forward dispatches.
type Option func(*options)

type options struct {
	filters bool
	include bool
}

// WithFilters runs the filters mapped to the target before its handler. By
// default only the target handler runs: the filters already ran for the
// original request.
func WithFilters() Option { return func(o *options) { o.filters = true } }

// Forward serves r with the handler mapped to target, a path within r's
// context with an optional query ("/b/info?x=1"). The path is
// percent-decoded and cleaned as a request's is, so a value put into it
// is escaped first (url.PathEscape): a '?' or '%' in a path value
// would otherwise start the query or fail the target with ErrBadTarget.
// A target whose escapes would decode to a '/' or '\' or to a dot
// segment ("%2F", "%2e%2e") fails with ErrBadTarget, as the container
// by default refuses such a request path: decoded, a value "../admin"
// escaped into one segment would climb out of it. So does one with an
// escaped control character ("%0A"), and one with an escaped NUL
// ("%00") whatever the container maps, as a request's path with them
// would be refused; and so does one with a control character sent as
// itself (a raw line feed, NUL or DEL), in its path or its query, and
// one with a fragment ("/help#faq", "/b?x=1#top"), which no connector
// takes in a request-target. A container built with
// container.WithAmbiguousPaths, which maps such a request path decoded
// and cleaned (but for a NUL), has its forwards read such an escaped
// target the same way ("/a%2Fb" is "/a/b",
// "/a%0Ab" has a line feed): its exchanges say so through an optional
// method, as they lead to the Resolver. The target sees a new
// Request: path, query (target's parameters first, then the original ones)
// and mapping of the target; everything else as r. A target with no mapping
// is answered 404 by the returned error. A POST's form values come before
// that query in Form, as in net/http's Request.Form, not after it as in
// the Servlet API's merged parameters.
//
// What w holds uncommitted is cleared first, as the Servlet API's forward
// clears the buffer: the body written so far goes, with the header fields
// that describe it (those api.ClearBodyHeaders deletes: Content-Type,
// Content-Length, ETag, ...) and the trailers. The status and every other
// header field stay: the cookies and the security or CORS fields a filter
// set on the way in still apply to the target's answer, and a status set
// before the forward (a 404 forwarded to the page that renders it) is the
// one sent unless the target sets another. Forward fails with
// api.ErrCommitted if the head was already sent, whatever the target:
// mapped, unmapped or malformed.
//
// When Forward returns, w is still open, where the Servlet API closes the
// response after a forward: what the caller writes next goes after the
// target's answer. Return Forward's error at once unless that is meant.
// The target's Request says the target in Path and Target; the client's
// request-target is the one r has.
//
// Forwards and includes nest at most 32 deep: past that, Forward fails
// with ErrForwardDepth, which the container answers 500, where a loop
// would overflow the goroutine's stack and end the process. The target's
// Request counts the nesting in an attribute of this package's, under an
// unexported key: its Attributes yield r's and that one.
func Forward(w api.Response, r *api.Request, target string, opts ...Option) error {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if !o.include && w.Committed() {
		// Before the target is read: the caller's mistake is the
		// forward itself, whatever it names, as the Servlet API's
		// forward throws before it looks at the path.
		return api.ErrCommitted
	}
	depth, _ := r.Attribute(depthKey{}).(int)
	if depth >= maxForwardDepth {
		return fmt.Errorf("%w: %d forwards or includes led to %q", ErrForwardDepth, depth, target)
	}
	res := ResolverOf(r)
	if res == nil {
		return ErrNoResolver
	}
	amb, _ := r.Exchange().(ambiguityHolder)
	p, q, err := parseTarget(target, amb != nil && amb.AmbiguousPaths())
	if err != nil {
		return err
	}
	h, m, ok := res.Resolve(p, o.filters)
	if !ok {
		return &api.StatusError{Code: http.StatusNotFound, Err: errors.New("dispatcher: nothing mapped at " + p)}
	}
	if !o.include {
		if err := clearForForward(w); err != nil {
			return err
		}
	}
	head := r.Head()
	if o.include {
		// An included resource can set neither status nor header
		// fields, so it must not see what it cannot answer. The Range
		// and preconditions are about the includer's representation: a
		// file handler given them would write a part of itself, a
		// multipart body, a 416's text or nothing (a 304) into the
		// includer's 200, which a cache takes for the whole
		// representation, or fail the whole response with a 412 (Jetty's
		// resource service ignores them in an include too). And the
		// included bytes go into the includer's body, whose
		// Content-Encoding, if any, is the includer's: given
		// Accept-Encoding, a file handler would send a precompressed
		// sibling and a compressing filter compress, and the
		// Content-Encoding they set would go nowhere.
		head.Header = head.Header.WithoutConditions().Without("Accept-Encoding")
		if head.Method == http.MethodHead {
			// The included bytes are the includer's body, which the
			// answer to HEAD counts for its Content-Length (GET's) and
			// drops. Given HEAD, a file handler or net/http's
			// ServeContent would write none, and that Content-Length
			// would fall short of GET's by the included resource.
			head.Method = http.MethodGet
		}
	}
	head.Path = m.ContextPath + p
	switch {
	case q == "":
		head.RawQuery = r.RawQuery()
	case r.RawQuery() == "":
		head.RawQuery = q
	default:
		head.RawQuery = q + "&" + r.RawQuery()
	}
	head.Target = (&url.URL{Path: head.Path, RawQuery: head.RawQuery}).RequestURI()
	fr := r.WithHead(&head).WithMapping(m).WithAttribute(depthKey{}, depth+1)
	return h.Serve(w, fr)
}

// clearForForward empties w for the target of a forward (see Forward):
// api.Discard, which drops the status too, and the status set back.
func clearForForward(w api.Response) error {
	status := w.Status()
	if err := api.Discard(w); err != nil {
		return err
	}
	if status == http.StatusOK {
		return nil // the status of a response that sets none
	}
	return w.SetStatus(status)
}

// refusedTargets says what a refused target has, for each httppath.Refusal.
var refusedTargets = [...]string{
	httppath.RefusedNUL:       "an escaped NUL",
	httppath.RefusedControl:   "an escaped control character",
	httppath.RefusedAmbiguous: `an escaped '/', '\' or dot segment`,
}

// parseTarget splits target into its decoded, cleaned path and its query.
// ambiguous says the container maps ambiguous request paths and escaped
// control characters but NUL (container.WithAmbiguousPaths), and so the
// target may have them too.
func parseTarget(target string, ambiguous bool) (string, string, error) {
	raw, q, _ := strings.Cut(target, "?")
	if !strings.HasPrefix(raw, "/") {
		return "", "", fmt.Errorf("%w: %q is not a path", ErrBadTarget, target)
	}
	// Raw, a control character is refused in a request-target by every
	// connector, whatever the container maps: a value put into the
	// target unescaped would bring one to the target's path or query
	// (a line break into a log line, a NUL into a file name), where no
	// request's could.
	if rawControl(target) {
		return "", "", fmt.Errorf("%w: %q has a raw control character", ErrBadTarget, target)
	}
	// Nor does any connector take a fragment ('#' raw): read as the
	// path's or the query's, it would reach a file name ("x#top") or a
	// parameter's value ("1#top"). A '#' in a value is escaped ("%23").
	if strings.IndexByte(target, '#') >= 0 {
		return "", "", fmt.Errorf("%w: %q has a fragment", ErrBadTarget, target)
	}
	// By the rule a request's path is refused by: decoded and cleaned,
	// an escaped '/' or dot segment would be a separator or climb out of
	// the segment its value was escaped into, and a control character
	// would reach file names and logs.
	if why := httppath.Refused(raw, ambiguous); why != httppath.NotRefused {
		return "", "", fmt.Errorf("%w: %q has %s", ErrBadTarget, target, refusedTargets[why])
	}
	p, err := url.PathUnescape(raw)
	if err != nil {
		return "", "", fmt.Errorf("%w: %q: %w", ErrBadTarget, target, err)
	}
	return httppath.Clean(p), q, nil
}

// rawControl reports whether s has an ASCII control character (NUL to
// US, or DEL) as itself, not escaped: what url.Parse and the connectors'
// request-target parsers refuse.
func rawControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}
