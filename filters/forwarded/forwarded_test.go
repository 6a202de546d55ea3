package forwarded_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/filters/forwarded"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// proxies is the trusted network of most cases; the peer is one of it
// unless a case says otherwise.
var proxies = []string{"10.0.0.0/8"}

const (
	proxyPeer = "10.0.0.1:5000"
	ipLocal   = "10.0.0.9:80"     // the LocalAddr of most cases
	unixLocal = "/run/wharf.sock" // that of a Unix socket's connection
	origHost  = "example.com"     // wharftest.Head's Host
)

// seen is what the chain behind the filter sees of the client.
type seen struct{ remote, scheme, host string }

// unchanged is what it sees of a request passed on as it came.
var unchanged = seen{proxyPeer, "http", origHost}

// refused stands for a request the filter answers 400 itself, for a
// malformed field a trusted proxy passed on: the chain sees nothing.
var refused = seen{}

var cases = []struct {
	name    string
	trusted []string // nil: proxies
	unix    bool     // Config.TrustUnixPeers
	header  forwarded.Header
	peer    string   // "": proxyPeer
	local   string   // "": ipLocal
	fields  []string // name, value pairs, in order
	want    seen
}{
	{name: "untrusted peer", peer: "203.0.113.50:7000",
		fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https", "Forwarded", "for=192.0.2.1"},
		want:   seen{"203.0.113.50:7000", "http", origHost}},
	{name: "untrusted peer's malformed fields", peer: "203.0.113.50:7000",
		fields: []string{"X-Forwarded-For", "garbage", "Forwarded", "for="},
		want:   seen{"203.0.113.50:7000", "http", origHost}},
	{name: "zero config trusts not even loopback", trusted: []string{}, peer: "127.0.0.1:7000",
		fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https"},
		want:   seen{"127.0.0.1:7000", "http", origHost}},
	{name: "no fields", want: unchanged},
	{name: "unix peer not trusted by default", peer: "@", local: unixLocal,
		fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https"}, want: seen{"@", "http", origHost}},
	{name: "unix peer trusted", unix: true, peer: "@", local: unixLocal,
		fields: []string{"X-Forwarded-For", "6.6.6.6, 192.0.2.1", "X-Forwarded-Proto", "https"}, want: seen{"192.0.2.1:0", "https", origHost}},
	{name: "unnamed unix peer trusted without proxies", trusted: []string{}, unix: true, peer: "", local: unixLocal,
		fields: []string{"Forwarded", "for=192.0.2.60"}, want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "unix peer's malformed field", unix: true, peer: "/run/proxy.sock", local: unixLocal,
		fields: []string{"X-Forwarded-For", "garbage"}, want: refused},
	{name: "unix trust is no IP trust", trusted: []string{}, unix: true, peer: "203.0.113.50:7000",
		fields: []string{"X-Forwarded-For", "192.0.2.1"}, want: seen{"203.0.113.50:7000", "http", origHost}},
	// A link-local IPv6 peer's address carries its zone, as Go's
	// net.TCPAddr.String writes it: an IP peer all the same, on the LAN.
	{name: "unix trust is no zoned IP trust", unix: true, peer: "[fe80::1%eth0]:7000",
		fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https"},
		want:   seen{"[fe80::1%eth0]:7000", "http", origHost}},
	{name: "zoned peer never trusted", trusted: []string{"fe80::/10"}, peer: "[fe80::1%eth0]:7000",
		fields: []string{"X-Forwarded-For", "192.0.2.1"}, want: seen{"[fe80::1%eth0]:7000", "http", origHost}},
	{name: "address entry", trusted: []string{"10.0.0.1"},
		fields: []string{"X-Forwarded-For", "192.0.2.1"}, want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "ipv4-mapped peer", peer: "[::ffff:10.0.0.1]:5000",
		fields: []string{"X-Forwarded-For", "192.0.2.1"}, want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "ipv4-mapped entry", trusted: []string{"::ffff:10.0.0.0/104"},
		fields: []string{"X-Forwarded-For", "192.0.2.1"}, want: seen{"192.0.2.1:0", "http", origHost}},

	// X-Forwarded-For, -Proto, -Host.
	{name: "xff one", fields: []string{"X-Forwarded-For", "192.0.2.1"}, want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "xff spoofed entry left of the proxy's", fields: []string{"X-Forwarded-For", "6.6.6.6, 192.0.2.1"},
		want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "xff through trusted proxies", fields: []string{"X-Forwarded-For", "6.6.6.6,192.0.2.1 ,10.0.0.3,\t10.0.0.2"},
		want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "xff all trusted: the first", fields: []string{"X-Forwarded-For", "10.0.0.3, 10.0.0.2"},
		want: seen{"10.0.0.3:0", "http", origHost}},
	{name: "xff lines", fields: []string{"X-Forwarded-For", "6.6.6.6", "X-Forwarded-For", "192.0.2.1, 10.0.0.2"},
		want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "xff empty entries", fields: []string{"X-Forwarded-For", ", 192.0.2.1,,"}, want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "xff ipv6", fields: []string{"X-Forwarded-For", "2001:db8::1"}, want: seen{"[2001:db8::1]:0", "http", origHost}},
	{name: "xff ipv6 port", fields: []string{"X-Forwarded-For", "[2001:db8::1]:4711"}, want: seen{"[2001:db8::1]:4711", "http", origHost}},
	// IPv6 proxies: a trusted one named in brackets with a port is
	// skipped as its bare form is; the client's spoofed entries left of
	// the rightmost untrusted hop are not believed.
	{name: "xff through a trusted ipv6 proxy", trusted: []string{"10.0.0.0/8", "2001:db8:f::/48"},
		fields: []string{"X-Forwarded-For", "6.6.6.6, [2001:db8::7]:1234, [2001:db8:f::2]:80, 2001:db8:f::3"}, want: seen{"[2001:db8::7]:1234", "http", origHost}},
	{name: "xff spoofed trusted address left of the client", fields: []string{"X-Forwarded-For", "10.0.0.99, 192.0.2.1, 10.0.0.2"},
		want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "forwarded through a trusted ipv6 proxy", trusted: []string{"10.0.0.0/8", "2001:db8:f::/48"},
		fields: []string{"Forwarded", `for=6.6.6.6;proto=http, for="[2001:db8::7]:4711";proto=https, for="[2001:db8:f::2]"`}, want: seen{"[2001:db8::7]:4711", "https", origHost}},
	{name: "forwarded ipv4-mapped trusted hop", fields: []string{"Forwarded", `for=192.0.2.60, for="[::ffff:10.0.0.2]"`},
		want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "forwarded unknown right of a trusted hop", fields: []string{"Forwarded", "for=192.0.2.60, for=unknown;proto=https, for=10.0.0.2"},
		want: seen{proxyPeer, "https", origHost}},
	{name: "xff ipv4 port", fields: []string{"X-Forwarded-For", "192.0.2.1:4711"}, want: seen{"192.0.2.1:4711", "http", origHost}},
	{name: "xff ipv4-mapped", fields: []string{"X-Forwarded-For", "::ffff:192.0.2.1"}, want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "xff garbage right of the client", fields: []string{"X-Forwarded-For", "192.0.2.1, garbage"}, want: refused},
	{name: "xff garbage right of a trusted proxy", fields: []string{"X-Forwarded-For", "192.0.2.1, 10.0.0.3, garbage"}, want: refused},
	{name: "xff garbage behind a trusted proxy", fields: []string{"X-Forwarded-For", "192.0.2.1, garbage, 10.0.0.3"}, want: refused},
	{name: "xff garbage left of the client", fields: []string{"X-Forwarded-For", "garbage, 192.0.2.1"}, want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "xff zone", fields: []string{"X-Forwarded-For", "fe80::1%eth0"}, want: refused},
	{name: "xff bad port", fields: []string{"X-Forwarded-For", "192.0.2.1:65536"}, want: refused},
	{name: "xff unknown", fields: []string{"X-Forwarded-For", "unknown", "X-Forwarded-Proto", "https"},
		want: seen{proxyPeer, "https", origHost}},
	{name: "xff proto and host", fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "HTTPS", "X-Forwarded-Host", "shop.example:8443"},
		want: seen{"192.0.2.1:0", "https", "shop.example:8443"}},
	{name: "xfp single value for a chain", fields: []string{"X-Forwarded-For", "192.0.2.1, 10.0.0.2", "X-Forwarded-Proto", "https"},
		want: seen{"192.0.2.1:0", "https", origHost}},
	{name: "xfp spoofed entry", fields: []string{"X-Forwarded-For", "6.6.6.6, 192.0.2.1", "X-Forwarded-Proto", "https, http"},
		want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "xfp matched from the right", fields: []string{"X-Forwarded-For", "192.0.2.1, 10.0.0.2", "X-Forwarded-Proto", "https, http"},
		want: seen{"192.0.2.1:0", "https", origHost}},
	{name: "xfp without xff", fields: []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "shop.example"},
		want: seen{proxyPeer, "https", "shop.example"}},
	{name: "xfp other scheme ignored", fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "wss"},
		want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "xfp malformed", fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https:"}, want: refused},
	{name: "xfp malformed without xff", fields: []string{"X-Forwarded-Proto", "ht tp"}, want: refused},
	{name: "xfp malformed for a chain", fields: []string{"X-Forwarded-For", "192.0.2.1, 10.0.0.2", "X-Forwarded-Proto", "http/1.1"}, want: refused},
	{name: "xfp malformed left of the client", fields: []string{"X-Forwarded-For", "6.6.6.6, 192.0.2.1", "X-Forwarded-Proto", "x y, https"},
		want: seen{"192.0.2.1:0", "https", origHost}},
	{name: "xfh invalid refused", fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Host", "evil.example/path"}, want: refused},
	{name: "xfh userinfo refused", fields: []string{"X-Forwarded-Host", "u@evil.example"}, want: refused},
	{name: "xfh port out of range", fields: []string{"X-Forwarded-Host", "shop.example:65536"}, want: refused},
	{name: "xfh open bracket", fields: []string{"X-Forwarded-Host", "[2001:db8::2"}, want: refused},
	{name: "xfh unusable ignored", fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Host", "a!b.example"},
		want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "xfh malformed left of the client", fields: []string{"X-Forwarded-For", "6.6.6.6, 192.0.2.1", "X-Forwarded-Host", "a b, shop.example"},
		want: seen{"192.0.2.1:0", "http", "shop.example"}},
	{name: "xfh malformed ignored with Forwarded", fields: []string{"Forwarded", "for=192.0.2.60", "X-Forwarded-Host", "u@evil.example"},
		want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "xfport sets the Host's port", fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https", "X-Forwarded-Port", "8443"},
		want: seen{"192.0.2.1:0", "https", origHost + ":8443"}},
	{name: "xfport without xff", fields: []string{"X-Forwarded-Port", "443"}, want: seen{proxyPeer, "http", origHost + ":443"}},
	{name: "xfport sets xfh's port", fields: []string{"X-Forwarded-Host", "shop.example", "X-Forwarded-Port", "8443"},
		want: seen{proxyPeer, "http", "shop.example:8443"}},
	{name: "xfport sets xfh's ipv6 port", fields: []string{"X-Forwarded-Host", "[2001:db8::2]", "X-Forwarded-Port", "8443"},
		want: seen{proxyPeer, "http", "[2001:db8::2]:8443"}},
	{name: "xfh's own port wins", fields: []string{"X-Forwarded-Host", "shop.example:9443", "X-Forwarded-Port", "8443"},
		want: seen{proxyPeer, "http", "shop.example:9443"}},
	{name: "xfport matched from the right", fields: []string{"X-Forwarded-For", "192.0.2.1, 10.0.0.2", "X-Forwarded-Port", "8443, 80"},
		want: seen{"192.0.2.1:0", "http", origHost + ":8443"}},
	{name: "xfport leading zeros", fields: []string{"X-Forwarded-Port", "08443"}, want: seen{proxyPeer, "http", origHost + ":8443"}},
	{name: "xfport malformed", fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Port", "https"}, want: refused},
	{name: "xfport zero", fields: []string{"X-Forwarded-Port", "0"}, want: refused},
	{name: "xfport too large", fields: []string{"X-Forwarded-Port", "65536"}, want: refused},
	{name: "xfport signed", fields: []string{"X-Forwarded-Port", "+443"}, want: refused},
	{name: "xfport malformed left of the client", fields: []string{"X-Forwarded-For", "6.6.6.6, 192.0.2.1", "X-Forwarded-Port", "x, 8443"},
		want: seen{"192.0.2.1:0", "http", origHost + ":8443"}},
	{name: "xfport ignored with Forwarded", fields: []string{"Forwarded", "for=192.0.2.60", "X-Forwarded-Port", "8443"},
		want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "xfh ipv6", fields: []string{"X-Forwarded-Host", "[2001:db8::2]:8443"}, want: seen{proxyPeer, "http", "[2001:db8::2]:8443"}},
	{name: "xfport https default left out", fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https", "X-Forwarded-Port", "443"},
		want: seen{"192.0.2.1:0", "https", origHost}},
	{name: "xfh https default left out", fields: []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "shop.example:443"},
		want: seen{proxyPeer, "https", "shop.example"}},
	{name: "xfport http default left out", fields: []string{"X-Forwarded-Host", "shop.example", "X-Forwarded-Port", "80"},
		want: seen{proxyPeer, "http", "shop.example"}},

	// Forwarded.
	{name: "forwarded", fields: []string{"Forwarded", "for=192.0.2.60;proto=https;host=shop.example;by=10.0.0.1"},
		want: seen{"192.0.2.60:0", "https", "shop.example"}},
	{name: "forwarded case and whitespace", fields: []string{"Forwarded", " For=192.0.2.60 ; PROTO=HTTPS ;Host=\"shop.example\" "},
		want: seen{"192.0.2.60:0", "https", "shop.example"}},
	{name: "forwarded ipv6 quoted with port", fields: []string{"Forwarded", `for="[2001:db8:cafe::17]:4711"`},
		want: seen{"[2001:db8:cafe::17]:4711", "http", origHost}},
	{name: "forwarded quoted ipv4 with port", fields: []string{"Forwarded", `for="192.0.2.60:4711"`},
		want: seen{"192.0.2.60:4711", "http", origHost}},
	{name: "forwarded chain", fields: []string{"Forwarded", "for=6.6.6.6;proto=https, for=192.0.2.60;proto=https;host=shop.example, for=10.0.0.2;proto=http;host=internal"},
		want: seen{"192.0.2.60:0", "https", "shop.example"}},
	{name: "forwarded trusted hop's proto not the client's", fields: []string{"Forwarded", "for=192.0.2.60, for=10.0.0.2;proto=https"},
		want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "forwarded lines", fields: []string{"Forwarded", "for=6.6.6.6", "Forwarded", "for=192.0.2.60, for=10.0.0.2"},
		want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "forwarded empty elements", fields: []string{"Forwarded", ", ,for=192.0.2.60,"}, want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "forwarded unknown", fields: []string{"Forwarded", "for=unknown;proto=https"}, want: seen{proxyPeer, "https", origHost}},
	{name: "forwarded obfuscated ends the walk", fields: []string{"Forwarded", "for=192.0.2.60, for=_hidden;proto=https, for=10.0.0.2"},
		want: seen{proxyPeer, "https", origHost}},
	{name: "forwarded obfuscated port", fields: []string{"Forwarded", `for="192.0.2.60:_p1"`}, want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "forwarded no for", fields: []string{"Forwarded", "proto=https"}, want: seen{proxyPeer, "https", origHost}},
	{name: "forwarded https default left out", fields: []string{"Forwarded", `host="example.com:443";proto=https`},
		want: seen{proxyPeer, "https", "example.com"}},
	{name: "forwarded quoted pair", fields: []string{"Forwarded", `for="192.0.2.60";host="shop\.example"`},
		want: seen{"192.0.2.60:0", "http", "shop.example"}},
	{name: "forwarded extension ignored", fields: []string{"Forwarded", `for=192.0.2.60;secret="a, b; c"`},
		want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "forwarded invalid host ignored", fields: []string{"Forwarded", `for=192.0.2.60;host="a b"`},
		want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "forwarded malformed right of the client", fields: []string{"Forwarded", "for=192.0.2.60, for="}, want: refused},
	{name: "forwarded malformed left of the client", fields: []string{"Forwarded", `for=[bad;x="a,b", for=192.0.2.60`},
		want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "forwarded open quote takes the line", fields: []string{"Forwarded", `for="6.6.6.6, for=192.0.2.60`}, want: refused},
	{name: "forwarded open quote on the client's line", fields: []string{"Forwarded", `for="6.6.6.6`, "Forwarded", "for=192.0.2.60"},
		want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "forwarded parameter twice", fields: []string{"Forwarded", "for=192.0.2.60;for=6.6.6.6"}, want: refused},
	{name: "forwarded unquoted ipv6", fields: []string{"Forwarded", "for=[2001:db8::1]"}, want: refused},
	{name: "forwarded bare ipv6", fields: []string{"Forwarded", `for="2001:db8::1"`}, want: refused},
	{name: "forwarded control byte in quotes", fields: []string{"Forwarded", "for=\"192.0.2.60\x00\""}, want: refused},
	{name: "forwarded space around equals", fields: []string{"Forwarded", "for = 192.0.2.60"}, want: refused},

	// Which fields.
	{name: "forwarded wins", fields: []string{"X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https", "Forwarded", "for=192.0.2.60"},
		want: seen{"192.0.2.60:0", "http", origHost}},
	{name: "HeaderXForwarded ignores Forwarded", header: forwarded.HeaderXForwarded,
		fields: []string{"X-Forwarded-For", "192.0.2.1", "Forwarded", "for=6.6.6.6"}, want: seen{"192.0.2.1:0", "http", origHost}},
	{name: "HeaderForwarded ignores X-Forwarded", header: forwarded.HeaderForwarded,
		fields: []string{"X-Forwarded-For", "6.6.6.6", "X-Forwarded-Proto", "https"}, want: unchanged},
}

