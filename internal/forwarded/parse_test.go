package forwarded

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

var bad = Hop{Bad: true}

// forwardedCases are Forwarded field lines and the hops they list.
var forwardedCases = []struct {
	name  string
	lines []string
	want  []Hop
}{
	{"one", []string{"for=192.0.2.60;proto=https;host=shop.example;by=10.0.0.1"},
		[]Hop{{Addr: ap("192.0.2.60:0"), Proto: "https", Host: "shop.example"}}},
	{"case and whitespace", []string{" For=192.0.2.60 ; PROTO=HTTPS ;Host=\"shop.example\" "},
		[]Hop{{Addr: ap("192.0.2.60:0"), Proto: "https", Host: "shop.example"}}},
	{"ipv6 quoted with port", []string{`for="[2001:db8:cafe::17]:4711"`}, []Hop{{Addr: ap("[2001:db8:cafe::17]:4711")}}},
	{"ipv4-mapped", []string{`for="[::ffff:192.0.2.60]"`}, []Hop{{Addr: ap("192.0.2.60:0")}}},
	{"quoted ipv4 with port", []string{`for="192.0.2.60:4711"`}, []Hop{{Addr: ap("192.0.2.60:4711")}}},
	{"chain", []string{"for=6.6.6.6;proto=https, for=192.0.2.60;host=shop.example"},
		[]Hop{{Addr: ap("6.6.6.6:0"), Proto: "https"}, {Addr: ap("192.0.2.60:0"), Host: "shop.example"}}},
	{"lines", []string{"for=6.6.6.6", "for=192.0.2.60"}, []Hop{{Addr: ap("6.6.6.6:0")}, {Addr: ap("192.0.2.60:0")}}},
	{"empty elements", []string{", ,for=192.0.2.60,"}, []Hop{{Addr: ap("192.0.2.60:0")}}},
	{"empty pairs", []string{";;for=192.0.2.60;"}, []Hop{{Addr: ap("192.0.2.60:0")}}},
	{"unknown", []string{"for=unknown;proto=https"}, []Hop{{Proto: "https"}}},
	{"obfuscated", []string{"for=_hidden"}, []Hop{{}}},
	{"obfuscated port", []string{`for="192.0.2.60:_p1"`}, []Hop{{Addr: ap("192.0.2.60:0")}}},
	{"no for", []string{"proto=https"}, []Hop{{Proto: "https"}}},
	{"quoted pair", []string{`for="192.0.2.60";host="shop\.example"`}, []Hop{{Addr: ap("192.0.2.60:0"), Host: "shop.example"}}},
	{"extension ignored", []string{`for=192.0.2.60;secret="a, b; c"`}, []Hop{{Addr: ap("192.0.2.60:0")}}},
	{"other scheme ignored", []string{"for=192.0.2.60;proto=wss"}, []Hop{{Addr: ap("192.0.2.60:0")}}},
	{"invalid host ignored", []string{`for=192.0.2.60;host="a b"`}, []Hop{{Addr: ap("192.0.2.60:0")}}},
	{"empty for", []string{"for=192.0.2.60, for="}, []Hop{{Addr: ap("192.0.2.60:0")}, bad}},
	{"malformed then more", []string{`for=[bad;x="a,b", for=192.0.2.60`}, []Hop{bad, {Addr: ap("192.0.2.60:0")}}},
	{"open quote takes the line", []string{`for="6.6.6.6, for=192.0.2.60`}, []Hop{bad}},
	{"open quote ends at the line", []string{`for="6.6.6.6`, "for=192.0.2.60"}, []Hop{bad, {Addr: ap("192.0.2.60:0")}}},
	{"parameter twice", []string{"for=192.0.2.60;FOR=6.6.6.6"}, []Hop{bad}},
	{"unquoted ipv6", []string{"for=[2001:db8::1]"}, []Hop{bad}},
	{"bare ipv6", []string{`for="2001:db8::1"`}, []Hop{bad}},
	{"zone", []string{`for="[fe80::1%eth0]"`}, []Hop{bad}},
	{"bad port", []string{`for="192.0.2.60:65536"`}, []Hop{bad}},
	{"signed port", []string{`for="192.0.2.60:+80"`}, []Hop{bad}},
	{"control byte in quotes", []string{"for=\"192.0.2.60\x00\""}, []Hop{bad}},
	{"space around equals", []string{"for = 192.0.2.60"}, []Hop{bad}},
	{"name", []string{"for=proxy.example"}, []Hop{bad}},
}

