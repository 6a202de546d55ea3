package dos

import "testing"

// A zero Burst is the Rate rounded up, at least 1, whatever its fraction.
func TestDefaultBurst(t *testing.T) {
	for _, tt := range []struct {
		rate  float64
		burst float64
	}{{0.5, 1}, {1, 1}, {1.5, 2}, {2, 2}, {2.0001, 3}, {100, 100}} {
		f, err := New(Config{Rate: tt.rate})
		if err != nil {
			t.Fatal(err)
		}
		if f.burst != tt.burst {
			t.Errorf("Rate %v: burst %v, want %v", tt.rate, f.burst, tt.burst)
		}
	}
}
