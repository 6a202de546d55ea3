package dos_test

import (
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/dos"
)

// The table of buckets is bounded: an attacker rotating keys (the /64s
// of a larger prefix, Key values it writes itself) fills it to MaxClients
// and no further. Past it the new clients share one bucket, and no
// bucket that is not full is forgotten to make room, so the rotation
// never hands the attacker's own drained bucket fresh tokens. Once the
// table's buckets are full again they are forgotten and new clients get
// buckets of their own.
func TestMaxClients(t *testing.T) {
	byHeader := func(r *api.Request) string { return r.Header().Get("X-Api-Key") }
	tests := []struct {
		name   string
		key    func(*api.Request) string
		remote func(i int) string // the i-th rotated client's address
		header func(i int) string // its X-Api-Key
	}{
		{"IPv6 /64s of one /48", nil,
			func(i int) string { return fmt.Sprintf("[2001:db8:1:%x::1]:1000", i+1) }, func(int) string { return "" }},
		{"IPv4 addresses", nil,
			func(i int) string { return fmt.Sprintf("198.51.100.%d:1000", i+1) }, func(int) string { return "" }},
		{"keys the client writes", byHeader,
			func(int) string { return "192.0.2.9:1000" }, func(i int) string { return fmt.Sprint("rotated-", i) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFilter(t, dos.Config{Rate: 0.01, Burst: 1, Delay: -1, MaxClients: 3, Key: tt.key})
				h := api.Compose(ok, f)
				attacker := func() int { return request(h, "[2001:db8:ffff::1]:1", "X-Api-Key", "attacker").Out.Status() }
				if s := attacker(); s != 200 {
					t.Fatalf("the attacker's first request: %d", s)
				}
				statuses := make([]int, 0, 20)
				for i := range 20 {
					statuses = append(statuses, request(h, tt.remote(i), "X-Api-Key", tt.header(i)).Out.Status())
					time.Sleep(10 * time.Millisecond)
				}
				if n := f.Stats().Clients; n != 3 {
					t.Errorf("%d clients remembered after 21 came, want MaxClients (3)", n)
				}
				// Two rotated clients got buckets of their own, the third the
				// shared one's token; the others are refused.
				for i, s := range statuses {
					if want := map[bool]int{true: 200, false: http.StatusTooManyRequests}[i < 3]; s != want {
						t.Errorf("rotated client %d: %d, want %d", i, s, want)
					}
				}
				if s := attacker(); s != http.StatusTooManyRequests {
					t.Errorf("the attacker after its rotation: %d, want 429 (its bucket kept)", s)
				}
				// Once the buckets are full again, a new client gets its own.
				time.Sleep(100 * time.Second)
				if s := request(h, "192.0.2.200:1", "X-Api-Key", "late").Out.Status(); s != 200 {
					t.Errorf("a new client once the table's buckets are full again: %d", s)
				}
				if n := f.Stats().Clients; n != 1 {
					t.Errorf("%d clients remembered after the quiet, want 1", n)
				}
			})
		})
	}
}
