package pathmap

import (
	"reflect"
	"sync"
	"testing"
)

const none = "<none>"

type matchCase struct {
	name     string
	patterns []string
	path     string
	want     string // winning pattern, or none
	kind     Kind
	sp, pi   string
	params   []Param
}

var (
	basic     = []string{"/a/*", "/a/b/*", "/a/b", "*.jsp", "/"}
	rootSet   = []string{"", "/*", "/"}
	templates = []string{"/users/{id}", "/users/me", "/users/{id}/posts/*", "/users/*", "/users/{id}/posts/{pid}"}
	triple    = []string{"/{a}/{b}", "/x/{b}", "/{a}/y"}
)

func p(kv ...string) []Param {
	var ps []Param
	for i := 0; i < len(kv); i += 2 {
		ps = append(ps, Param{kv[i], kv[i+1]})
	}
	return ps
}

var matchCases = []matchCase{
	// Exact beats prefixes, extension and default.
	{"exact", basic, "/a/b", "/a/b", Exact, "/a/b", "", nil},
	{"exact trailing slash is prefix", basic, "/a/b/", "/a/b/*", Prefix, "/a/b", "/", nil},
	{"longest prefix", basic, "/a/b/c", "/a/b/*", Prefix, "/a/b", "/c", nil},
	{"prefix segment not substring", basic, "/a/bc", "/a/*", Prefix, "/a", "/bc", nil},
	{"prefix equals path", basic, "/a", "/a/*", Prefix, "/a", "", nil},
	{"prefix with slash", basic, "/a/", "/a/*", Prefix, "/a", "/", nil},
	{"prefix deep", basic, "/a/x/y/z", "/a/*", Prefix, "/a", "/x/y/z", nil},
	{"prefix empty segments", basic, "/a//b", "/a/*", Prefix, "/a", "//b", nil},
	{"not a prefix", basic, "/ab", "/", Default, "/ab", "", nil},
	{"prefix beats extension", basic, "/a/x.jsp", "/a/*", Prefix, "/a", "/x.jsp", nil},
	{"extension", basic, "/x/y.jsp", "*.jsp", Extension, "/x/y.jsp", "", nil},
	{"extension bare", basic, "/.jsp", "*.jsp", Extension, "/.jsp", "", nil},
	{"extension multi dot", basic, "/x/y.tar.jsp", "*.jsp", Extension, "/x/y.tar.jsp", "", nil},
	{"extension on directory", basic, "/x.jsp/y", "/", Default, "/x.jsp/y", "", nil},
	{"extension on directory slash", basic, "/x.jsp/", "/", Default, "/x.jsp/", "", nil},
	{"extension case sensitive", basic, "/y.JSP", "/", Default, "/y.JSP", "", nil},
	{"extension suffix only", basic, "/y.jspx", "/", Default, "/y.jspx", "", nil},
	{"default root", basic, "/", "/", Default, "/", "", nil},
	{"default deep", basic, "/q/r/", "/", Default, "/q/r/", "", nil},

	// Context root "" and "/*".
	{"root pattern", rootSet, "/", "", Exact, "", "/", nil},
	{"slash star over default", rootSet, "/x", "/*", Prefix, "", "/x", nil},
	{"slash star deep", rootSet, "/x/y/", "/*", Prefix, "", "/x/y/", nil},
	{"slash star root", []string{"/*", "/"}, "/", "/*", Prefix, "", "/", nil},
	{"slash star is shortest", []string{"/*", "/a/*"}, "/a/b", "/a/*", Prefix, "/a", "/b", nil},
	{"slash star beats extension", []string{"*.jsp", "/*"}, "/x.jsp", "/*", Prefix, "", "/x.jsp", nil},
	{"root only matches slash", []string{""}, "/a", none, 0, "", "", nil},
	{"exact beats prefix", []string{"/a/*", "/a"}, "/a", "/a", Exact, "/a", "", nil},

	// Templates.
	{"literal beats template", templates, "/users/me", "/users/me", Exact, "/users/me", "", nil},
	{"exact template", templates, "/users/42", "/users/{id}", Exact, "/users/42", "", p("id", "42")},
	{"template raw value", templates, "/users/a%2Fb", "/users/{id}", Exact, "/users/a%2Fb", "", p("id", "a%2Fb")},
	{"template needs non-empty", templates, "/users/", "/users/*", Prefix, "/users", "/", nil},
	{"template prefix equals path", templates, "/users/42/posts", "/users/{id}/posts/*", Prefix, "/users/42/posts", "", p("id", "42")},
	{"two params", templates, "/users/42/posts/7", "/users/{id}/posts/{pid}", Exact, "/users/42/posts/7", "", p("id", "42", "pid", "7")},
	{"template prefix", templates, "/users/42/posts/7/x", "/users/{id}/posts/*", Prefix, "/users/42/posts", "/7/x", p("id", "42")},
	{"template prefix slash", templates, "/users/42/posts/", "/users/{id}/posts/*", Prefix, "/users/42/posts", "/", p("id", "42")},
	{"longer template prefix loses to nothing", templates, "/users/42/other", "/users/*", Prefix, "/users", "/42/other", nil},
	{"template trailing slash", templates, "/users/42/", "/users/*", Prefix, "/users", "/42/", nil},
	{"exact template most literals", triple, "/x/y", "/x/{b}", Exact, "/x/y", "", p("b", "y")},
	{"exact template tie first literal", []string{"/{a}/y", "/x/{b}"}, "/x/y", "/x/{b}", Exact, "/x/y", "", p("b", "y")},
	{"exact template tie whatever the order", []string{"/x/{b}", "/{a}/y"}, "/x/y", "/x/{b}", Exact, "/x/y", "", p("b", "y")},
	{"exact template one literal", triple, "/z/y", "/{a}/y", Exact, "/z/y", "", p("a", "z")},
	{"exact template no literal", triple, "/z/w", "/{a}/{b}", Exact, "/z/w", "", p("a", "z", "b", "w")},
	{"exact template segment count", triple, "/z/w/v", none, 0, "", "", nil},
	{"exact template beats literal prefix", []string{"/a/*", "/a/{id}"}, "/a/b", "/a/{id}", Exact, "/a/b", "", p("id", "b")},
	{"exact template beats extension", []string{"*.txt", "/f/{name}"}, "/f/a.txt", "/f/{name}", Exact, "/f/a.txt", "", p("name", "a.txt")},
	{"exact template no trailing slash", []string{"/f/{name}"}, "/f/a/", none, 0, "", "", nil},
	{"literal prefix beats template prefix", []string{"/a/{x}/*", "/a/b/*"}, "/a/b/c", "/a/b/*", Prefix, "/a/b", "/c", nil},
	{"template prefix equal length other value", []string{"/a/{x}/*", "/a/b/*"}, "/a/c/d", "/a/{x}/*", Prefix, "/a/c", "/d", p("x", "c")},
	{"longer template prefix wins", []string{"/a/b/*", "/a/{x}/c/*"}, "/a/b/c/d", "/a/{x}/c/*", Prefix, "/a/b/c", "/d", p("x", "b")},
	{"shorter literal prefix loses", []string{"/a/*", "/a/{x}/*"}, "/a/b/c", "/a/{x}/*", Prefix, "/a/b", "/c", p("x", "b")},
	{"first literal position wins", []string{"/{x}/b/*", "/a/{y}/*"}, "/a/b/c", "/a/{y}/*", Prefix, "/a/b", "/c", p("y", "b")},
	{"template over slash star", []string{"/*", "/{x}/*"}, "/a", "/{x}/*", Prefix, "/a", "", p("x", "a")},
	{"slash star when template empty", []string{"/*", "/{x}/*"}, "/", "/*", Prefix, "", "/", nil},

	// Trailing slashes and no match.
	{"exact without trailing slash", []string{"/a/b"}, "/a/b/", none, 0, "", "", nil},
	{"no default", []string{"/a", "*.jsp"}, "/b", none, 0, "", "", nil},
	{"no default trailing", []string{"/a", "*.jsp"}, "/a/", none, 0, "", "", nil},
	{"no leading slash", []string{"/"}, "x", none, 0, "", "", nil},
	{"empty path", []string{"/", ""}, "", none, 0, "", "", nil},
	{"empty map", nil, "/", none, 0, "", "", nil},
}

