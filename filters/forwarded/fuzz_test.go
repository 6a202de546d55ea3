package forwarded_test

import (
	"net/netip"
	"testing"

	"golang.org/x/net/http/httpguts"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/forwarded"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// serveFields runs a request from peer with the given fields through f
// and returns what the chain sees: refused if the filter answered 400.
func serveFields(t *testing.T, f api.Filter, peer string, fields ...string) seen {
	head := wharftest.Head("GET", "/", fields...)
	head.Conn = &api.ConnInfo{RemoteAddr: peer}
	var got seen
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		got = seen{r.RemoteAddr(), r.Scheme(), r.Host()}
		return nil
	}), f)
	if err := h.Serve(wharftest.NewRecorder(), api.NewRequest(t.Context(), head, nil)); err != nil {
		if err := checkRefusal(err, true); err != nil {
			t.Fatal(err)
		}
		return refused
	}
	return got
}

// FuzzForwarded feeds the filter any Forwarded and X-Forwarded field
// values (seeded from TestForwarded's cases). It must not panic; what it
// passes on, if it does not refuse the request, must be an "ip:port", a scheme the package allows and a host
// a Host field may hold; nothing a client writes may hide the entry a
// trusted proxy appends after it, or name another client than that
// entry's; and an untrusted peer's fields change nothing.
func FuzzForwarded(f *testing.F) {
	for _, tc := range cases {
		vals := map[string]string{}
		for i := 0; i < len(tc.fields); i += 2 {
			if _, ok := vals[tc.fields[i]]; !ok {
				vals[tc.fields[i]] = tc.fields[i+1]
			}
		}
		f.Add(vals["Forwarded"], vals["X-Forwarded-For"], vals["X-Forwarded-Proto"], vals["X-Forwarded-Host"])
	}
	both, err := forwarded.New(forwarded.Config{TrustedProxies: proxies})
	if err != nil {
		f.Fatal(err)
	}
	xonly, err := forwarded.New(forwarded.Config{TrustedProxies: proxies, Header: forwarded.HeaderXForwarded})
	if err != nil {
		f.Fatal(err)
	}
	const appended, want = "203.0.113.9", "203.0.113.9:0"
	f.Fuzz(func(t *testing.T, fwd, xff, xfp, xfh string) {
		all := []string{"Forwarded", fwd, "X-Forwarded-For", xff, "X-Forwarded-Proto", xfp, "X-Forwarded-Host", xfh}
		got := serveFields(t, both, proxyPeer, all...)
		if got == refused {
			got = unchanged // a malformed field: nothing passed on to check
		}
		if got.remote != proxyPeer {
			if _, err := netip.ParseAddrPort(got.remote); err != nil {
				t.Errorf("remote address %q: %v", got.remote, err)
			}
		}
		if got.scheme != "http" && got.scheme != "https" {
			t.Errorf("scheme %q", got.scheme)
		}
		if !httpguts.ValidHostHeader(got.host) {
			t.Errorf("host %q is no valid Host field", got.host)
		}
		if got := serveFields(t, both, "203.0.113.50:7000", all...); got != (seen{"203.0.113.50:7000", "http", origHost}) {
			t.Errorf("untrusted peer: the chain sees %+v", got)
		}
		if got := serveFields(t, both, proxyPeer, "Forwarded", fwd, "Forwarded", "for="+appended); got.remote != want {
			t.Errorf("Forwarded %q, then the proxy's line: client %q, want %q", fwd, got.remote, want)
		}
		if got := serveFields(t, both, proxyPeer, "Forwarded", fwd+", for="+appended); got.remote != want && got != refused {
			t.Errorf("Forwarded %q with the proxy's element appended: client %q, want %q or a refusal", fwd, got.remote, want)
		}
		if got := serveFields(t, xonly, proxyPeer, "X-Forwarded-For", xff+", "+appended, "Forwarded", fwd); got.remote != want {
			t.Errorf("X-Forwarded-For %q with the proxy's entry appended: client %q, want %q", xff, got.remote, want)
		}
	})
}
