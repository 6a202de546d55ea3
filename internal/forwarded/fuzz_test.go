package forwarded

import (
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

// FuzzFields feeds the parsers any Forwarded and X-Forwarded field values
// (seeded from the table tests). They must not panic; each hop must hold
// an unmapped address without a zone or none, "http", "https" or no
// scheme, and a valid Host field or none, and give a valid Host field
// for a request's valid one, without the scheme's default port or an
// empty one; and an element or entry a proxy
// appends after what a client wrote must be the last hop, as the proxy
// wrote it (in a Forwarded line, unless the client left a quoted string
// open, which makes the rest of the line a bad hop).
func FuzzFields(f *testing.F) {
	for _, tc := range forwardedCases {
		for _, line := range tc.lines {
			f.Add(line, "", "", "", "")
		}
	}
	for _, tc := range xForwardedCases {
		f.Add("", strings.Join(tc.fors, ","), strings.Join(tc.protos, ","), strings.Join(tc.hosts, ","), strings.Join(tc.ports, ","))
	}
	for _, tc := range xValueCases {
		f.Add("", "192.0.2.1", tc.proto, tc.host, "")
	}
	appended := Hop{Addr: ap("203.0.113.9:0")}
	f.Fuzz(func(t *testing.T, fwd, xff, xfp, xfh, xfport string) {
		check := func(what string, hops []Hop) {
			for _, h := range hops {
				if a := h.Addr.Addr(); a.IsValid() && (a.Zone() != "" || a.Is4In6()) {
					t.Errorf("%s: address %v", what, h.Addr)
				}
				if h.Proto != "" && h.Proto != "http" && h.Proto != "https" {
					t.Errorf("%s: scheme %q", what, h.Proto)
				}
				if h.Host != "" && !httpguts.ValidHostHeader(h.Host) {
					t.Errorf("%s: host %q is no valid Host field", what, h.Host)
				}
				for _, host := range []string{"example.com", "example.com:8080", "[::1]:8080"} {
					for _, scheme := range []string{"http", "https"} {
						a := h.Authority(host, scheme)
						if !httpguts.ValidHostHeader(a) {
							t.Errorf("%s: authority %q is no valid Host field", what, a)
						}
						if _, port := splitHostPort(a); (h.Host != "" || h.Port != 0) && (port == "" && strings.HasSuffix(a, ":") || isDefaultPort(port, scheme)) {
							t.Errorf("%s: authority %q over %s keeps the default or an empty port", what, a, scheme)
						}
					}
				}
			}
		}
		check("Forwarded", ParseForwarded(nil, fwd))
		check("X-Forwarded", ParseXForwarded([]string{xff}, []string{xfp}, []string{xfh}, []string{xfport}))

		hops := ParseForwarded(ParseForwarded(nil, fwd), "for=203.0.113.9")
		if hops[len(hops)-1] != appended {
			t.Errorf("Forwarded %q, then the proxy's line: last hop %+v", fwd, hops[len(hops)-1])
		}
		hops = ParseForwarded(nil, fwd+", for=203.0.113.9")
		if last := hops[len(hops)-1]; last != appended && last != bad {
			t.Errorf("Forwarded %q with the proxy's element appended: last hop %+v", fwd, last)
		}
		hops = ParseXForwarded([]string{xff + ", 203.0.113.9"}, nil, nil, nil)
		if hops[len(hops)-1] != appended {
			t.Errorf("X-Forwarded-For %q with the proxy's entry appended: last hop %+v", xff, hops[len(hops)-1])
		}
	})
}
