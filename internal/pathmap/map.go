package pathmap

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Match is the result of matching a path against one pattern.
type Match[T any] struct {
	Value   T
	Pattern string
	Kind    Kind
	// ServletPath is, as in the servlet spec, the whole path for exact,
	// extension and default matches, the matched part without "/*" for
	// prefix matches ("" for "/*"), and "" for the "" root pattern.
	ServletPath string
	// PathInfo is, for prefix matches, the rest of the path after
	// ServletPath: "" or starting with '/'. It is "/" for the "" root
	// pattern and "" for the other kinds.
	PathInfo string
	// Params holds the path parameters in pattern order, or nil when the
	// pattern has no template segments. Values are raw path segments.
	Params []Param
}

// entry is one added pattern.
type entry[T any] struct {
	parsed
	pattern string
	value   T
	order   int // position in Map.entries
	nparams int
}

// Map maps servlet URL patterns to values of type T. The zero value is an
// empty map ready to use. See the package documentation for the
// concurrency rules.
type Map[T any] struct {
	entries []*entry[T]          // in the order added
	seen    map[string]*entry[T] // by shape: the patterns added
	root    *entry[T]            // the "" pattern
	exact   map[string]*entry[T] // literal exact patterns by pattern
	prefix  map[string]*entry[T] // literal prefix patterns by pattern without "/*"
	ext     map[string]*entry[T] // extension patterns by extension
	def     *entry[T]            // the "/" pattern
	texact  []*entry[T]          // exact templates, best first
	tprefix []*entry[T]          // prefix templates, best first
}

// Len returns the number of patterns in m.
func (m *Map[T]) Len() int { return len(m.entries) }

// Add adds pattern with value v. It returns an error wrapping
// [ErrInvalidPattern] if the pattern is not valid, or
// [ErrDuplicatePattern] if a pattern matching exactly the same paths was
// already added (see [Map.Same]). Add must not be called concurrently
// with any other method.
func (m *Map[T]) Add(pattern string, v T) error {
	p, err := parse(pattern)
	if err != nil {
		return err
	}
	if e := m.seen[p.shape]; e != nil {
		if e.pattern == pattern {
			return fmt.Errorf("%w %q", ErrDuplicatePattern, pattern)
		}
		return fmt.Errorf("%w %q: it matches the same paths as %q", ErrDuplicatePattern, pattern, e.pattern)
	}
	if m.seen == nil {
		m.seen = make(map[string]*entry[T])
		m.exact = make(map[string]*entry[T])
		m.prefix = make(map[string]*entry[T])
		m.ext = make(map[string]*entry[T])
	}
	e := &entry[T]{parsed: p, pattern: pattern, value: v, order: len(m.entries)}
	e.nparams = len(p.segs) - p.nlit
	m.seen[p.shape] = e
	m.entries = append(m.entries, e)

	switch {
	case p.root:
		m.root = e
	case p.kind == Default:
		m.def = e
	case p.kind == Extension:
		m.ext[p.key] = e
	case p.kind == Exact && !p.tmpl:
		m.exact[p.key] = e
	case p.kind == Prefix && !p.tmpl:
		m.prefix[p.key] = e
	case p.kind == Exact:
		m.texact = append(m.texact, e)
		slices.SortFunc(m.texact, func(a, b *entry[T]) int {
			return cmp.Or(cmp.Compare(b.nlit, a.nlit), compareSegs(a, b))
		})
	default: // prefix template
		m.tprefix = append(m.tprefix, e)
		slices.SortFunc(m.tprefix, func(a, b *entry[T]) int {
			return cmp.Or(cmp.Compare(len(b.segs), len(a.segs)), compareSegs(a, b))
		})
	}
	return nil
}

// Same returns the pattern already added that matches exactly the paths
// pattern would ("/a/{id}" for "/a/{name}", or pattern itself), with its
// value. ok is false if there is none or pattern is not valid.
func (m *Map[T]) Same(pattern string) (added string, v T, ok bool) {
	p, err := parse(pattern)
	if err != nil {
		return "", v, false
	}
	if e := m.seen[p.shape]; e != nil {
		return e.pattern, e.value, true
	}
	return "", v, false
}

