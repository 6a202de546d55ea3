package dos_test

import (
	"errors"
	"testing"

	"github.com/wharf-go/wharf/filters/dos"
)

// New refuses a Config it cannot use with an error wrapping ErrConfig,
// which a caller tells apart with errors.Is, and takes the others.
func TestNewConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  dos.Config
		ok   bool
	}{
		{"zero", dos.Config{}, true},
		{"prefix lengths at the bounds", dos.Config{IPv6Prefix: 128}, true},
		{"no bound on delays and clients", dos.Config{MaxDelayed: -1, MaxClients: -1}, true},
		{"addresses and prefixes", dos.Config{AllowList: []string{"10.0.0.7", "::1", "10.0.0.0/8", "::ffff:10.0.0.0/104"}}, true},
		{"negative prefix length", dos.Config{IPv6Prefix: -1}, false},
		{"prefix length above 128", dos.Config{IPv6Prefix: 129}, false},
		{"not an address", dos.Config{AllowList: []string{"10.0.0.0/8", "not-an-ip"}}, false},
		{"bad prefix", dos.Config{AllowList: []string{"10.0.0.0/33"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := dos.New(tc.cfg)
			if tc.ok != (err == nil) || tc.ok != (f != nil) {
				t.Fatalf("New = %v, %v; want ok %v", f, err, tc.ok)
			}
			if err != nil && !errors.Is(err, dos.ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}
