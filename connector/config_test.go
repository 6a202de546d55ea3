package connector_test

import (
	"math"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
)

// Limits gives every timeout that is none as NoTimeout, whatever negative
// value or overlong one said so, and a negative DataRateGrace as no
// minimum data rate: a protocol adds a timeout to the time as it is, and
// a negative one put its deadlines in the past (container's
// TestNegativeTimeoutsMeanNone checks what each protocol then does).
func TestLimitsTimeouts(t *testing.T) {
	timeouts := []struct {
		name string
		set  func(c *connector.Config, d time.Duration)
		get  func(l connector.Limits) time.Duration
		def  time.Duration
	}{
		{"ReadHeaderTimeout", func(c *connector.Config, d time.Duration) { c.ReadHeaderTimeout = d }, func(l connector.Limits) time.Duration { return l.ReadHeaderTimeout }, connector.DefaultReadHeaderTimeout},
		{"ReadTimeout", func(c *connector.Config, d time.Duration) { c.ReadTimeout = d }, func(l connector.Limits) time.Duration { return l.ReadTimeout }, connector.DefaultReadTimeout},
		{"WriteTimeout", func(c *connector.Config, d time.Duration) { c.WriteTimeout = d }, func(l connector.Limits) time.Duration { return l.WriteTimeout }, connector.DefaultWriteTimeout},
		{"IdleTimeout", func(c *connector.Config, d time.Duration) { c.IdleTimeout = d }, func(l connector.Limits) time.Duration { return l.IdleTimeout }, connector.DefaultIdleTimeout},
		{"DiscardTimeout", func(c *connector.Config, d time.Duration) { c.DiscardTimeout = d }, func(l connector.Limits) time.Duration { return l.DiscardTimeout }, connector.DefaultDiscardTimeout},
		{"DataRateGrace", func(c *connector.Config, d time.Duration) { c.DataRateGrace = d }, func(l connector.Limits) time.Duration { return l.DataRateGrace }, connector.DefaultDataRateGrace},
	}
	for _, tt := range timeouts {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				set, want time.Duration
			}{
				{0, tt.def},
				{time.Second, time.Second},
				{-1, connector.NoTimeout},
				{-time.Second, connector.NoTimeout},
				{math.MinInt64, connector.NoTimeout},
				{connector.NoTimeout + 1, connector.NoTimeout},
				{math.MaxInt64, connector.NoTimeout},
			} {
				var cfg connector.Config
				tt.set(&cfg, c.set)
				if got := tt.get(cfg.Limits()); got != c.want {
					t.Errorf("%v: %v, want %v", c.set, got, c.want)
				}
			}
		})
	}
	t.Run("ReadBodyTimeout", func(t *testing.T) {
		for _, c := range []struct{ set, want time.Duration }{
			{0, 0}, {-1, 0}, {time.Second, time.Second}, {math.MaxInt64, connector.NoTimeout},
		} {
			if got := (&connector.Config{ReadBodyTimeout: c.set}).Limits().ReadBodyTimeout; got != c.want {
				t.Errorf("%v: %v, want %v (0: none)", c.set, got, c.want)
			}
		}
	})
	t.Run("DataRateGrace none turns the rates off", func(t *testing.T) {
		l := (&connector.Config{DataRateGrace: -1, MinRequestDataRate: 1000, MinResponseDataRate: 1000}).Limits()
		if l.MinRequestDataRate != 0 || l.MinResponseDataRate != 0 {
			t.Errorf("rates %d and %d B/s, want none (0)", l.MinRequestDataRate, l.MinResponseDataRate)
		}
	})
	// Every protocol adds a timeout to the clock, and some double it
	// (quic-go's handshake bound) or take it as nanoseconds since 1970
	// (HTTP/2's end of a connection): none of that overflows NoTimeout.
	t.Run("NoTimeout does not overflow", func(t *testing.T) {
		if d := connector.NoTimeout; 2*d < d {
			t.Error("twice NoTimeout overflows")
		}
		if by := time.Now().Add(connector.NoTimeout); by.UnixNano() < time.Now().UnixNano() {
			t.Errorf("now plus NoTimeout in nanoseconds since 1970 overflows: %v", by)
		}
	})
}
