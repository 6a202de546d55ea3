package static

import (
	"strconv"
	"strings"
)

// codings are the precompressed siblings looked for, in the order
// preferred at equal q: br compresses text better than gzip.
var codings = [...]struct{ coding, ext string }{
	{"br", ".br"},
	{"gzip", ".gz"},
}

// negotiate returns the index in codings of the sibling to serve to a
// client with these Accept-Encoding values (RFC 9110 §12.5.3), among those
// it has, or -1 for the file itself. A coding is acceptable with q > 0,
// named or matched by "*"; q=0 refuses it. The file itself (identity) is
// acceptable unless refused, and preferred only when named with a higher q
// than every acceptable coding. No Accept-Encoding field means identity,
// the answer every client can read.
func negotiate(values []string, have [len(codings)]bool) int {
	if len(values) == 0 {
		return -1
	}
	var q [len(codings)]float64
	var named [len(codings)]bool
	star, starSet := 0.0, false
	identity, identitySet := 0.0, false
	for _, v := range values {
		for e := range strings.SplitSeq(v, ",") {
			name, qv, ok := parseElement(e)
			if !ok {
				continue
			}
			switch {
			case name == "*":
				star, starSet = qv, true
			case strings.EqualFold(name, "identity"):
				identity, identitySet = qv, true
			default:
				for i, c := range codings {
					if strings.EqualFold(name, c.coding) || c.coding == "gzip" && strings.EqualFold(name, "x-gzip") {
						q[i], named[i] = qv, true
					}
				}
			}
		}
	}
	best, bestQ := -1, 0.0
	for i := range codings {
		if !have[i] {
			continue
		}
		qi := q[i]
		if !named[i] && starSet {
			qi = star
		}
		if qi > bestQ {
			best, bestQ = i, qi
		}
	}
	if !identitySet && starSet {
		identity, identitySet = star, true
	}
	if best >= 0 && identitySet && identity > bestQ {
		return -1
	}
	return best
}

// parseElement parses one element of Accept-Encoding: a coding and its
// q-value (1 when absent). Other parameters are ignored; an element whose
// q does not parse is skipped (false), as is an empty one.
func parseElement(e string) (name string, q float64, ok bool) {
	name, params, _ := strings.Cut(e, ";")
	name = strings.Trim(name, " \t")
	if name == "" {
		return "", 0, false
	}
	q = 1
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, _ := strings.Cut(strings.Trim(p, " \t"), "=")
		if !strings.EqualFold(strings.TrimRight(k, " \t"), "q") {
			continue
		}
		f, err := strconv.ParseFloat(strings.Trim(v, " \t"), 64)
		if err != nil || !(f >= 0 && f <= 1) { // NaN too
			return "", 0, false
		}
		q = f
	}
	return name, q, true
}
