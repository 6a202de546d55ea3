package forwarded_test

import (
	"crypto/tls"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/forwarded"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// TestDefaultPortLeftOut: a Host the forwarding fields give, or whose
// port they give, leaves out the default port of the scheme the request
// ends up with (the fields' or, if they say none, the connection's), as
// browsers and net/http's client write Host; another port stays, and a
// Host the fields say nothing of is the request's as it came.
func TestDefaultPortLeftOut(t *testing.T) {
	tests := []struct {
		name   string
		tls    bool   // the connection's own scheme is https
		host   string // the request's Host
		fields []string
		want   string // the Host the chain sees
	}{
		{"xfport 443 over https", false, "example.com", []string{"X-Forwarded-Proto", "https", "X-Forwarded-Port", "443"}, "example.com"},
		{"xfport 443 replacing a port", false, "example.com:8080", []string{"X-Forwarded-Proto", "https", "X-Forwarded-Port", "443"}, "example.com"},
		{"xfport 443 over http", false, "example.com", []string{"X-Forwarded-Proto", "http", "X-Forwarded-Port", "443"}, "example.com:443"},
		{"xfport 80 over http", false, "example.com:8080", []string{"X-Forwarded-Port", "80"}, "example.com"},
		{"xfport 80 over https", false, "example.com", []string{"X-Forwarded-Proto", "https", "X-Forwarded-Port", "80"}, "example.com:80"},
		{"xfport 443 over the connection's TLS", true, "example.com", []string{"X-Forwarded-Port", "443"}, "example.com"},
		{"xfport 443 over TLS the proxy says was http", true, "example.com", []string{"X-Forwarded-Proto", "http", "X-Forwarded-Port", "443"}, "example.com:443"},
		{"xfport 8443 over https", false, "example.com", []string{"X-Forwarded-Proto", "https", "X-Forwarded-Port", "8443"}, "example.com:8443"},
		{"xfh with 443 over https", false, "example.com", []string{"X-Forwarded-Proto", "HTTPS", "X-Forwarded-Host", "shop.example:443"}, "shop.example"},
		{"xfh ipv6 with 443 over https", false, "example.com", []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "[2001:db8::2]:443"}, "[2001:db8::2]"},
		{"xfh with 0443 over https", false, "example.com", []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "shop.example:0443"}, "shop.example"},
		{"xfh with an empty port", false, "example.com", []string{"X-Forwarded-Host", "shop.example:"}, "shop.example"},
		{"xfh with 443 over http", false, "example.com", []string{"X-Forwarded-Host", "shop.example:443"}, "shop.example:443"},
		{"forwarded host with 443 over https", false, "example.com", []string{"Forwarded", `host="example.com:443";proto=https`}, "example.com"},
		{"forwarded host with 80 over http", false, "example.com", []string{"Forwarded", `for=192.0.2.60;host="shop.example:80"`}, "shop.example"},
		{"forwarded host with 80 over https", false, "example.com", []string{"Forwarded", `host="shop.example:80";proto=https`}, "shop.example:80"},
		{"request's own Host kept", false, "example.com:443", []string{"X-Forwarded-Proto", "https"}, "example.com:443"},
	}
	f, err := forwarded.New(forwarded.Config{TrustedProxies: proxies})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			head := wharftest.Head("GET", "/", tc.fields...)
			head.Host = tc.host
			head.Conn = &api.ConnInfo{RemoteAddr: proxyPeer, LocalAddr: ipLocal}
			if tc.tls {
				head.Conn.TLS = &tls.ConnectionState{Version: tls.VersionTLS13}
			}
			var got string
			h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				got = r.Host()
				return nil
			}), f)
			if err := h.Serve(wharftest.NewRecorder(), api.NewRequest(t.Context(), head, nil)); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Host %q, want %q", got, tc.want)
			}
		})
	}
}
