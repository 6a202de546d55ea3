package pathmap

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Errors returned by [Map.Add] and [Validate]. They are wrapped together
// with the offending pattern; test for them with [errors.Is].
var (
	// ErrInvalidPattern reports a pattern that is not a valid servlet URL
	// pattern or template.
	ErrInvalidPattern = errors.New("pathmap: invalid pattern")
	// ErrDuplicatePattern reports a pattern added to a Map that already
	// has one matching exactly the same paths: the same string, or the
	// same segments with other parameter names ("/a/{id}", "/a/{name}").
	ErrDuplicatePattern = errors.New("pathmap: duplicate pattern")
)

// Kind is the servlet-spec kind of a pattern.
type Kind uint8

// Pattern kinds. Template patterns are Exact or Prefix.
const (
	Exact Kind = iota + 1
	Prefix
	Extension
	Default
)

// String returns "exact", "prefix", "extension" or "default".
func (k Kind) String() string {
	switch k {
	case Exact:
		return "exact"
	case Prefix:
		return "prefix"
	case Extension:
		return "extension"
	case Default:
		return "default"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Param is a path parameter bound by a "{name}" template segment.
type Param struct {
	Name, Value string
}

// segment is one '/'-separated part of an exact or prefix pattern.
type segment struct {
	text  string // literal text, or the parameter name when param is set
	param bool
}

// parsed is the validated form of a pattern.
type parsed struct {
	kind Kind
	root bool      // the "" pattern
	key  string    // exact: the pattern; prefix: pattern without "/*"; extension: the extension
	segs []segment // exact and prefix: the segments of key
	nlit int       // number of literal segments
	tmpl bool      // has at least one template segment
	// shape is the pattern with every parameter name dropped ("/a/{}"):
	// two patterns of one shape match exactly the same paths.
	shape string
}

func invalid(pattern, reason string) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidPattern, pattern, reason)
}

// Validate reports the kind of pattern, or an error wrapping
// [ErrInvalidPattern] if it is not valid.
func Validate(pattern string) (Kind, error) {
	p, err := parse(pattern)
	if err != nil {
		return 0, err
	}
	return p.kind, nil
}

// pathBefore is the path of the segments ahead of parts[i], "" for none:
// what the hints that answer net/http's own wildcards name.
func pathBefore(parts []string, i int) string {
	return strings.TrimSuffix("/"+strings.Join(parts[:i], "/"), "/")
}

func parse(pattern string) (parsed, error) {
	if i := EscapeAt(pattern); i >= 0 {
		// Paths are decoded before they are mapped, so "/a%20b" would
		// match only a request for "/a%2520b": the author meant "/a b".
		return parsed{}, invalid(pattern, "percent-escape "+strconv.Quote(pattern[i:i+3])+": paths are decoded before they are mapped; write the decoded pattern "+strconv.Quote(Unescape(pattern)))
	}
	switch {
	case pattern == "":
		return parsed{kind: Exact, root: true}, nil
	case pattern == "/":
		return parsed{kind: Default, shape: pattern}, nil
	case strings.HasPrefix(pattern, "*."):
		ext := pattern[2:]
		if ext == "" {
			return parsed{}, invalid(pattern, "missing extension after \"*.\"")
		}
		if strings.ContainsAny(ext, "./*{}") {
			return parsed{}, invalid(pattern, "extension must not contain '.', '/', '*', '{' or '}'")
		}
		return parsed{kind: Extension, key: ext, shape: pattern}, nil
	case pattern[0] != '/':
		if host, path, ok := hostBefore(pattern); ok {
			// net/http's host-specific pattern: a mapping here knows
			// paths only, and "must start with '/'" would not say why.
			return parsed{}, invalid(pattern, "must start with '/' or \"*.\": a host before the path ("+strconv.Quote(host)+") is net/http's, and patterns here match the path alone: map "+strconv.Quote(path)+" and check the request's Host in a filter")
		}
		return parsed{}, invalid(pattern, "must start with '/' or \"*.\"")
	case strings.HasSuffix(pattern, "/") && !strings.HasSuffix(pattern, "//"):
		// In net/http "/api/" is a subtree; as a servlet pattern it would
		// silently match the one path "/api/" and nothing under it, so a
		// filter meant to guard the subtree would guard nothing.
		base := pattern[:len(pattern)-1]
		return parsed{}, invalid(pattern, "ends in '/': use "+strconv.Quote(base+"/*")+" for the subtree or "+strconv.Quote(base)+" for the one path")
	}

	p := parsed{kind: Exact, key: pattern}
	if strings.HasSuffix(pattern, "/*") {
		p.kind = Prefix
		p.key = pattern[:len(pattern)-2]
	}
	if strings.IndexByte(p.key, '*') >= 0 {
		return parsed{}, invalid(pattern, "'*' is only allowed as a final \"/*\" or a leading \"*.\"")
	}
	if p.key == "" { // "/*"
		p.shape = pattern
		return p, nil
	}
	parts := strings.Split(p.key[1:], "/")
	p.segs = make([]segment, len(parts))
	for i, s := range parts {
		if s == "" {
			return parsed{}, invalid(pattern, "empty path segment")
		}
		if s == "." || s == ".." {
			// Request paths are cleaned before they are mapped, so such a
			// pattern would never match: a filter on it would guard nothing.
			return parsed{}, invalid(pattern, "dot segment "+strconv.Quote(s)+": paths are cleaned before they are mapped, so it would never match")
		}
		if !strings.ContainsAny(s, "{}") {
			p.segs[i] = segment{text: s}
			p.nlit++
			continue
		}
		if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
			return parsed{}, invalid(pattern, "'{' and '}' must enclose a whole segment, as in \"{name}\"")
		}
		name := s[1 : len(s)-1]
		if strings.HasSuffix(name, "...") && validName(strings.TrimSuffix(name, "...")) {
			// net/http's wildcard for the rest of the path.
			return parsed{}, invalid(pattern, "a {name...} wildcard is net/http's: map "+strconv.Quote(pathBefore(parts, i)+"/*")+" and read the rest of the path from Mapping().PathInfo")
		}
		if name == "$" {
			// net/http's end anchor: an exact pattern here matches only
			// its own path already, but the anchor follows a '/', and
			// "/api/{$}" matches "/api/", which the exact "/api" does
			// not, and "/api/" is refused: "/api/*" is what maps it.
			exact := pathBefore(parts, i)
			if exact == "" {
				return parsed{}, invalid(pattern, `{$} is net/http's end anchor, and a pattern without "/*" matches only its own path: map "" (the context root; "GET " for GET alone)`)
			}
			return parsed{}, invalid(pattern, "{$} is net/http's end anchor: "+strconv.Quote(pattern)+" matches the one path "+strconv.Quote(exact+"/")+", and a pattern ending in '/' is refused here: map "+strconv.Quote(exact+"/*")+", whose Mapping().PathInfo is \"/\" for that path (answer 404 for any other), or "+strconv.Quote(exact)+" if the path is meant without its slash ("+strconv.Quote(exact)+" matches "+strconv.Quote(exact)+" alone)")
		}
		if !validName(name) {
			return parsed{}, invalid(pattern, "parameter name "+strconv.Quote(name)+" must be letters, digits and '_', not starting with a digit")
		}
		for _, prev := range p.segs[:i] {
			if prev.param && prev.text == name {
				return parsed{}, invalid(pattern, "duplicate parameter name "+strconv.Quote(name))
			}
		}
		p.segs[i] = segment{text: name, param: true}
		p.tmpl = true
	}
	p.shape = pattern
	if p.tmpl {
		var b strings.Builder
		for _, sg := range p.segs {
			b.WriteByte('/')
			if sg.param {
				b.WriteString("{}")
			} else {
				b.WriteString(sg.text)
			}
		}
		if p.kind == Prefix {
			b.WriteString("/*")
		}
		p.shape = b.String()
	}
	return p, nil
}

