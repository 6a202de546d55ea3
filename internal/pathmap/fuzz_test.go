package pathmap

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// refSegs splits an exact or prefix pattern into its segments, independently
// of parse.
func refSegs(pattern string) []string {
	body := strings.TrimSuffix(pattern, "/*")
	if body == "" {
		return nil
	}
	return strings.Split(body[1:], "/")
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") }

// refMatches is a slow, independent statement of whether a valid pattern
// matches path (which starts with '/').
func refMatches(pattern string, kind Kind, path string) bool {
	switch {
	case pattern == "":
		return path == "/"
	case kind == Default:
		return true
	case kind == Extension:
		last := path[strings.LastIndex(path, "/")+1:]
		return strings.HasSuffix(last, pattern[1:])
	}
	segs := refSegs(pattern)
	ps := strings.Split(path[1:], "/")
	if len(ps) < len(segs) || (kind == Exact && len(ps) != len(segs)) {
		return false
	}
	for i, s := range segs {
		if isParam(s) && ps[i] == "" || !isParam(s) && s != ps[i] {
			return false
		}
	}
	return true
}

// class is the precedence class of a match: lower wins.
func class(m Match[string]) int {
	tmpl := strings.Contains(m.Pattern, "{")
	switch {
	case m.Kind == Exact && !tmpl:
		return 0
	case m.Kind == Exact:
		return 1
	case m.Kind == Prefix:
		return 2
	case m.Kind == Extension:
		return 3
	}
	return 4
}

// refBetter reports whether a beats b by the documented precedence; order
// gives the position each pattern was added.
func refBetter(a, b Match[string], order map[string]int) bool {
	if ca, cb := class(a), class(b); ca != cb {
		return ca < cb
	}
	sa, sb := refSegs(a.Pattern), refSegs(b.Pattern)
	switch class(a) {
	case 1:
		la, lb := 0, 0
		for _, s := range sa {
			if !isParam(s) {
				la++
			}
		}
		for _, s := range sb {
			if !isParam(s) {
				lb++
			}
		}
		if la != lb {
			return la > lb
		}
	case 2:
		if len(sa) != len(sb) {
			return len(sa) > len(sb)
		}
	}
	if class(a) == 1 || class(a) == 2 {
		for i := range min(len(sa), len(sb)) {
			if isParam(sa[i]) != isParam(sb[i]) {
				return !isParam(sa[i])
			}
		}
	}
	return order[a.Pattern] < order[b.Pattern]
}

// refShape is pattern with its parameter names dropped: two valid patterns
// of one shape match the same paths.
func refShape(pattern string) string {
	if !strings.HasPrefix(pattern, "/") {
		return pattern
	}
	segs := refSegs(pattern)
	for i, s := range segs {
		if isParam(s) {
			segs[i] = "{}"
		}
	}
	shape := "/" + strings.Join(segs, "/")
	if strings.HasSuffix(pattern, "/*") {
		shape = strings.TrimSuffix(shape, "/") + "/*"
	}
	return shape
}

func FuzzMatch(f *testing.F) {
	for _, tc := range matchCases {
		f.Add(strings.Join(tc.patterns, "\n"), tc.path)
	}
	f.Add(strings.Join(benchPatterns, "\n"), "/api/v1/users/42/posts/9")
	f.Fuzz(func(t *testing.T, patterns, path string) {
		var m Map[string]
		order := make(map[string]int)
		kinds := make(map[string]Kind)
		shapes := make(map[string]bool)
		for i, pat := range strings.SplitN(patterns, "\n", 40) {
			k, verr := Validate(pat)
			err := m.Add(pat, pat)
			dup := verr == nil && shapes[refShape(pat)]
			switch {
			case verr != nil:
				if !errors.Is(err, ErrInvalidPattern) || !errors.Is(verr, ErrInvalidPattern) {
					t.Fatalf("Validate(%q) = %v but Add = %v", pat, verr, err)
				}
			case dup:
				if !errors.Is(err, ErrDuplicatePattern) {
					t.Fatalf("duplicate Add(%q) = %v", pat, err)
				}
			case err != nil:
				t.Fatalf("Add(%q) = %v though Validate passed", pat, err)
			default:
				order[pat] = i
				kinds[pat] = k
				shapes[refShape(pat)] = true
			}
		}
		if m.Len() != len(order) {
			t.Fatalf("Len = %d, want %d", m.Len(), len(order))
		}

		got, ok := m.Match(path)
		again, ok2 := m.Match(path)
		if ok != ok2 || !reflect.DeepEqual(got, again) {
			t.Fatalf("Match(%q) not deterministic: %+v vs %+v", path, got, again)
		}
		all := m.MatchAll(path)
		if path == "" || path[0] != '/' {
			if ok || len(all) != 0 {
				t.Fatalf("Match(%q) matched a path without leading '/'", path)
			}
			return
		}

		// MatchAll: exactly the patterns the reference accepts, in order,
		// each with consistent fields.
		var want []string
		for _, pat := range addedInOrder(order) {
			if refMatches(pat, kinds[pat], path) {
				want = append(want, pat)
			}
		}
		if gotAll := patternsOf(all); !slices.Equal(gotAll, want) {
			t.Fatalf("MatchAll(%q) = %q, want %q", path, gotAll, want)
		}
		for _, r := range all {
			checkFields(t, path, r, kinds[r.Pattern])
		}

		if !ok {
			if len(all) != 0 {
				t.Fatalf("Match(%q) found nothing but MatchAll found %q", path, patternsOf(all))
			}
			return
		}
		best := -1
		for i, r := range all {
			if reflect.DeepEqual(r, got) {
				best = i
			}
		}
		if best < 0 {
			t.Fatalf("Match(%q) = %+v not among MatchAll %+v", path, got, all)
		}
		for _, r := range all {
			if r.Pattern != got.Pattern && refBetter(r, got, order) {
				t.Fatalf("Match(%q) = %q but %q should win", path, got.Pattern, r.Pattern)
			}
		}
	})
}

func addedInOrder(order map[string]int) []string {
	out := slices.Collect(maps.Keys(order))
	slices.SortFunc(out, func(a, b string) int { return order[a] - order[b] })
	return out
}

func checkFields(t *testing.T, path string, r Match[string], kind Kind) {
	t.Helper()
	if r.Value != r.Pattern || r.Kind != kind {
		t.Fatalf("%q on %q: value %q kind %v, want kind %v", r.Pattern, path, r.Value, r.Kind, kind)
	}
	switch {
	case r.Pattern == "":
		if path != "/" || r.ServletPath != "" || r.PathInfo != "/" {
			t.Fatalf("root on %q: %+v", path, r)
		}
	case r.Kind == Prefix:
		if r.ServletPath+r.PathInfo != path || (r.PathInfo != "" && r.PathInfo[0] != '/') {
			t.Fatalf("prefix %q on %q: servletPath %q pathInfo %q", r.Pattern, path, r.ServletPath, r.PathInfo)
		}
		if n := len(refSegs(r.Pattern)); strings.Count(r.ServletPath, "/") != n {
			t.Fatalf("prefix %q on %q: servletPath %q has wrong segment count", r.Pattern, path, r.ServletPath)
		}
	default:
		if r.ServletPath != path || r.PathInfo != "" {
			t.Fatalf("%v %q on %q: servletPath %q pathInfo %q", r.Kind, r.Pattern, path, r.ServletPath, r.PathInfo)
		}
	}
	var names []string
	for _, s := range refSegs(r.Pattern) {
		if isParam(s) {
			names = append(names, s[1:len(s)-1])
		}
	}
	if len(names) == 0 {
		if r.Params != nil {
			t.Fatalf("%q on %q: params %v, want nil", r.Pattern, path, r.Params)
		}
		return
	}
	if len(r.Params) != len(names) {
		t.Fatalf("%q on %q: params %v, want names %q", r.Pattern, path, r.Params, names)
	}
	for i, prm := range r.Params {
		if prm.Name != names[i] || prm.Value == "" || strings.Contains(prm.Value, "/") {
			t.Fatalf("%q on %q: bad param %+v", r.Pattern, path, prm)
		}
	}
}
