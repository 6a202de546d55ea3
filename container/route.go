package container

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/wharf-go/wharf/api"
)

// A pattern is "[METHOD ]PATH", as net/http's ServeMux writes it since Go
// 1.22: "GET /items/{id}", "POST /items", or a bare servlet pattern
// ("/items/*", "*.json", "/") that matches every method.
//
// Routing is in two steps. The path picks one path pattern by the servlet
// precedence (exact, then template, prefix, extension, default: see
// internal/pathmap), whatever the methods registered on it; then the
// method picks among that pattern's handlers:
//
//  1. the handler registered for the method;
//  2. for HEAD, the GET handler (the connector sends its head, with its
//     Content-Length, and no body);
//  3. the handler registered without a method;
//  4. for OPTIONS, an answer of 200 with Allow;
//  5. else 405 Method Not Allowed with Allow.
//
// So a request never falls through to a less specific pattern because of
// its method: "POST /items" and "/" registered, "GET /items" is a 405, not
// the default handler's. net/http and chi would serve "/" (or "/*") there.
// The issue that asked for method routing wants the 405, and servlet
// mapping picks the path first; the price is that a catch-all (a router
// mounted at "/api/*") does not see the methods of a more specific path
// it shares ("GET /api/health" makes "POST /api/health" a 405).

// splitPattern splits "[METHOD ]PATH" into its method ("" for any) and its
// path pattern. The PATH after a method may be "", the context root: "GET "
// is net/http's "GET /{$}", so that a home page answers other methods 405.
func splitPattern(pattern string) (method, path string, err error) {
	i := strings.IndexAny(pattern, " \t")
	if i < 0 {
		return "", pattern, nil
	}
	method, path = pattern[:i], strings.TrimLeft(pattern[i:], " \t")
	switch {
	case method == "":
		return "", "", fmt.Errorf("pattern %q: space before the path", pattern)
	case method[0] == '/' || method[0] == '*':
		// A path with a space in it ("/x/{ id }", "/my files/*"), not
		// a method: say so, rather than that "/x/{" is no method.
		return "", "", fmt.Errorf("pattern %q: space in the path (a pattern is \"[METHOD ]PATH\": a space may only follow the method)", pattern)
	case !validMethod(method):
		return "", "", fmt.Errorf("pattern %q: method %q is not an upper-case HTTP method token", pattern, method)
	case strings.ContainsAny(path, " \t"):
		return "", "", fmt.Errorf("pattern %q: space in the path (a pattern is \"[METHOD ]PATH\": a space may only follow the method)", pattern)
	}
	return method, path, nil
}

// validMethod accepts a token (RFC 9110 §5.6.2) without lower-case
// letters: methods are case-sensitive, and "get" would never match a GET.
func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		c := m[i]
		switch {
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return m != ""
}

// route is what one path pattern of a context maps to: a handler per
// method and one for any method. It is built before Start and read-only
// after.
type route struct {
	path    string // the path pattern, as first registered
	methods []methodRoute
	any     api.Handler // registered without a method; nil if none
	anyReg  string      // that registration's pattern, for messages
	anyOwn  *naming     // its own naming, if it differs from path's

	// The answers for methods nobody registered, made when the route
	// changes so that answering costs no allocation.
	options    api.Handler
	notAllowed api.Handler

	// mapped is what every request the route matches shares of its
	// Mapping (its context's path, the path pattern and its kind), made
	// when the route is registered.
	mapped *api.Route
}

type methodRoute struct {
	method, pattern string
	h               api.Handler
	own             *naming // its own naming, if it differs from the route's
}

// naming is how a registration whose path names the route's parameters
// differently ("DELETE /a/{itemID}" on "/a/{id}") maps its requests: its
// parameter names, and its Route, so that the Mapping's Pattern (and the
// http.route filters/telemetry takes from it) is its own path too and
// agrees with the names in Params.
type naming struct {
	names  []string
	mapped *api.Route
}

// apply gives m the names and the pattern of n; a nil n leaves m as it is.
func (n *naming) apply(m *api.Mapping) {
	if n == nil {
		return
	}
	renameParams(m.Params, n.names)
	*m = n.mapped.Map(m.ServletPath, m.PathInfo, m.Params)
}

