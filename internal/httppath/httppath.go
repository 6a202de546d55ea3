// Package httppath cleans request paths into the one canonical form that
// mapping sees, for every protocol and adapter: the connectors' HTTP/1.1,
// HTTP/2 and HTTP/3 and the container's net/http adapter.
//
// It is pure (strings in, strings out) and imports only the standard
// library.
package httppath

import (
	"path"
	"strings"
)

// Clean resolves dot segments and duplicate slashes and keeps a trailing
// slash: "/a/./b/../c//" is "/a/c/". An empty path is "/". A path that
// needs nothing is returned as it is, without allocating, and so is one
// that does not start with '/' (the "*" of "OPTIONS *"). p is a decoded
// path; ".." never climbs above the root.
func Clean(p string) string {
	switch {
	case p == "":
		return "/"
	case p[0] != '/':
		return p
	}
	if clean(p) {
		return p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// clean reports whether p has no "/." and no "//", and so nothing to
// resolve: one pass over a path, where two searches for the pairs cost
// more on the short paths requests carry.
func clean(p string) bool {
	for i := 1; i < len(p); i++ {
		if p[i-1] == '/' && (p[i] == '.' || p[i] == '/') {
			return false
		}
	}
	return true
}
