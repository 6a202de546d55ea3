package static

import (
	"net/http"
	"strings"
	"time"

	"github.com/wharf-go/wharf/api"
)

// outcome is what the preconditions of a request say to do.
type outcome uint8

const (
	proceed            outcome = iota // answer normally
	notModified                       // 304
	preconditionFailed                // 412
)

// evaluate applies the preconditions of RFC 9110 §13.2.2 in its order:
// If-Match, else If-Unmodified-Since (412 when false); then If-None-Match,
// else If-Modified-Since (304 when false, the method being GET or HEAD).
// etag is the representation's current ETag, mod its modification time
// (zero if unknown). A date field that does not parse, or comes twice,
// is ignored, as the RFC says.
func evaluate(r *api.Request, etag string, mod time.Time) outcome {
	h := r.Header()
	if h.Has("If-Match") {
		if !matchAny(h.Values("If-Match"), etag, strongMatch) {
			return preconditionFailed
		}
	} else if t, ok := dateField(h, "If-Unmodified-Since"); ok && !isZeroTime(mod) && mod.Truncate(time.Second).After(t) {
		return preconditionFailed
	}
	if h.Has("If-None-Match") {
		if matchAny(h.Values("If-None-Match"), etag, weakMatch) {
			return notModified
		}
	} else if t, ok := dateField(h, "If-Modified-Since"); ok && !isZeroTime(mod) && !mod.Truncate(time.Second).After(t) {
		return notModified
	}
	return proceed
}

// dateField returns the HTTP-date of the precondition field name, and
// false if there is none to apply: absent, not a date, or sent more than
// once, which RFC 9110 (§13.1.3, §13.1.4) says to ignore rather than read
// at its first line.
func dateField(h api.Header, name string) (time.Time, bool) {
	v := h.Values(name)
	if len(v) != 1 {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v[0])
	return t, err == nil
}

// ifRange reports whether the ranges of a request may be served: there is
// no If-Range, or it holds (RFC 9110 §13.1.5): an entity-tag that matches
// strongly, or a date equal to the modification time.
func ifRange(r *api.Request, etag string, mod time.Time) bool {
	v := r.Header().Get("If-Range")
	switch {
	case v == "":
		return true
	case strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "W/"):
		tag, rest := scanETag(v)
		return tag != "" && strings.TrimLeft(rest, " \t") == "" && strongMatch(tag, etag)
	case isZeroTime(mod):
		return false
	}
	t, err := http.ParseTime(v)
	return err == nil && t.Unix() == mod.Unix()
}

// matchAny reports whether one of the entity-tags of an If-Match or
// If-None-Match field matches etag by match; "*" matches any current
// representation. A list that does not parse matches nothing from the
// point it stops parsing.
func matchAny(values []string, etag string, match func(a, b string) bool) bool {
	for _, v := range values {
		for {
			v = strings.TrimLeft(v, " \t,")
			if v == "" {
				break
			}
			if v[0] == '*' {
				return true
			}
			tag, rest := scanETag(v)
			if tag == "" {
				break
			}
			if match(tag, etag) {
				return true
			}
			v = rest
		}
	}
	return false
}

// scanETag splits the entity-tag at the start of s (W/"x" or "x") from
// the rest, or returns "" if s does not start with one. The opaque part
// may hold commas, so the list cannot be split on them first.
func scanETag(s string) (tag, rest string) {
	start := 0
	if strings.HasPrefix(s, "W/") {
		start = 2
	}
	if len(s)-start < 2 || s[start] != '"' {
		return "", ""
	}
	for i := start + 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[:i+1], s[i+1:]
		case c == 0x21 || 0x23 <= c && c != 0x7f: // etagc (RFC 9110 §8.8.3)
		default:
			return "", ""
		}
	}
	return "", ""
}

// strongMatch is the strong comparison: neither tag weak, opaque parts
// equal.
func strongMatch(a, b string) bool {
	return a == b && !strings.HasPrefix(a, "W/")
}

// weakMatch is the weak comparison: opaque parts equal, W/ or not.
func weakMatch(a, b string) bool {
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}

// splitList splits a comma-separated field value into its trimmed,
// non-empty elements.
func splitList(v string) []string {
	var out []string
	for e := range strings.SplitSeq(v, ",") {
		if e = strings.Trim(e, " \t"); e != "" {
			out = append(out, e)
		}
	}
	return out
}
