package websocket

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"
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

// A close frame's reason is cut to what a control frame holds (125 bytes
// with the code), on a character boundary.
func TestCloseFrameReason(t *testing.T) {
	tests := []struct {
		reason string
		want   int // payload length
	}{
		{"", 2},
		{"short", 7},
		{strings.Repeat("x", 123), 125},
		{strings.Repeat("x", 200), 125},
		{strings.Repeat("é", 100), 124}, // 2-byte characters: 61 fit
	}
	for _, tc := range tests {
		p := closeFrame(CloseNormal, tc.reason)
		if len(p) != tc.want || !utf8.Valid(p[2:]) {
			t.Errorf("reason of %d bytes: payload of %d bytes (valid UTF-8: %v), want %d", len(tc.reason), len(p), utf8.Valid(p[2:]), tc.want)
		}
	}
}
