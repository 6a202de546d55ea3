package rate

import (
	"testing"
	"time"
)

// A Bucket lets burst events through at once, then perSecond, keeping
// the fraction of a token between takes; a quiet spell refills it whole,
// and Give puts one back.
func TestBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	type step struct {
		at   time.Duration // since t0
		give bool          // Give rather than Take
		n    int           // takes (or gives) at that time
		ok   int           // of which Take reports true
	}
	for _, tt := range []struct {
		name  string
		steps []step
	}{
		{"the burst, then refused", []step{{0, false, 5, 4}}},
		{"one back every quarter second", []step{{0, false, 4, 4}, {250 * time.Millisecond, false, 2, 1}, {500 * time.Millisecond, false, 2, 1}}},
		{"the fraction kept", []step{{0, false, 4, 4}, {150 * time.Millisecond, false, 1, 0}, {300 * time.Millisecond, false, 2, 1}, {500 * time.Millisecond, false, 1, 1}}},
		{"a quiet spell refills it whole", []step{{0, false, 4, 4}, {time.Hour, false, 5, 4}}},
		{"refilled from the first take after it was full", []step{{0, false, 1, 1}, {10 * time.Second, false, 4, 4}, {10 * time.Second, false, 1, 0}}},
		{"Give puts one back", []step{{0, false, 4, 4}, {0, true, 2, 0}, {0, false, 3, 2}}},
		{"Give on a full bucket adds nothing", []step{{0, true, 3, 0}, {0, false, 5, 4}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b Bucket
			for i, s := range tt.steps {
				ok := 0
				for range s.n {
					if s.give {
						b.Give()
					} else if b.Take(t0.Add(s.at), 4, 4) {
						ok++
					}
				}
				if ok != s.ok {
					t.Fatalf("step %d (%v): %d taken, want %d", i, s.at, ok, s.ok)
				}
			}
		})
	}
}

// Taking a token allocates nothing: it is on a connection's frame path.
func TestBucketAllocs(t *testing.T) {
	var b Bucket
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() { b.Take(now, 10, 10); b.Give() }); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}
