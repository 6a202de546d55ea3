package h1

import (
	"net/url"
	"strings"

	"github.com/wharf-go/wharf/internal/httppath"
)

// SplitTarget returns the decoded, cleaned path and the raw query of a
// request-target in origin, absolute or asterisk form. HTTP/2 splits its
// :path the same way.
func SplitTarget(target string) (string, string, error) {
	if target == "*" {
		return "*", "", nil
	}
	if !strings.HasPrefix(target, "/") {
		// absolute-form: drop scheme and authority.
		u, err := url.Parse(target)
		if err != nil {
			return "/", "", err
		}
		target = u.RequestURI()
	}
	// IndexByte, not strings.Cut, whose search for a one-byte separator
	// goes through the general Index first: this runs for every request.
	p, query := target, ""
	if i := strings.IndexByte(target, '?'); i >= 0 {
		p, query = target[:i], target[i+1:]
	}
	if strings.IndexByte(p, '%') >= 0 { // else there is nothing to decode, and nothing PathUnescape would refuse
		var err error
		if p, err = url.PathUnescape(p); err != nil {
			return "/", query, err
		}
	}
	return httppath.Clean(p), query, nil
}