// hostBefore splits a net/http host pattern ("example.com/x",
// "localhost:8080/x") into its host and path. A first segment without a
// dot or a colon, other than "localhost", is taken for a path that lacks
// its leading slash ("api/x"), not for a host.
func hostBefore(pattern string) (host, path string, ok bool) {
	i := strings.IndexByte(pattern, '/')
	if i <= 0 {
		return "", "", false
	}
	host = pattern[:i]
	if !strings.ContainsAny(host, ".:") && host != "localhost" {
		return "", "", false
	}
	return host, pattern[i:], true
}

func validName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		if r == utf8.RuneError {
			return false
		}
		if r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r)) {
			continue
		}
		return false
	}
	return true
}

// matchSegs matches the segments of a template against the start of path,
// which begins with '/'. It returns the length of path consumed. For an
// exact pattern the whole path must be consumed; for a prefix pattern the
// rest must be empty or start with '/'. It does not allocate.
func matchSegs(segs []segment, path string, prefix bool) (int, bool) {
	pos := 0
	for _, sg := range segs {
		if pos >= len(path) || path[pos] != '/' {
			return 0, false
		}
		start := pos + 1
		end := strings.IndexByte(path[start:], '/')
		if end < 0 {
			end = len(path)
		} else {
			end += start
		}
		v := path[start:end]
		if sg.param {
			if v == "" {
				return 0, false
			}
		} else if v != sg.text {
			return 0, false
		}
		pos = end
	}
	if pos == len(path) || (prefix && path[pos] == '/') {
		return pos, true
	}
	return 0, false
}

// params returns the values bound by the template segments in path, which
// matchSegs has already accepted.
func params(segs []segment, nparams int, path string) []Param {
	ps := make([]Param, 0, nparams)
	pos := 0
	for _, sg := range segs {
		start := pos + 1
		end := strings.IndexByte(path[start:], '/')
		if end < 0 {
			end = len(path)
		} else {
			end += start
		}
		if sg.param {
			ps = append(ps, Param{Name: sg.text, Value: path[start:end]})
		}
		pos = end
	}
	return ps
}

// extension returns the extension of the last segment of path: the text
// after its last '.', if any.
func extension(path string) (string, bool) {
	last := path[strings.LastIndexByte(path, '/')+1:]
	dot := strings.LastIndexByte(last, '.')
	if dot < 0 || dot == len(last)-1 {
		return "", false
	}
	return last[dot+1:], true
}

// EscapeAt returns the index of the first "%XX" (two hex digits) in s, or
// -1. A '%' without them is a literal character, as it is in a decoded
// path. Patterns and context paths are written decoded, as the paths they
// are matched against are: one with an escape would never match.
func EscapeAt(s string) int {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '%' && isHex(s[i+1]) && isHex(s[i+2]) {
			return i
		}
	}
	return -1
}

// Unescape decodes every "%XX" of s, leaving any other '%' as it is: what
// a pattern EscapeAt finds an escape in was meant to be.
func Unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
