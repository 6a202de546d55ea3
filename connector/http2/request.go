package http2

import (
	"net/http"
	"strings"

	xhttp2 "golang.org/x/net/http2"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/h1"
)

// parseRequest builds the stream's request head from a HEADERS block
// (RFC 9113 §8.3). A malformed request is a stream error: it returns the
// code to reset the stream with. A well-formed one the server will not
// serve returns a status to answer with instead of dispatching it (431
// for a header list over the limit, 413 for a declared body over it, 417
// for an expectation other than 100-continue).
func (st *stream) parseRequest(f *xhttp2.MetaHeadersFrame) (xhttp2.ErrCode, int) {
	if f.Truncated {
		// Fields were dropped, pseudo-header ones maybe (a :path longer
		// than the list may be): what is left cannot be judged.
		return xhttp2.ErrCodeNo, http.StatusRequestHeaderFieldsTooLarge
	}
	r := &st.req
	var scheme, authority string
	for _, hf := range f.PseudoFields() {
		switch hf.Name {
		case ":method":
			r.Method = hf.Value
		case ":path":
			r.Target = hf.Value
		case ":scheme":
			scheme = hf.Value
		case ":authority":
			authority = hf.Value
		default:
			return xhttp2.ErrCodeProtocol, 0 // :status, or unknown
		}
	}
	// The same rules as HTTP/1.1's request line and Host (RFC 9113 §8.3.1
	// defers to them): a token method, a target without fragment or
	// control bytes, a valid authority.
	if r.Method == "" || !h1.IsToken([]byte(r.Method)) {
		return xhttp2.ErrCodeProtocol, 0
	}
	if authority != "" && !h1.ValidHost([]byte(authority), false) {
		return xhttp2.ErrCodeProtocol, 0
	}
	if r.Method == http.MethodConnect {
		// CONNECT names an authority, host and port, and nothing else
		// (RFC 9113 §8.5).
		if !h1.ValidConnectAuthority([]byte(authority)) || scheme != "" || r.Target != "" {
			return xhttp2.ErrCodeProtocol, 0
		}
		r.Target = authority
	} else if scheme == "" || r.Target == "" {
		return xhttp2.ErrCodeProtocol, 0
	} else if r.Target[0] != '/' && !(r.Target == "*" && r.Method == http.MethodOptions) || !h1.ValidTarget([]byte(r.Target)) {
		return xhttp2.ErrCodeProtocol, 0
	}

	regular := f.RegularFields()
	// The fields are copied into the request's header (api.NewHeaderFields
	// packs them into one allocation), so they are gathered on the stack:
	// room for those of nearly every request, the joined Cookie and the
	// Host most requests add (from :authority).
	var room [24]api.HeaderField
	fields := room[:0]
	if len(regular)+2 > len(room) {
		fields = make([]api.HeaderField, 0, len(regular)+2)
	}
	var cookies []string
	length := "" // the first content-length field's value
	host := ""
	expect100, expectOther := false, false // Expect, one list across its fields
	for _, hf := range regular {
		// The framer checked that names are lowercase tokens and values
		// hold no forbidden bytes.
		switch hf.Name {
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
			return xhttp2.ErrCodeProtocol, 0 // connection-specific (RFC 9113 §8.2.2)
		case "te":
			if hf.Value != "trailers" {
				return xhttp2.ErrCodeProtocol, 0
			}
		case "content-length":
			// HTTP/1.1's rules: digits only, repeated only as the same
			// digits. The first field's digits are found again rather
			// than kept: bytes kept from one field to the next made the
			// value's conversion a heap copy (TestAllocsPerRequestH2).
			// Whitespace around the value, which HTTP/1.1's parser trims
			// as OWS, makes it malformed here (RFC 9113 §8.2.1). Other
			// fields keep theirs, as net/http's server does: refusing
			// them broke clients of nghttp2's, which then made its check
			// optional; this field frames the body.
			if v := hf.Value; v != "" && (isWhitespace(v[0]) || isWhitespace(v[len(v)-1])) {
				return xhttp2.ErrCodeProtocol, 0
			}
			var seen []byte
			if length != "" {
				_, seen, _ = h1.ParseContentLength([]byte(length), nil)
			}
			n, _, ok := h1.ParseContentLength([]byte(hf.Value), seen)
			if !ok {
				return xhttp2.ErrCodeProtocol, 0
			}
			st.declared = n
			if length == "" {
				length = hf.Value
			}
		case "expect":
			// Read as HTTP/1.1 reads it: every member of every field.
			cont, other := h1.ExpectMembers(hf.Value)
			expect100, expectOther = expect100 || cont, expectOther || other
		case "cookie":
			// Cookie crumbs are joined back into one field (§8.2.3).
			cookies = append(cookies, hf.Value)
			continue
		case "host":
			// One Host, agreeing with :authority when both are sent.
			if host != "" || authority != "" && !sameAuthority(hf.Value, authority, scheme) || !h1.ValidHost([]byte(hf.Value), false) {
				return xhttp2.ErrCodeProtocol, 0
			}
			host = hf.Value
			if authority != "" {
				// Equal once normalized, not byte for byte: the Host
				// added below is :authority's, as the request's is.
				continue
			}
		}
		fields = append(fields, api.HeaderField{Key: hf.Name, Value: hf.Value}) // made canonical as it is packed
	}
	if len(cookies) > 0 {
		fields = append(fields, api.HeaderField{Key: "Cookie", Value: strings.Join(cookies, "; ")})
	}
	if authority != "" {
		// As on HTTP/1.1, the header fields carry the Host.
		fields = append(fields, api.HeaderField{Key: "Host", Value: authority})
	}
	if f.StreamEnded() && st.declared > 0 {
		return xhttp2.ErrCodeProtocol, 0 // a body was declared and none follows
	}

	hc := st.hc
	r.Header = api.NewHeaderFields(fields)
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
	r.Host = authority
	if r.Host == "" {
		r.Host = host
	}
	r.Conn = hc.info
	switch {
	case f.StreamEnded():
		r.ContentLength = 0
	case st.declared >= 0:
		r.ContentLength = st.declared
	default:
		r.ContentLength = -1
	}
	r.Body = &st.body
	if !f.StreamEnded() { // only a body has trailers
		r.Trailer = st.body.Trailer
	}
	st.isHead = r.Method == http.MethodHead
	// Only a body still to come is worth inviting (RFC 9110 §10.1.1).
	st.expect100 = expect100 && !f.StreamEnded() && st.declared != 0
	if r.Method == http.MethodConnect {
		r.Path = ""
	} else {
		p, q, err := h1.SplitTarget(r.Target)
		if err != nil {
			return xhttp2.ErrCodeNo, http.StatusBadRequest
		}
		r.Path, r.RawQuery = p, q
	}
	if len(regular) > hc.lim.MaxHeaders {
		return xhttp2.ErrCodeNo, http.StatusRequestHeaderFieldsTooLarge
	}
	if len(r.Target) > hc.lim.MaxURILength {
		return xhttp2.ErrCodeNo, http.StatusRequestURITooLong
	}
	if max := st.body.max; max >= 0 && st.declared > max {
		return xhttp2.ErrCodeNo, http.StatusRequestEntityTooLarge
	}
	if expectOther {
		// An expectation no one here meets, beside a 100-continue too,
		// is answered 417 as on HTTP/1.1 (RFC 9110 §10.1.1), after the
		// limits as there: the handler would otherwise run for a
		// request whose client asked for what it never got.
		return xhttp2.ErrCodeNo, http.StatusExpectationFailed
	}
	return xhttp2.ErrCodeNo, 0
}

// sameAuthority reports whether a Host field names what :authority does.
// RFC 9113 §8.3.1 compares them once normalized (RFC 3986 §6.2): a host
// name in any case, and the scheme's default port or an empty one the same
// as none. Clients that send both need not spell them alike.
func sameAuthority(host, authority, scheme string) bool {
	return strings.EqualFold(trimDefaultPort(host, scheme), trimDefaultPort(authority, scheme))
}

// trimDefaultPort drops a port that is scheme's default, or empty, from an
// authority.
func trimDefaultPort(a, scheme string) string {
	switch scheme {
	case "http":
		a = strings.TrimSuffix(a, ":80")
	case "https":
		a = strings.TrimSuffix(a, ":443")
	}
	return strings.TrimSuffix(a, ":")
}

// isWhitespace reports whether c is a space or a horizontal tab, the
// whitespace a field value may not start or end with (RFC 9113 §8.2.1).
func isWhitespace(c byte) bool { return c == ' ' || c == '\t' }
