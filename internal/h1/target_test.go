package h1

import "testing"

func TestSplitTarget(t *testing.T) {
	tests := []struct {
		target, path, query string
		fails               bool
	}{
		{"/", "/", "", false},
		{"/hello?name=wrk", "/hello", "name=wrk", false},
		{"/a%20b", "/a b", "", false},
		{"/a%2Fb", "/a/b", "", false}, // decoded, then cleaned as any slash
		{"/a+b", "/a+b", "", false},   // '+' is a space only in a query
		{"/a//b/./c/../d/", "/a/b/d/", "", false},
		{"/%2e%2e/x", "/x", "", false}, // decoded dots resolve too
		{"/a?%zz&q=%", "/a", "%zz&q=%", false},
		{"/a?", "/a", "", false},
		{"/a?b?c", "/a", "b?c", false},
		{"*", "*", "", false},
		{"http://example.com/x/./y?z=1", "/x/y", "z=1", false},
		{"/a%zz", "/", "", true},
		{"/a%", "/", "", true},
		{"/a%2?q", "/", "q", true},
	}
	for _, tt := range tests {
		p, q, err := SplitTarget(tt.target)
		if p != tt.path || q != tt.query || (err != nil) != tt.fails {
			t.Errorf("SplitTarget(%q) = %q, %q, %v; want %q, %q, fails %v", tt.target, p, q, err, tt.path, tt.query, tt.fails)
		}
	}
}
