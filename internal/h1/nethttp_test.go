package h1

import (
	"bufio"
	"bytes"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// FuzzParseRequestHeadNetHTTP uses net/http's request reader as an oracle
// in one direction: whatever h1 accepts, net/http must accept and read the
// same way. h1 is meant to be the stricter of the two, so the converse is
// not checked. Known, deliberate differences are skipped: leading empty
// lines (net/http skips them in its server loop, not in ReadRequest) and
// Content-Length lists of identical values (RFC 9110 §8.6 allows them).
func FuzzParseRequestHeadNetHTTP(f *testing.F) {
	for _, tc := range requestCases {
		if len(tc.in) < 4096 {
			f.Add([]byte(tc.in))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var h RequestHead
		n, err := ParseRequestHead(in, Limits{}, &h)
		if err != nil {
			return
		}
		for _, f := range h.Fields {
			if EqualFold(f.Name, "content-length") && bytes.IndexByte(f.Value, ',') >= 0 {
				return
			}
		}
		head := bytes.TrimLeft(in[:n], "\r\n")
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			t.Fatalf("h1 accepts %q, net/http: %v", head, err)
		}
		if req.Method != string(h.Method) || req.RequestURI != string(h.Target) {
			t.Fatalf("%q: method, target = %q %q; net/http %q %q", head, h.Method, h.Target, req.Method, req.RequestURI)
		}
		if h.Chunked != (len(req.TransferEncoding) > 0) {
			t.Fatalf("%q: chunked = %v; net/http %q", head, h.Chunked, req.TransferEncoding)
		}
		if !h.Chunked && h.ContentLength >= 0 && req.ContentLength != h.ContentLength {
			t.Fatalf("%q: Content-Length = %d; net/http %d", head, h.ContentLength, req.ContentLength)
		}
		if req.Close != h.Close {
			t.Fatalf("%q: Close = %v; net/http %v", head, h.Close, req.Close)
		}
		if h.Minor == 1 && req.Host != string(h.Host) {
			t.Fatalf("%q: Host = %q; net/http %q", head, h.Host, req.Host)
		}
	})
}

// FuzzValidIPv6 checks the IPv6 literal validator against net/netip.
func FuzzValidIPv6(f *testing.F) {
	for _, s := range []string{"::1", "1:2:3:4:5:6:7:8", "::ffff:1.2.3.4", "1::2::3", "fe80::1%eth0", "1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := netip.ParseAddr(s)
		want := err == nil && a.Is6() && a.Zone() == "" && strings.IndexByte(s, '%') < 0
		if got := validIPv6([]byte(s)); got != want {
			t.Fatalf("validIPv6(%q) = %v, netip says %v (%v)", s, got, want, err)
		}
	})
}
