package timerwheel

import "testing"

// levelFor works the level out from the delay's bit length; it must pick
// what looking level by level picks (the finest level whose turn spans
// the delay), at every boundary between levels, for a delay past the
// wheel's span (filed in the coarsest level's last slot), and for one
// not in the future.
func TestLevelFor(t *testing.T) {
	byLooking := func(delta int64) int {
		level := 0
		for delta >= slotCount<<(slotBits*level) {
			level++
		}
		return level
	}
	deltas := []int64{-5, 0, 1, span - 1, span, span + 12345}
	for l := 1; l < levels; l++ {
		edge := int64(slotCount) << (slotBits * (l - 1))
		deltas = append(deltas, edge-1, edge, edge+1)
	}
	for _, now := range []int64{0, 1, 63, 4096 + 17, 1 << 40} {
		w := &Wheel{now: now}
		for _, d := range deltas {
			level, idx := w.levelFor(now + d)
			at, dd := now+d, d
			if dd >= span {
				at, dd = now+span-1, span-1
			}
			wantLevel := byLooking(dd)
			wantIdx := int(at>>(slotBits*wantLevel)) & slotMask
			if level != wantLevel || idx != wantIdx {
				t.Errorf("now %d, delta %d: level %d, slot %d; want %d, %d", now, d, level, idx, wantLevel, wantIdx)
			}
		}
	}
}