// TestForwarded drives the filter with each case's fields, from its peer,
// and checks what the chain behind it sees, and that the request the
// filter got, and its connection's ConnInfo, are left as they were.
func TestForwarded(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			trusted := tc.trusted
			if trusted == nil {
				trusted = proxies
			}
			f, err := forwarded.New(forwarded.Config{TrustedProxies: trusted, TrustUnixPeers: tc.unix, Header: tc.header})
			if err != nil {
				t.Fatal(err)
			}
			head := wharftest.Head("GET", "/", tc.fields...)
			peer := tc.peer
			if peer == "" && !tc.unix {
				peer = proxyPeer
			}
			local := tc.local
			if local == "" {
				local = ipLocal
			}
			conn := &api.ConnInfo{RemoteAddr: peer, LocalAddr: local}
			head.Conn = conn
			r := api.NewRequest(t.Context(), head, nil)
			var got seen
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				got = seen{r.RemoteAddr(), r.Scheme(), r.Host()}
				if r.LocalAddr() != local {
					t.Errorf("LocalAddr %q, want the connection's", r.LocalAddr())
				}
				return nil
			}), f)
			err = h.Serve(wharftest.NewRecorder(), r)
			if err := checkRefusal(err, tc.want == refused); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("chain sees %+v, want %+v", got, tc.want)
			}
			if *conn != (api.ConnInfo{RemoteAddr: peer, LocalAddr: local}) || r.Host() != origHost || r.Head().Conn != conn {
				t.Errorf("the filter changed the request it got: %+v, host %q", *conn, r.Host())
			}
		})
	}
}