func TestParseForwarded(t *testing.T) {
	for _, tc := range forwardedCases {
		t.Run(tc.name, func(t *testing.T) {
			var got []Hop
			for _, line := range tc.lines {
				got = ParseForwarded(got, line)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ParseForwarded(%q) = %+v, want %+v", tc.lines, got, tc.want)
			}
		})
	}
}

// xForwardedCases are X-Forwarded-For, -Proto, -Host and -Port lines and
// the hops they list.
var xForwardedCases = []struct {
	name                       string
	fors, protos, hosts, ports []string
	want                       []Hop
}{
	{name: "none"},
	{name: "one", fors: []string{"192.0.2.1"}, want: []Hop{{Addr: ap("192.0.2.1:0")}}},
	{name: "list and lines", fors: []string{"6.6.6.6,192.0.2.1 ,", "\t10.0.0.2"},
		want: []Hop{{Addr: ap("6.6.6.6:0")}, {Addr: ap("192.0.2.1:0")}, {Addr: ap("10.0.0.2:0")}}},
	{name: "ipv6", fors: []string{"2001:db8::1, [2001:db8::2]:4711"},
		want: []Hop{{Addr: ap("[2001:db8::1]:0")}, {Addr: ap("[2001:db8::2]:4711")}}},
	{name: "ipv4 port and mapped", fors: []string{"192.0.2.1:4711, ::ffff:192.0.2.2"},
		want: []Hop{{Addr: ap("192.0.2.1:4711")}, {Addr: ap("192.0.2.2:0")}}},
	{name: "unknown", fors: []string{"unknown"}, protos: []string{"https"}, want: []Hop{{Proto: "https"}}},
	{name: "garbage", fors: []string{"garbage, 192.0.2.1, fe80::1%eth0, 192.0.2.1:65536"},
		want: []Hop{bad, {Addr: ap("192.0.2.1:0")}, bad, bad}},
	{name: "proto and host", fors: []string{"192.0.2.1"}, protos: []string{"HTTPS"}, hosts: []string{"shop.example:8443"},
		want: []Hop{{Addr: ap("192.0.2.1:0"), Proto: "https", Host: "shop.example:8443"}}},
	{name: "single proto for a chain", fors: []string{"192.0.2.1, 10.0.0.2"}, protos: []string{"https"},
		want: []Hop{{Addr: ap("192.0.2.1:0"), Proto: "https"}, {Addr: ap("10.0.0.2:0"), Proto: "https"}}},
	{name: "matched from the right", fors: []string{"192.0.2.1, 10.0.0.2"}, protos: []string{"https, http"}, hosts: []string{"a.example", "b.example"},
		want: []Hop{{Addr: ap("192.0.2.1:0"), Proto: "https", Host: "a.example"}, {Addr: ap("10.0.0.2:0"), Proto: "http", Host: "b.example"}}},
	{name: "more protos than hops", fors: []string{"192.0.2.1"}, protos: []string{"https, http"},
		want: []Hop{{Addr: ap("192.0.2.1:0"), Proto: "http"}}},
	{name: "without for", protos: []string{"https"}, hosts: []string{"shop.example"}, want: []Hop{{Proto: "https", Host: "shop.example"}}},
	{name: "other scheme and unusable hosts ignored", fors: []string{"192.0.2.1, 192.0.2.2, 192.0.2.3"}, protos: []string{"wss"},
		hosts: []string{"a!b.example, evil%2eexample, [2001:db8::2]:8443"},
		want:  []Hop{{Addr: ap("192.0.2.1:0")}, {Addr: ap("192.0.2.2:0")}, {Addr: ap("192.0.2.3:0"), Host: "[2001:db8::2]:8443"}}},
	{name: "malformed hosts", fors: []string{"192.0.2.1, 192.0.2.2, 192.0.2.3"},
		hosts: []string{"evil.example/path, u@evil.example, [2001:db8::2]:8443"},
		want:  []Hop{{Addr: ap("192.0.2.1:0"), Bad: true}, {Addr: ap("192.0.2.2:0"), Bad: true}, {Addr: ap("192.0.2.3:0"), Host: "[2001:db8::2]:8443"}}},
	{name: "malformed protos", fors: []string{"192.0.2.1, 192.0.2.2"}, protos: []string{"https:, HTTPS"},
		want: []Hop{{Addr: ap("192.0.2.1:0"), Bad: true}, {Addr: ap("192.0.2.2:0"), Proto: "https"}}},
	{name: "malformed proto without for", protos: []string{"ht tp"}, want: []Hop{bad}},
	{name: "port", fors: []string{"192.0.2.1"}, ports: []string{"8443"}, want: []Hop{{Addr: ap("192.0.2.1:0"), Port: 8443}}},
	{name: "port without for", ports: []string{"443"}, want: []Hop{{Port: 443}}},
	{name: "port and host", hosts: []string{"shop.example"}, ports: []string{"08443"}, want: []Hop{{Host: "shop.example", Port: 8443}}},
	{name: "host's own port wins", hosts: []string{"[2001:db8::2]:9443"}, ports: []string{"8443"}, want: []Hop{{Host: "[2001:db8::2]:9443"}}},
	{name: "ports matched from the right", fors: []string{"192.0.2.1, 10.0.0.2"}, ports: []string{"8443", "80"},
		want: []Hop{{Addr: ap("192.0.2.1:0"), Port: 8443}, {Addr: ap("10.0.0.2:0"), Port: 80}}},
	{name: "bad ports", fors: []string{"192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4, 10.0.0.2"}, ports: []string{"x, 0, 65536, +1, -1"},
		want: []Hop{{Addr: ap("192.0.2.1:0"), Bad: true}, {Addr: ap("192.0.2.2:0"), Bad: true}, {Addr: ap("192.0.2.3:0"), Bad: true},
			{Addr: ap("192.0.2.4:0"), Bad: true}, {Addr: ap("10.0.0.2:0"), Bad: true}}},
}

