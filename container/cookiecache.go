package container

import (
	"net/http"
	"strings"
)

// noCacheCookie is the Cache-Control directive a response that sets a
// cookie gets as its head is committed: a shared cache (a CDN, a
// corporate proxy) may still store the response, under the handler's own
// policy, but must not hand its Set-Cookie field to another client
// without asking the origin (RFC 9111 §5.2.2.4, and §3.1 on the field's
// storage). Without it, a page the handler marked cacheable (or one
// heuristically cacheable) would give the first client's cookie (a
// session ID) to everyone the cache served. Jetty marks every response
// with a cookie expired (an Expires in 1970), which a handler's max-age
// overrides; private would keep such a page out of shared caches
// altogether, which overrides a handler's public policy for what is only
// the cookie's concern.
const noCacheCookie = `no-cache="Set-Cookie"`

// uncacheCookie adds noCacheCookie to h's Cache-Control when h sets a
// cookie, after the directives already there (the handler's policy stays
// as it was), unless they keep a shared cache from reusing the Set-Cookie
// field already. A Set-Cookie key left without values (a session that
// took its cookie back) sets no cookie. The directive joins the last
// field line, so that a reader of the first value only (http.Header.Get)
// sees the whole policy where there was one line; the slice is new, as
// the one there may be shared.
func uncacheCookie(h http.Header) {
	if len(h["Set-Cookie"]) == 0 {
		return
	}
	vs := h["Cache-Control"]
	if cookieUncached(vs) {
		return
	}
	last := ""
	if len(vs) > 0 {
		last = strings.TrimSpace(vs[len(vs)-1])
		vs = vs[: len(vs)-1 : len(vs)-1]
	}
	if last != "" {
		last += ", "
	}
	h["Cache-Control"] = append(vs, last+noCacheCookie)
}

// cookieUncached reports whether the Cache-Control field lines vs keep
// every shared cache from handing a stored Set-Cookie field to another
// client: no-store (nothing is stored), private without fields (no
// shared cache stores), or no-cache or private naming Set-Cookie. An
// unqualified no-cache does not: a cache stores the response whole and
// serves it again, cookie and all, after an origin's 304.
func cookieUncached(vs []string) bool {
	for _, v := range vs {
		for v != "" {
			var d string
			d, v = nextDirective(v)
			name, arg, qualified := strings.Cut(d, "=")
			name = strings.TrimSpace(name)
			switch {
			case strings.EqualFold(name, "no-store"):
				return true
			case strings.EqualFold(name, "private") && !qualified:
				return true
			case strings.EqualFold(name, "private") || strings.EqualFold(name, "no-cache") && qualified:
				for f := range strings.SplitSeq(strings.Trim(strings.TrimSpace(arg), `"`), ",") {
					if strings.EqualFold(strings.TrimSpace(f), "Set-Cookie") {
						return true
					}
				}
			}
		}
	}
	return false
}

// nextDirective splits the first directive off the Cache-Control list v,
// at a comma outside a quoted string: a qualified no-cache lists its
// fields between quotes, separated by commas.
func nextDirective(v string) (d, rest string) {
	quoted := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			return v[:i], v[i+1:]
		}
	}
	return v, ""
}