// compareSegs orders two templates: a literal segment before a template
// segment at the first position where one has a literal and the other a
// parameter. Two templates that can match one path and have parameters in
// the same places have the same shape, which Add refuses: so the order
// added (the last resort here) never decides between two that match.
func compareSegs[T any](a, b *entry[T]) int {
	for i := range min(len(a.segs), len(b.segs)) {
		if a.segs[i].param != b.segs[i].param {
			if a.segs[i].param {
				return 1
			}
			return -1
		}
	}
	return cmp.Compare(a.order, b.order)
}

// Match returns the single best match for path according to the
// precedence rules in the package documentation. It reports false if no
// pattern matches or path does not start with '/'. It does not allocate
// unless the winning pattern has path parameters.
func (m *Map[T]) Match(path string) (Match[T], bool) {
	if path == "" || path[0] != '/' || len(m.entries) == 0 {
		return Match[T]{}, false
	}
	// 1. Exact literal.
	if path == "/" && m.root != nil {
		return m.root.match(path), true
	}
	if e := m.exact[path]; e != nil {
		return e.match(path), true
	}
	// 2. Exact template. A path has one segment per '/'.
	nseg := 0
	if len(m.texact)+len(m.tprefix) > 0 {
		nseg = strings.Count(path, "/")
	}
	for _, e := range m.texact {
		if len(e.segs) != nseg {
			continue
		}
		if _, ok := matchSegs(e.segs, path, false); ok {
			return e.match(path), true
		}
	}
	// 3. Longest prefix: try the literal prefixes from the longest, cutting
	// the path at each '/', then any template prefix that is longer.
	var lit *entry[T]
	if len(m.prefix) > 0 {
		for cut := len(path); cut >= 0; cut = strings.LastIndexByte(path[:cut], '/') {
			if e := m.prefix[path[:cut]]; e != nil {
				lit = e
				break
			}
		}
	}
	for _, e := range m.tprefix {
		if lit != nil && len(e.segs) <= len(lit.segs) {
			break // a literal prefix beats a template prefix of equal length
		}
		if len(e.segs) > nseg {
			continue
		}
		if _, ok := matchSegs(e.segs, path, true); ok {
			return e.match(path), true
		}
	}
	if lit != nil {
		return lit.match(path), true
	}
	// 4. Extension.
	if len(m.ext) > 0 {
		if x, ok := extension(path); ok {
			if e := m.ext[x]; e != nil {
				return e.match(path), true
			}
		}
	}
	// 5. Default.
	if m.def != nil {
		return m.def.match(path), true
	}
	return Match[T]{}, false
}

// MatchAll returns every pattern matching path, in the order the patterns
// were added, in a new slice. It returns nil if none matches.
func (m *Map[T]) MatchAll(path string) []Match[T] {
	return m.AppendMatches(nil, path)
}

// AppendMatches is like [Map.MatchAll] but appends the matches to dst and
// returns the extended slice. It does not allocate when dst has enough
// capacity and no matching pattern has path parameters.
func (m *Map[T]) AppendMatches(dst []Match[T], path string) []Match[T] {
	if path == "" || path[0] != '/' {
		return dst
	}
	for _, e := range m.entries {
		if e.matches(path) {
			dst = append(dst, e.match(path))
		}
	}
	return dst
}

// matches reports whether e's pattern matches path, which starts with '/'.
func (e *entry[T]) matches(path string) bool {
	switch {
	case e.root:
		return path == "/"
	case e.kind == Default:
		return true
	case e.kind == Extension:
		x, ok := extension(path)
		return ok && x == e.key
	case e.tmpl:
		_, ok := matchSegs(e.segs, path, e.kind == Prefix)
		return ok
	case e.kind == Exact:
		return path == e.key
	default: // literal prefix
		return strings.HasPrefix(path, e.key) && (len(path) == len(e.key) || path[len(e.key)] == '/')
	}
}

// match builds the Match for path, which e's pattern matches.
func (e *entry[T]) match(path string) Match[T] {
	r := Match[T]{Value: e.value, Pattern: e.pattern, Kind: e.kind, ServletPath: path}
	switch {
	case e.root:
		r.ServletPath, r.PathInfo = "", "/"
	case e.kind == Prefix:
		n := len(e.key)
		if e.tmpl {
			n, _ = matchSegs(e.segs, path, true)
		}
		r.ServletPath, r.PathInfo = path[:n], path[n:]
	}
	if e.tmpl {
		r.Params = params(e.segs, e.nparams, path)
	}
	return r
}