func build(t testing.TB, patterns []string) *Map[string] {
	t.Helper()
	m := new(Map[string])
	for _, pat := range patterns {
		if err := m.Add(pat, pat); err != nil {
			t.Fatalf("Add(%q): %v", pat, err)
		}
	}
	return m
}

func TestMatch(t *testing.T) {
	for _, tc := range matchCases {
		t.Run(tc.name, func(t *testing.T) {
			m := build(t, tc.patterns)
			got, ok := m.Match(tc.path)
			if tc.want == none {
				if ok {
					t.Fatalf("Match(%q) = %+v, want no match", tc.path, got)
				}
				return
			}
			want := Match[string]{Value: tc.want, Pattern: tc.want, Kind: tc.kind, ServletPath: tc.sp, PathInfo: tc.pi, Params: tc.params}
			if !ok || !reflect.DeepEqual(got, want) {
				t.Fatalf("Match(%q) = %+v, %v\nwant %+v", tc.path, got, ok, want)
			}
		})
	}
}

func patternsOf(ms []Match[string]) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Pattern)
	}
	return out
}

func TestMatchAll(t *testing.T) {
	m := build(t, []string{"/", "*.jsp", "/a/*", "/a/b", "/*", "/a/{x}", "", "/a/{x}/*", "/b/*"})
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/a/b", []string{"/", "/a/*", "/a/b", "/*", "/a/{x}", "/a/{x}/*"}},
		{"/a/x.jsp", []string{"/", "*.jsp", "/a/*", "/*", "/a/{x}", "/a/{x}/*"}},
		{"/a/x/y", []string{"/", "/a/*", "/*", "/a/{x}/*"}},
		{"/", []string{"/", "/*", ""}},
		{"/b", []string{"/", "/*", "/b/*"}},
		{"b", nil},
	} {
		got := m.MatchAll(tc.path)
		if !reflect.DeepEqual(patternsOf(got), tc.want) {
			t.Errorf("MatchAll(%q) = %q, want %q", tc.path, patternsOf(got), tc.want)
		}
		for _, r := range got {
			if r.Value != r.Pattern {
				t.Errorf("MatchAll(%q): value %q for pattern %q", tc.path, r.Value, r.Pattern)
			}
		}
	}

	got := m.MatchAll("/a/b/c")
	want := []Match[string]{
		{Value: "/", Pattern: "/", Kind: Default, ServletPath: "/a/b/c"},
		{Value: "/a/*", Pattern: "/a/*", Kind: Prefix, ServletPath: "/a", PathInfo: "/b/c"},
		{Value: "/*", Pattern: "/*", Kind: Prefix, ServletPath: "", PathInfo: "/a/b/c"},
		{Value: "/a/{x}/*", Pattern: "/a/{x}/*", Kind: Prefix, ServletPath: "/a/b", PathInfo: "/c", Params: p("x", "b")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MatchAll(/a/b/c) =\n%+v\nwant\n%+v", got, want)
	}

	dst := []Match[string]{{Pattern: "keep"}}
	dst = m.AppendMatches(dst, "/b/c")
	if !reflect.DeepEqual(patternsOf(dst), []string{"keep", "/", "/*", "/b/*"}) {
		t.Errorf("AppendMatches = %q", patternsOf(dst))
	}
}

func TestZeroMap(t *testing.T) {
	var m Map[int]
	if _, ok := m.Match("/"); ok {
		t.Error("zero Map matched")
	}
	if got := m.MatchAll("/"); got != nil {
		t.Errorf("zero Map MatchAll = %v", got)
	}
	if m.Len() != 0 {
		t.Errorf("zero Map Len = %d", m.Len())
	}
}

func TestMatchAllocs(t *testing.T) {
	m := build(t, benchPatterns)
	for _, path := range []string{
		"/api/v1/status",     // exact
		"/",                  // root ""
		"/static/css/a.css",  // prefix
		"/api/v1/x/y/z",      // prefix
		"/docs/index.jsp",    // extension
		"/nothing/here.html", // default
	} {
		if _, ok := m.Match(path); !ok {
			t.Fatalf("Match(%q) did not match", path)
		}
		if n := testing.AllocsPerRun(100, func() { m.Match(path) }); n != 0 {
			t.Errorf("Match(%q) allocs = %v, want 0", path, n)
		}
	}
	// AppendMatches with capacity and no template patterns.
	lit := build(t, []string{"/", "/*", "/a/*", "*.jsp", "/a/b.jsp", ""})
	dst := make([]Match[string], 0, 8)
	if n := testing.AllocsPerRun(100, func() { dst = lit.AppendMatches(dst[:0], "/a/b.jsp") }); n != 0 {
		t.Errorf("AppendMatches allocs = %v, want 0", n)
	}
	if len(dst) != 5 {
		t.Errorf("AppendMatches found %d matches, want 5", len(dst))
	}
}

func TestConcurrentMatch(t *testing.T) {
	m := build(t, benchPatterns)
	type result struct {
		one Match[string]
		ok  bool
		all []Match[string]
	}
	want := make(map[string]result)
	for _, path := range benchPaths {
		r, ok := m.Match(path)
		want[path] = result{r, ok, m.MatchAll(path)}
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 200 {
				for _, path := range benchPaths {
					r, ok := m.Match(path)
					w := want[path]
					if ok != w.ok || !reflect.DeepEqual(r, w.one) {
						t.Errorf("concurrent Match(%q) = %+v, %v; want %+v", path, r, ok, w.one)
						return
					}
					if all := m.MatchAll(path); !reflect.DeepEqual(all, w.all) {
						t.Errorf("concurrent MatchAll(%q) differs", path)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

var benchPatterns = []string{
	"", "/",
	"/api/*", "/api/v1/*", "/api/v1/status", "/api/v1/users/{id}", "/api/v1/users/{id}/posts/*",
	"/static/*", "/static/css/*", "/static/js/*", "/login", "/logout", "/admin/*",
	"/admin/users", "*.jsp", "*.do", "*.json", "/health", "/metrics", "/assets/*",
	"/files/{name}", "/orgs/{org}/repos/{repo}",
}

var benchPaths = []string{
	"/api/v1/status", "/", "/static/css/a.css", "/api/v1/x/y/z", "/docs/index.jsp",
	"/nothing/here.html", "/api/v1/users/42", "/api/v1/users/42/posts/9", "/orgs/o/repos/r",
	"/login", "/login/", "/x.do",
}

func BenchmarkMatch(b *testing.B) {
	m := build(b, benchPatterns)
	for _, bc := range []struct{ name, path string }{
		{"exact", "/api/v1/status"},
		{"root", "/"},
		{"prefix", "/static/css/a.css"},
		{"prefix_deep", "/api/v1/x/y/z/w/v"},
		{"extension", "/docs/index.jsp"},
		{"default", "/nothing/here.html"},
		{"template", "/api/v1/users/42"},
		{"template_prefix", "/api/v1/users/42/posts/9"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Match(bc.path)
			}
		})
	}
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		dst := make([]Match[string], 0, 16)
		for b.Loop() {
			dst = m.AppendMatches(dst[:0], "/static/css/a.css")
		}
	})
}
