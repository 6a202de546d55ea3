package dos_test

import (
	"net"
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/dos"
	"github.com/wharf-go/wharf/filters/forwarded"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// An IPv6 client is keyed by its /64 by default: within it a client picks
// any address it likes, and each address would otherwise have a bucket of
// its own. IPv6Prefix changes the length, 128 keeping whole addresses;
// IPv4 clients and link-local ones are keyed by their address.
func TestIPv6ClientsKeyedByPrefix(t *testing.T) {
	tests := []struct {
		name       string
		prefix     int
		first, sec string // remote addresses of two requests
		shared     bool   // whether they take from one bucket
	}{
		{"same /64", 0, "[2001:db8:1:2::1]:1000", "[2001:db8:1:2:ffff::9]:1000", true},
		{"same /64, written long", 0, "[2001:db8:1:2::1]:1000", "[2001:0db8:0001:0002:0:0:0:2]:2000", true},
		{"another /64", 0, "[2001:db8:1:2::1]:1000", "[2001:db8:1:3::1]:1000", false},
		{"same /56, /64 default", 0, "[2001:db8:1:200::1]:1000", "[2001:db8:1:2ff::1]:1000", false},
		{"same /56, IPv6Prefix 56", 56, "[2001:db8:1:200::1]:1000", "[2001:db8:1:2ff::1]:1000", true},
		{"same /64, IPv6Prefix 128", 128, "[2001:db8:1:2::1]:1000", "[2001:db8:1:2::2]:1000", false},
		{"same address, IPv6Prefix 128", 128, "[2001:db8:1:2::1]:1000", "[2001:db8:1:2::1]:2000", true},
		{"IPv4 neighbours", 0, "192.0.2.1:1000", "192.0.2.2:1000", false},
		{"IPv4 and its mapped form", 0, "192.0.2.1:1000", "[::ffff:192.0.2.1]:1000", true},
		{"link-local hosts on one link", 0, "[fe80::1%eth0]:1000", "[fe80::2%eth0]:1000", false},
		{"link-local address on two links", 0, "[fe80::1%eth0]:1000", "[fe80::1%eth1]:1000", false},
		{"link-local host", 0, "[fe80::1%eth0]:1000", "[fe80::1%eth0]:2000", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFilter(t, dos.Config{Rate: 1, Burst: 1, Delay: -1, IPv6Prefix: tt.prefix})
				h := api.Compose(ok, f)
				if x := request(h, tt.first); x.Out.Status() != 200 {
					t.Fatalf("first request: %d", x.Out.Status())
				}
				want := 200
				if tt.shared {
					want = http.StatusTooManyRequests
				}
				if x := request(h, tt.sec); x.Out.Status() != want {
					t.Errorf("%s after %s: %d, want %d", tt.sec, tt.first, x.Out.Status(), want)
				}
			})
		})
	}
}

func TestIPv6PrefixOutOfRange(t *testing.T) {
	for _, n := range []int{-1, 129} {
		if _, err := dos.New(dos.Config{IPv6Prefix: n}); err == nil {
			t.Errorf("IPv6Prefix %d was accepted", n)
		}
	}
}

// Over real sockets on [::1]: the address the connection reports, and the
// one a trusted proxy reports for its client (filters/forwarded), is keyed
// by its /64.
func TestIPv6PrefixOverLoopback(t *testing.T) {
	for _, tt := range []struct {
		name   string
		prefix int
		shared bool // whether two clients of one /64 behind the proxy share a bucket
	}{
		{"default", 0, true},
		{"IPv6Prefix 128", 128, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := net.Listen("tcp6", "[::1]:0")
			if err != nil {
				t.Skipf("no IPv6 loopback: %v", err)
			}
			fwd, err := forwarded.New(forwarded.Config{TrustedProxies: []string{"::1"}})
			if err != nil {
				t.Fatal(err)
			}
			f := newFilter(t, dos.Config{Rate: 0.001, Burst: 1, Delay: -1, IPv6Prefix: tt.prefix})
			c := container.New(container.WithLogger(wharftest.DiscardLogger()))
			c.Filter("/*", fwd)
			c.Filter("/*", f)
			c.HandleFunc("/", func(w api.Response, r *api.Request) error {
				_, err := w.WriteString("ok")
				return err
			})
			addr := wharftest.ListenOn(t, c, l)
			get := func(forwardedFor string) int {
				t.Helper()
				req, err := http.NewRequest("GET", "http://"+addr+"/", nil)
				if err != nil {
					t.Fatal(err)
				}
				if forwardedFor != "" {
					req.Header.Set("X-Forwarded-For", forwardedFor)
				}
				// A connection of its own each: another source port.
				tr := &http.Transport{DisableKeepAlives: true}
				defer tr.CloseIdleConnections()
				resp, err := (&http.Client{Transport: tr}).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if s := get("2001:db8:1:2::a"); s != 200 {
				t.Fatalf("first client behind the proxy: %d", s)
			}
			want := 200
			if tt.shared {
				want = http.StatusTooManyRequests
			}
			if s := get("2001:db8:1:2::b"); s != want {
				t.Errorf("another address of its /64: %d, want %d", s, want)
			}
			if s := get(""); s != 200 {
				t.Fatalf("the proxy itself, [::1]: %d", s)
			}
			if s := get(""); s != http.StatusTooManyRequests {
				t.Errorf("the proxy again, on another connection: %d, want 429", s)
			}
		})
	}
}
