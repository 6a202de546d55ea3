package api

import "slices"

// MatchKind says which kind of servlet URL pattern selected a handler.
type MatchKind uint8

// The kinds of URL pattern, in the servlet specification's precedence order.
const (
	MatchNone      MatchKind = iota // no mapping (a request not yet mapped)
	MatchExact                      // "/a/b", "/users/{id}", or "" for the context root
	MatchPrefix                     // "/a/*", "/*"
	MatchExtension                  // "*.ext"
	MatchDefault                    // "/"
)

// String returns the kind's name.
func (k MatchKind) String() string {
	switch k {
	case MatchExact:
		return "exact"
	case MatchPrefix:
		return "prefix"
	case MatchExtension:
		return "extension"
	case MatchDefault:
		return "default"
	}
	return "none"
}

// Param is one path parameter bound by a {name} segment of a pattern.
type Param struct {
	Name, Value string
}

// Mapping describes how a request was mapped to its handler: the context it
// belongs to and the URL pattern that matched within it. ContextPath +
// ServletPath + PathInfo is the request path, but for a request to a
// context's own path without its slash ("/shop" for the context "/shop"),
// which is mapped as "/" within the context (Jetty redirects it to
// "/shop/" instead): there the three add up to "/shop/". A handler that
// builds relative links from such a page redirects it first, as package
// static does for its directories.
type Mapping struct {
	ContextPath string    // "" for the root context, else "/name"
	Pattern     string    // the URL pattern that matched
	Kind        MatchKind // which kind of pattern it is
	ServletPath string    // the part of the path the pattern matched
	PathInfo    string    // the rest, starting with '/', or ""
	Params      []Param   // values of {name} segments, in pattern order

	route *Route // what Route.Map made it from; nil for any other Mapping
}

// A Route is the part of a Mapping that every request one URL pattern maps
// shares: the context path, the pattern and its kind. A container makes
// one per pattern it registers and maps requests with its Map, so that a
// Request keeps a pointer to the route instead of a copy of its strings. A
// Route is immutable; any goroutine may use it.
type Route struct {
	contextPath string
	pattern     string
	kind        MatchKind
}

// NewRoute returns the Route of pattern, of kind kind, in the context at
// contextPath.
func NewRoute(contextPath, pattern string, kind MatchKind) *Route {
	return &Route{contextPath: contextPath, pattern: pattern, kind: kind}
}

// Map returns the Mapping of a request the route matched: servletPath and
// pathInfo split its path in the context, params are its {name} values.
func (rt *Route) Map(servletPath, pathInfo string, params []Param) Mapping {
	return Mapping{
		ContextPath: rt.contextPath, Pattern: rt.pattern, Kind: rt.kind,
		ServletPath: servletPath, PathInfo: pathInfo, Params: params,
		route: rt,
	}
}

// mapping is a Mapping as a Request keeps it: the route's part by pointer.
type mapping struct {
	route       *Route // nil: no context path, no pattern, MatchNone
	servletPath string
	pathInfo    string
	params      []Param
}

// compact returns m as a Request keeps it. It shares the Route m came
// from (Route.Map), or else hint (the Route of the Request m replaces the
// Mapping of, which a Mapping taken from it and changed in its path or
// parameters still matches), if m still carries its fields; another
// Mapping (made by hand, or changed since) gets a Route of its own.
func (m *Mapping) compact(hint *Route) mapping {
	rt := m.route
	if !rt.matches(m) {
		rt = hint
		if !rt.matches(m) {
			rt = nil
			if m.ContextPath != "" || m.Pattern != "" || m.Kind != MatchNone {
				rt = NewRoute(m.ContextPath, m.Pattern, m.Kind)
			}
		}
	}
	return mapping{route: rt, servletPath: m.ServletPath, pathInfo: m.PathInfo, params: m.Params}
}

// matches reports whether rt, which may be nil, has m's context path,
// pattern and kind.
func (rt *Route) matches(m *Mapping) bool {
	return rt != nil && rt.contextPath == m.ContextPath && rt.pattern == m.Pattern && rt.kind == m.Kind
}

// expand returns the Mapping m keeps, as the Mapping the Request was
// given: without the Route it came from, so that it equals a Mapping made
// by hand with the same fields, and with a copy of its parameters, so
// that a caller who changes them (to derive a Request with WithMapping)
// does not change the Request, which other goroutines may be reading.
func (m *mapping) expand() Mapping {
	params := slices.Clone(m.params)
	if m.route == nil {
		return Mapping{ServletPath: m.servletPath, PathInfo: m.pathInfo, Params: params}
	}
	mm := m.route.Map(m.servletPath, m.pathInfo, params)
	mm.route = nil
	return mm
}

// contextPath returns the context path m keeps.
func (m *mapping) contextPath() string {
	if m.route == nil {
		return ""
	}
	return m.route.contextPath
}

// PathInContext returns ServletPath + PathInfo: the path relative to the
// context.
func (m *Mapping) PathInContext() string { return m.ServletPath + m.PathInfo }

// Param returns the value of the path parameter name, or "".
func (m *Mapping) Param(name string) string {
	for _, p := range m.Params {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}