// TestForwardedKeepsTLS: the derived request's ConnInfo is the
// connection's but for what the proxy said, so its TLS state stays, and a
// proxy that took the request in cleartext says so over it.
func TestForwardedKeepsTLS(t *testing.T) {
	f, err := forwarded.New(forwarded.Config{TrustedProxies: proxies})
	if err != nil {
		t.Fatal(err)
	}
	head := wharftest.Head("GET", "/", "Forwarded", "for=192.0.2.60;proto=http")
	head.Conn = &api.ConnInfo{RemoteAddr: proxyPeer, TLS: &tls.ConnectionState{Version: tls.VersionTLS13}}
	r := api.NewRequest(t.Context(), head, nil)
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		if r.TLS() != head.Conn.TLS || r.Scheme() != "http" || r.RemoteAddr() != "192.0.2.60:0" {
			t.Errorf("TLS %p, Scheme %q, RemoteAddr %q; want the connection's TLS, http, 192.0.2.60:0", r.TLS(), r.Scheme(), r.RemoteAddr())
		}
		return nil
	}), f)
	if err := h.Serve(wharftest.NewRecorder(), r); err != nil {
		t.Fatal(err)
	}
}

// checkRefusal says what is wrong with the error the filter's chain
// returned: a refusal must be an *api.StatusError of 400 whose cause is
// ErrMalformed; anything else, no error.
func checkRefusal(err error, refusal bool) error {
	var se *api.StatusError
	switch {
	case !refusal && err != nil:
		return fmt.Errorf("chain failed: %w", err)
	case refusal && (!errors.As(err, &se) || se.Code != http.StatusBadRequest || !errors.Is(err, forwarded.ErrMalformed)):
		return fmt.Errorf("chain returned %v, want a 400 StatusError wrapping ErrMalformed", err)
	}
	return nil
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  forwarded.Config
		ok   bool
	}{
		{"zero", forwarded.Config{}, true},
		{"unix peers only", forwarded.Config{TrustUnixPeers: true}, true},
		{"addresses and prefixes", forwarded.Config{TrustedProxies: []string{"10.0.0.1", "::1", "192.168.0.0/16", "fd00::/8"}}, true},
		{"not an address", forwarded.Config{TrustedProxies: []string{"proxy.internal"}}, false},
		{"zone", forwarded.Config{TrustedProxies: []string{"fe80::1%eth0"}}, false},
		{"bad prefix", forwarded.Config{TrustedProxies: []string{"10.0.0.0/33"}}, false},
		{"unknown header", forwarded.Config{Header: forwarded.HeaderXForwarded + 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := forwarded.New(tc.cfg)
			if tc.ok != (err == nil) || tc.ok != (f != nil) {
				t.Fatalf("New = %v, %v; want ok %v", f, err, tc.ok)
			}
			if err != nil && !errors.Is(err, forwarded.ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}

// TestDoSPerClient: behind the filter, filters/dos keeps a bucket per
// client the trusted proxy names, where without it every client of the
// proxy shares the proxy's.
func TestDoSPerClient(t *testing.T) {
	for _, withForwarded := range []bool{false, true} {
		d, err := dos.New(dos.Config{Rate: 0.001, Burst: 1, Delay: -1})
		if err != nil {
			t.Fatal(err)
		}
		filters := []api.Filter{d}
		if withForwarded {
			f, err := forwarded.New(forwarded.Config{TrustedProxies: proxies})
			if err != nil {
				t.Fatal(err)
			}
			filters = []api.Filter{f, d}
		}
		h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error { return nil }), filters...)
		status := func(client string) int {
			head := wharftest.Head("GET", "/", "X-Forwarded-For", client)
			head.Conn = &api.ConnInfo{RemoteAddr: proxyPeer}
			if err := h.Serve(wharftest.NewRecorder(), api.NewRequest(t.Context(), head, nil)); err != nil {
				var se *api.StatusError
				if !errors.As(err, &se) {
					t.Fatal(err)
				}
				return se.Code
			}
			return http.StatusOK
		}
		want := []int{http.StatusOK, http.StatusTooManyRequests, http.StatusTooManyRequests}
		if withForwarded {
			want = []int{http.StatusOK, http.StatusTooManyRequests, http.StatusOK}
		}
		got := []int{status("192.0.2.1"), status("192.0.2.1"), status("192.0.2.2")}
		if got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("forwarded %v: statuses %v, want %v", withForwarded, got, want)
		}
		if s := d.Stats(); withForwarded && s.Clients != 2 {
			t.Errorf("dos has %d clients, want 2", s.Clients)
		}
	}
}

