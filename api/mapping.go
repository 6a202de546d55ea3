package api

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
// ServletPath + PathInfo is the request path.
type Mapping struct {
	ContextPath string    // "" for the root context, else "/name"
	Pattern     string    // the URL pattern that matched
	Kind        MatchKind // which kind of pattern it is
	ServletPath string    // the part of the path the pattern matched
	PathInfo    string    // the rest, starting with '/', or ""
	Params      []Param   // values of {name} segments, in pattern order
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
