package forwarded_test

import (
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/forwarded"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestUnixPeerForms: TrustUnixPeers believes a connection whose
// addresses are a Unix socket's, as the connectors and net/http's server
// write them (the local one the socket's name, the peer's a name or
// none), and no other connection whose peer has no IP address: not an
// empty, garbled or made-up RemoteAddr, whatever its LocalAddr.
func TestUnixPeerForms(t *testing.T) {
	tests := []struct {
		name          string
		remote, local string
		trusted       bool
	}{
		{"unnamed peer, Linux", "@", "/run/wharf.sock", true},
		{"unnamed peer, elsewhere", "", "/run/wharf.sock", true},
		{"bound peer", "/run/proxy.sock", "/run/wharf.sock", true},
		{"abstract socket", "@", "@wharf", true},
		{"abstract socket, bound peer", "@proxy", "@wharf", true},
		{"unnamed socket pair", "@", "@", true},

		{"empty addresses", "", "", false},
		{"empty peer on an IP address", "", ipLocal, false},
		{"unnamed peer's form on an IP address", "@", ipLocal, false},
		{"path peer on an IP address", "/run/proxy.sock", ipLocal, false},
		{"no local address", "@", "", false},
		{"garbled peer", "garbage", "/run/wharf.sock", false},
		{"host name peer", "proxy.internal:5000", "/run/wharf.sock", false},
		{"zero AddrPort's text", "invalid AddrPort", ipLocal, false},
		{"in-memory pipe", "pipe", "pipe", false},
		{"relative socket path", "@", "wharf.sock", false},
		{"relative peer path", "proxy.sock", "/run/wharf.sock", false},
		{"untrusted IP peer on a socket's name", "203.0.113.50:7000", "/run/wharf.sock", false},
		{"zoned IP peer", "[fe80::1%eth0]:7000", "/run/wharf.sock", false},
		// A peer on a Unix socket is the name it bound, which a local
		// process may make a trusted proxy's address: a file named
		// "10.0.0.1:5000" in its working directory.
		{"trusted IP's form on a socket's name", "10.0.0.1:5000", "/run/wharf.sock", false},
		{"trusted IP's form on an abstract socket", "10.0.0.1:5000", "@wharf", false},
		{"trusted IP's form on a relative socket path", "10.0.0.1:5000", "wharf.sock", false},
	}
	for _, trust := range []bool{false, true} {
		f, err := forwarded.New(forwarded.Config{TrustedProxies: proxies, TrustUnixPeers: trust})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range tests {
			head := wharftest.Head("GET", "/", "X-Forwarded-For", "192.0.2.1")
			head.Conn = &api.ConnInfo{RemoteAddr: tc.remote, LocalAddr: tc.local}
			var remote string
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				remote = r.RemoteAddr()
				return nil
			}), f)
			if err := h.Serve(wharftest.NewRecorder(), api.NewRequest(t.Context(), head, nil)); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got, want := remote == "192.0.2.1:0", trust && tc.trusted; got != want {
				t.Errorf("TrustUnixPeers %v, %s (RemoteAddr %q, LocalAddr %q): believed %v, want %v", trust, tc.name, tc.remote, tc.local, got, want)
			}
		}
	}
}
