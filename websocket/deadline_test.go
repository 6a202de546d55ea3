package websocket

import (
	"testing"
	"testing/synctest"
	"time"
)

// A deadline moves only when less than half of its duration is left.
func TestRefreshDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const d = 10 * time.Second
		var set []time.Time
		record := func(at time.Time) error { set = append(set, at); return nil }
		now := time.Now()
		cur := refreshDeadline(record, time.Time{}, d) // none yet: set
		if cur != now.Add(d) || len(set) != 1 {
			t.Fatalf("first: %v, %d sets", cur.Sub(now), len(set))
		}
		time.Sleep(4 * time.Second) // 6 s left: kept
		if got := refreshDeadline(record, cur, d); got != cur || len(set) != 1 {
			t.Fatalf("with 6 s left: moved to +%v", got.Sub(now))
		}
		time.Sleep(2 * time.Second) // 4 s left: moved
		if got := refreshDeadline(record, cur, d); got != time.Now().Add(d) || len(set) != 2 {
			t.Fatalf("with 4 s left: %v, %d sets", got.Sub(now), len(set))
		}
	})
}