// add registers h for method ("" for any) under the registration pattern
// reg, whose path is path: rt.path, or a pattern of the same shape with
// other parameter names ("GET /a/{id}" and "DELETE /a/{itemID}" may
// coexist, as in net/http, since no request matches both), mapped by
// mapped. A second handler for the same method is an error naming both.
func (rt *route) add(method, reg, path string, mapped *api.Route, h api.Handler) error {
	var own *naming
	if path != rt.path {
		own = &naming{names: paramNames(path), mapped: mapped}
	}
	if method == "" {
		if rt.any != nil {
			return fmt.Errorf("pattern %q conflicts with %q: both match every method of the same paths", reg, rt.anyReg)
		}
		rt.any, rt.anyReg, rt.anyOwn = h, reg, own
		return nil
	}
	for _, m := range rt.methods {
		if m.method == method {
			return fmt.Errorf("pattern %q conflicts with %q: both match %s of the same paths", reg, m.pattern, method)
		}
	}
	rt.methods = append(rt.methods, methodRoute{method: method, pattern: reg, h: h, own: own})
	allow := rt.allow()
	rt.options = optionsAnswer(allow)
	rt.notAllowed = methodNotAllowed(allow)
	return nil
}

// allow lists the methods served, as the Allow field: HEAD with GET, and
// OPTIONS, which the route answers itself.
func (rt *route) allow() string {
	ms := []string{http.MethodOptions}
	for _, m := range rt.methods {
		ms = append(ms, m.method)
		if m.method == http.MethodGet {
			ms = append(ms, http.MethodHead)
		}
	}
	slices.Sort(ms)
	return strings.Join(slices.Compact(ms), ", ")
}

// handler returns what serves method on this route (see the rules at the
// top of this file), and the naming of its registration when it differs
// from the route's (nil otherwise).
func (rt *route) handler(method string) (api.Handler, *naming) {
	if len(rt.methods) == 0 { // the common case: a pattern without method
		return rt.any, rt.anyOwn
	}
	for i := range rt.methods {
		if rt.methods[i].method == method {
			return rt.methods[i].h, rt.methods[i].own
		}
	}
	if method == http.MethodHead {
		for i := range rt.methods {
			if rt.methods[i].method == http.MethodGet {
				return rt.methods[i].h, rt.methods[i].own
			}
		}
	}
	switch {
	case rt.any != nil:
		return rt.any, rt.anyOwn
	case method == http.MethodOptions:
		return rt.options, nil
	}
	return rt.notAllowed, nil
}

// paramNames returns the {name} parameters of a path pattern, in order.
func paramNames(path string) []string {
	var names []string
	for seg := range strings.SplitSeq(path, "/") {
		if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
			names = append(names, seg[1:len(seg)-1])
		}
	}
	return names
}

// Serve lets a route stand for its handlers where the method is known only
// when the request is served (dispatcher.Forward's Resolve).
func (rt *route) Serve(w api.Response, r *api.Request) error {
	r = errorTarget(r)
	h, own := rt.handler(r.Method())
	return h.Serve(w, withNaming(r, own))
}

// errorTarget returns r as the target of a forward from an error page
// reads it: a GET, or a HEAD for a HEAD. The page renders the failure of
// a request of any method, and what it forwards to is a page to read
// ("GET /errors/*", a file handler): given the failed POST, it would
// answer 405 and the page would fail with it. The error page itself
// still sees the method (its request is not a forward's target), unless
// it is such a page to read (pageRequest). Servlet containers serve the
// ERROR dispatch of a static page the same way.
func errorTarget(r *api.Request) *api.Request {
	switch r.Method() {
	case http.MethodGet, http.MethodHead:
		return r
	}
	if ErrorOf(r) == nil {
		return r
	}
	head := r.Head()
	head.Method = http.MethodGet
	return r.WithHead(&head)
}

// withNaming returns r mapped with the parameter names and the pattern of
// the handler's own registration (nil: r as it is).
func withNaming(r *api.Request, own *naming) *api.Request {
	if own == nil {
		return r
	}
	m := r.Mapping() // its Params are a copy
	own.apply(&m)
	return r.WithMapping(m)
}

// renameParams names ps by names, position for position: the patterns of
// one route have the same shape. Nil names leave ps as they are.
func renameParams(ps []api.Param, names []string) {
	if names == nil {
		return
	}
	for i := range ps {
		ps[i].Name = names[i]
	}
}

// methodNotAllowed answers 405 through the error pages, with the Allow
// field kept (errors keep the headers set before them).
func methodNotAllowed(allow string) api.Handler {
	return api.NonBlockingFunc(func(w api.Response, _ *api.Request) error {
		w.Header().Set("Allow", allow)
		return &api.StatusError{Code: http.StatusMethodNotAllowed}
	})
}

// optionsAnswer answers OPTIONS with the methods the path serves.
func optionsAnswer(allow string) api.Handler {
	return api.NonBlockingFunc(func(w api.Response, _ *api.Request) error {
		w.Header().Set("Allow", allow)
		w.Header().Set("Content-Length", "0")
		return nil
	})
}

// methodMatches reports whether a filter or handler registered for method
// ("" for any) applies to a request with method rm: GET's apply to HEAD.
func methodMatches(method, rm string) bool {
	return method == "" || method == rm || (method == http.MethodGet && rm == http.MethodHead)
}
