// Package httppath cleans request paths into the one canonical form that
// mapping sees, for every protocol and adapter: the connectors' HTTP/1.1,
// HTTP/2 and HTTP/3 and the container's net/http adapter. It also tells
// the escaped paths whose decoded form is ambiguous (Ambiguous) or has a
// control character (EscapedControl, EscapedNUL), and which of them a
// path is refused for (Refused).
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

// Ambiguous reports whether the escaped path p (a request-target's path,
// as sent) has a percent-escape that decodes to '/' or '\' (%2F, %5C) or a
// segment of escaped dots that decodes to "." or ".." ("%2e", ".%2E",
// "%2e%2e"). Such a path reads one way escaped and another decoded: a
// proxy in front that matches "/admin/*" as sent does not see
// "/admin%2Fx" under it, nor does net/http's ServeMux, which matches per
// escaped segment, while Clean of the decoded path puts it there.
// Dots sent as dots are not ambiguous: every reader resolves them.
func Ambiguous(p string) bool {
	if strings.IndexByte(p, '%') < 0 {
		return false
	}
	for p != "" {
		var seg string
		seg, p, _ = strings.Cut(p, "/")
		if strings.IndexByte(seg, '%') < 0 {
			continue
		}
		if dotSegment(seg) {
			return true
		}
		for i := 0; i+2 < len(seg); i++ {
			if seg[i] == '%' && (seg[i+1] == '2' && (seg[i+2] == 'f' || seg[i+2] == 'F') ||
				seg[i+1] == '5' && (seg[i+2] == 'c' || seg[i+2] == 'C')) {
				return true
			}
		}
	}
	return false
}

// EscapedControl reports whether the escaped path p has a percent-escape
// that decodes to an ASCII control character: NUL, another C0 control or
// DEL (%00 to %1F, %7F, in either case). Sent raw, such a byte is
// refused by every request-target parser; escaped, it reaches the
// decoded path, where a file-system call truncates or refuses the name at
// a NUL, and a log line, a header field or a redirect built from the
// path gets a line break or a terminal escape. No segment needs one.
func EscapedControl(p string) bool {
	for {
		i := strings.IndexByte(p, '%')
		if i < 0 || i+2 >= len(p) {
			return false
		}
		if hi, lo := p[i+1], p[i+2]; (hi == '0' || hi == '1') && isHex(lo) || hi == '7' && (lo == 'f' || lo == 'F') {
			return true
		}
		p = p[i+1:]
	}
}

// EscapedNUL reports whether the escaped path p has "%00", the escape
// EscapedControl reports that no reader of a decoded path can take: a C
// string, and so an operating system's file name, ends at it.
func EscapedNUL(p string) bool { return strings.Contains(p, "%00") }

// Refusal is why an escaped path is refused before it is decoded.
type Refusal uint8

const (
	NotRefused       Refusal = iota
	RefusedNUL               // an escaped NUL: refused whatever the setting
	RefusedControl           // another escaped control character
	RefusedAmbiguous         // an escaped '/', '\' or dot segment (Ambiguous)
)

// Refused reports why the escaped path p is refused, the rule the
// container applies to a request's path and a forward's target alike: an
// escaped NUL always, an escaped control character or an ambiguous escape
// unless ambiguous (the container maps such paths, WithAmbiguousPaths).
func Refused(p string, ambiguous bool) Refusal {
	switch {
	case EscapedNUL(p):
		return RefusedNUL
	case ambiguous:
		return NotRefused
	case EscapedControl(p):
		return RefusedControl
	case Ambiguous(p):
		return RefusedAmbiguous
	}
	return NotRefused
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// dotSegment reports whether seg is one or two dots, each sent as itself
// or as "%2e" in either case.
func dotSegment(seg string) bool {
	n := 0
	for seg != "" && n < 3 {
		switch {
		case seg[0] == '.':
			seg = seg[1:]
		case len(seg) >= 3 && seg[0] == '%' && seg[1] == '2' && (seg[2] == 'e' || seg[2] == 'E'):
			seg = seg[3:]
		default:
			return false
		}
		n++
	}
	return seg == "" && n > 0 && n < 3
}
