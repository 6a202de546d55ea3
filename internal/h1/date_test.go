package h1

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestDateCache(t *testing.T) {
	base := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var c DateCache
	tests := []struct {
		name string
		now  time.Time
		same bool // the text of the step before is reused
	}{
		{"first", base, false},
		{"later in the second", base.Add(999 * time.Millisecond), true},
		{"next second", base.Add(time.Second), false},
		{"in another zone", base.Add(time.Second + 10*time.Millisecond).In(time.FixedZone("X", 3600)), true},
		{"back a second (the clock was set)", base, false},
		{"a year on", base.AddDate(1, 0, 0), false},
	}
	var prev []byte
	for _, tt := range tests {
		want := tt.now.UTC().Format(http.TimeFormat)
		field, value := c.Field(tt.now), c.Value(tt.now)
		if string(field) != "Date: "+want+"\r\n" || value != want {
			t.Errorf("%s: Field %q, Value %q; want %q", tt.name, field, value, want)
		}
		if got := prev != nil && &field[0] == &prev[0]; got != tt.same {
			t.Errorf("%s: text reused %v, want %v", tt.name, got, tt.same)
		}
		prev = field
	}
}

// Goroutines crossing seconds at once each get their own second's date.
func TestDateCacheConcurrent(t *testing.T) {
	var c DateCache
	base := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				now := base.Add(time.Duration((i+g)%7) * time.Second)
				if got, want := c.Value(now), now.Format(http.TimeFormat); got != want {
					t.Errorf("Value(%v) = %q", now, got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestDateCacheAllocs(t *testing.T) {
	var c DateCache
	now := time.Now()
	c.Field(now)
	if n := testing.AllocsPerRun(100, func() { c.Field(now); c.Value(now) }); n != 0 {
		t.Errorf("%v allocations within a second, want 0", n)
	}
}