// A request the filter passes on as it came costs no allocation: one
// from a peer it does not trust, and one from a trusted proxy without
// forwarding fields.
func TestAllocsPassThrough(t *testing.T) {
	f, err := forwarded.New(forwarded.Config{TrustedProxies: proxies})
	if err != nil {
		t.Fatal(err)
	}
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error { return nil }), f)
	w := wharftest.NewRecorder()
	for _, peer := range []string{"203.0.113.50:7000", proxyPeer} {
		head := wharftest.Head("GET", "/", "X-Forwarded-For", "192.0.2.1")
		if peer == proxyPeer {
			head = wharftest.Head("GET", "/", "Accept", "*/*")
		}
		head.Conn = &api.ConnInfo{RemoteAddr: peer}
		r := api.NewRequest(t.Context(), head, nil)
		if n := testing.AllocsPerRun(100, func() { h.Serve(w, r) }); n != 0 {
			t.Errorf("peer %s: %v allocations a request, want 0", peer, n)
		}
	}
}

// A request the filter rewrites, from a trusted proxy with
// X-Forwarded-For and -Proto, pinned so that a regression fails: the
// copies of the two fields' values (api.Header.Values), the parsed
// entries (two), the client's address as text, the derived head's
// ConnInfo and the derived Request.
func TestAllocsRewrite(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	f, err := forwarded.New(forwarded.Config{TrustedProxies: proxies})
	if err != nil {
		t.Fatal(err)
	}
	ok := api.HandlerFunc(func(w api.Response, r *api.Request) error { return nil })
	head := wharftest.Head("GET", "/", "X-Forwarded-For", "192.0.2.1", "X-Forwarded-Proto", "https")
	head.Conn = &api.ConnInfo{RemoteAddr: proxyPeer}
	r := api.NewRequest(t.Context(), head, nil)
	if got := wharftest.AddedAllocs(100, api.Compose(ok, f), ok, r); got > 7 {
		t.Errorf("%v allocations a request, want at most 7", got)
	}
}