// xValueCases are X-Forwarded-Proto and X-Forwarded-Host values (one
// set, the other empty) and what they make of the hop of X-Forwarded-For
// 192.0.2.1: a scheme, a host, nothing (a well-formed value the request
// cannot take), or a bad hop.
var xValueCases = []struct {
	proto, host string
	want        Hop
}{
	{proto: "https", want: Hop{Proto: "https"}},
	{proto: "HTTP", want: Hop{Proto: "http"}},
	{proto: "HtTpS", want: Hop{Proto: "https"}},
	{proto: "wss"},
	{proto: "ws"},
	{proto: "git+ssh"},
	{proto: "a1.b-c"},
	{proto: "ht tp", want: bad},
	{proto: "https:", want: bad},
	{proto: "https://", want: bad},
	{proto: "1http", want: bad},
	{proto: "-http", want: bad},
	{proto: "http/1.1", want: bad},
	{proto: `"https"`, want: bad},
	{proto: "htt\xc3\xa9p", want: bad},
	{proto: "http\x00", want: bad},

	{host: "shop.example", want: Hop{Host: "shop.example"}},
	{host: "SHOP.example:8443", want: Hop{Host: "SHOP.example:8443"}},
	{host: "192.0.2.7", want: Hop{Host: "192.0.2.7"}},
	{host: "192.0.2.7:80", want: Hop{Host: "192.0.2.7:80"}},
	{host: "999.1.1.1", want: Hop{Host: "999.1.1.1"}}, // a reg-name
	{host: "[2001:db8::2]", want: Hop{Host: "[2001:db8::2]"}},
	{host: "[2001:db8::2]:8443", want: Hop{Host: "[2001:db8::2]:8443"}},
	{host: "under_score~tilde", want: Hop{Host: "under_score~tilde"}},
	{host: "shop.example:0", want: Hop{Host: "shop.example:0"}},
	{host: "shop.example:65535", want: Hop{Host: "shop.example:65535"}},
	{host: "shop.example:", want: Hop{Host: "shop.example:"}}, // port = *DIGIT
	{host: "a!b.example"},
	{host: "a'b=c;d.example:80"},
	{host: "shop%2eexample"},
	{host: strings.Repeat("a", 262)},
	{host: "evil.example/path", want: bad},
	{host: "u@evil.example", want: bad},
	{host: "a b", want: bad},
	{host: "shop.example?x", want: bad},
	{host: "shop.example#x", want: bad},
	{host: "shop.example:65536", want: bad},
	{host: "shop.example:000080", want: bad},
	{host: "shop.example:http", want: bad},
	{host: "shop.example:+80", want: bad},
	{host: "a:b:c", want: bad},
	{host: ":8080", want: bad},
	{host: "shop%zzexample", want: bad},
	{host: "shop%2", want: bad},
	{host: "[2001:db8::2", want: bad},
	{host: "[2001:db8::2]x", want: bad},
	{host: "[2001:db8::2]:99999", want: bad},
	{host: "[192.0.2.7]", want: bad},
	{host: "[fe80::1%25eth0]", want: bad},
	{host: "[v1.x]", want: bad},
	{host: "sh\x00op.example", want: bad},
}

