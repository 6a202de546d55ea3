package rate

import (
	"testing"
	"time"
)

func TestTimeout(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name     string
		r        Meter
		to       time.Duration
		wantD    time.Duration
		wantSlow bool
	}{
		{"no minimum keeps the per-wait timeout", Meter{}, 30 * s, 30 * s, false},
		{"no minimum and no timeout", Meter{}, 0, 0, false},
		{"grace before any byte", Meter{Min: 100, Grace: 5 * s}, 30 * s, 5 * s, true},
		{"grace partly used", Meter{Min: 100, Grace: 5 * s, Usage: Usage{waited: 2 * s}}, 30 * s, 3 * s, true},
		{"bytes earn waiting past the grace", Meter{Min: 100, Grace: 5 * s, Usage: Usage{n: 1000, waited: 4 * s}}, 30 * s, 6 * s, true},
		{"per-wait timeout first", Meter{Min: 100, Grace: 5 * s, Usage: Usage{n: 1 << 20}}, 30 * s, 30 * s, false},
		{"no per-wait timeout: the budget", Meter{Min: 100, Grace: 5 * s, Usage: Usage{n: 1000}}, 0, 10 * s, true},
		{"below the minimum already", Meter{Min: 100, Grace: 5 * s, Usage: Usage{n: 10, waited: 20 * s}}, 30 * s, time.Nanosecond, true},
		{"huge counts do not overflow", Meter{Min: 3, Grace: s, Usage: Usage{n: 1 << 62}}, 30 * s, 30 * s, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, slow := tt.r.Timeout(tt.to)
			if d != tt.wantD || slow != tt.wantSlow {
				t.Errorf("timeout(%v) = %v, %v; want %v, %v", tt.to, d, slow, tt.wantD, tt.wantSlow)
			}
		})
	}
}

// A peer that sends one byte per interval is cut off once its waiting
// outgrows what its bytes earn: at 240 B/s, a byte every 20 s lasts the
// grace period and no more.
func TestDribble(t *testing.T) {
	r := Meter{Min: 240, Grace: 5 * time.Second}
	for i := 0; ; i++ {
		d, slow := r.Timeout(30 * time.Second)
		if d < 20*time.Second {
			if !slow || i != 0 {
				t.Fatalf("cut after %d bytes (slow=%v), want at the first wait", i, slow)
			}
			return
		}
		r.Waited(20 * time.Second)
		r.Moved(1)
	}
}
