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
	if !strings.Contains(p, "/.") && !strings.Contains(p, "//") {
		return p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