func TestXForwardedValues(t *testing.T) {
	for _, tc := range xValueCases {
		want := tc.want
		want.Addr = ap("192.0.2.1:0")
		if got := ParseXForwarded([]string{"192.0.2.1"}, []string{tc.proto}, []string{tc.host}, nil); !slices.Equal(got, []Hop{want}) {
			t.Errorf("X-Forwarded-Proto %q, X-Forwarded-Host %q: %+v, want %+v", tc.proto, tc.host, got, want)
		}
	}
}

func TestParseXForwarded(t *testing.T) {
	for _, tc := range xForwardedCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseXForwarded(tc.fors, tc.protos, tc.hosts, tc.ports); !slices.Equal(got, tc.want) {
				t.Errorf("ParseXForwarded(%q, %q, %q, %q) = %+v, want %+v", tc.fors, tc.protos, tc.hosts, tc.ports, got, tc.want)
			}
		})
	}
}

func TestAuthority(t *testing.T) {
	for _, tc := range []struct {
		hop                Hop
		host, scheme, want string
	}{
		{Hop{}, "example.com:8080", "http", "example.com:8080"},
		{Hop{Host: "shop.example"}, "example.com:8080", "http", "shop.example"},
		{Hop{Port: 8443}, "example.com", "http", "example.com:8443"},
		{Hop{Port: 8443}, "example.com:8080", "http", "example.com:8443"},
		{Hop{Port: 8443}, "127.0.0.1:8080", "http", "127.0.0.1:8443"},
		{Hop{Port: 8443}, "[::1]", "http", "[::1]:8443"},
		{Hop{Port: 8443}, "[::1]:8080", "http", "[::1]:8443"},
		{Hop{Port: 8443}, "example.com:", "http", "example.com:8443"},
		{Hop{Port: 8443}, "", "http", ""},
		{Hop{Host: "shop.example", Port: 8443}, "example.com:8080", "http", "shop.example:8443"},

		// The scheme's default port is left out of a Host the hop gives.
		{Hop{Port: 443}, "example.com:8080", "https", "example.com"},
		{Hop{Port: 443}, "example.com", "http", "example.com:443"},
		{Hop{Port: 80}, "example.com:8080", "http", "example.com"},
		{Hop{Port: 80}, "example.com", "https", "example.com:80"},
		{Hop{Port: 443}, "[::1]:8080", "https", "[::1]"},
		{Hop{Port: 443}, "", "https", ""},
		{Hop{Host: "shop.example:443"}, "example.com:8080", "https", "shop.example"},
		{Hop{Host: "shop.example:443"}, "example.com:8080", "http", "shop.example:443"},
		{Hop{Host: "[2001:db8::2]:80"}, "example.com", "http", "[2001:db8::2]"},
		{Hop{Host: "shop.example:0443"}, "example.com", "https", "shop.example"},
		{Hop{Host: "shop.example:"}, "example.com", "http", "shop.example"},
		{Hop{Host: "shop.example", Port: 443}, "example.com:8080", "https", "shop.example"},
		// A Host the hop says nothing of is the request's, as it came.
		{Hop{}, "example.com:443", "https", "example.com:443"},
		{Hop{Proto: "https"}, "example.com:443", "https", "example.com:443"},
	} {
		if got := tc.hop.Authority(tc.host, tc.scheme); got != tc.want {
			t.Errorf("%+v.Authority(%q, %q) = %q, want %q", tc.hop, tc.host, tc.scheme, got, tc.want)
		}
	}
}
