package dos_test

import (
	"testing"
	"testing/synctest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/dos"
)

// A link-local IPv6 client's address comes with its zone ("fe80::1%eth0");
// an allow-list entry matches it all the same, as it matches the address.
func TestAllowListMatchesZonedClients(t *testing.T) {
	tests := []struct {
		allow  string
		remote string
	}{
		{"fe80::/10", "[fe80::1%eth0]:5"},
		{"fe80::1", "[fe80::1%eth0]:5"},
		{"fe80::1", "[fe80::1%2]:5"},
	}
	for _, tt := range tests {
		t.Run(tt.allow+" "+tt.remote, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFilter(t, dos.Config{Rate: 1, Burst: 1, Delay: -1, AllowList: []string{tt.allow}})
				h := api.Compose(ok, f)
				for i := range 3 {
					if x := request(h, tt.remote); x.Out.Status() != 200 {
						t.Fatalf("request %d from an allow-listed client: %d", i, x.Out.Status())
					}
				}
			})
		})
	}
}
