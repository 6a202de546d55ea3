package timerwheel_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/internal/timerwheel"
)

// modelTimer is a Firer whose firings a fuzz run checks against a plain
// list of deadlines.
type modelTimer struct {
	t     timerwheel.Timer
	id    int
	fired *[]modelFiring
}

type modelFiring struct {
	id  int
	gen uint32
}

func (m *modelTimer) Fire(gen uint32) { *m.fired = append(*m.fired, modelFiring{m.id, gen}) }

// fuzzDelay spreads a byte over every level and beyond: up to 2^31 ms in
// quarter milliseconds, and some not positive.
func fuzzDelay(b byte) time.Duration {
	if b < 8 {
		return -time.Duration(b) * time.Millisecond / 4
	}
	return time.Duration(int64(b&7+1)<<(b>>3)) * time.Millisecond / 4
}

// FuzzWheel runs a sequence of Schedule, Stop and AdvanceTo, driven by
// hand, against a plain list of deadlines: each timer fires once its tick
// (its deadline rounded up, and after the tick the Wheel was at) has come,
// never before, once, with the generation it was last scheduled with, and
// in the order of the ticks; Stop, Pending and Len say what the list says.
// The bubble's clock stands still, so the Wheel's time is what AdvanceTo
// gives it; deadlines are set from there, as a driver that keeps up does.
func FuzzWheel(f *testing.F) {
	f.Add([]byte{0, 0, 20, 0, 1, 200, 2, 0, 255, 3, 0, 90, 2, 0, 255})
	f.Add([]byte{0, 0, 250, 0, 1, 251, 0, 2, 252, 2, 0, 253, 2, 0, 254, 2, 0, 255})
	f.Add([]byte{0, 0, 9, 0, 1, 9, 0, 2, 200, 1, 2, 0, 2, 0, 64, 0, 3, 3, 2, 0, 8})
	f.Fuzz(func(t *testing.T, ops []byte) {
		synctest.Test(t, func(t *testing.T) {
			w := timerwheel.New(nil)
			start := time.Now() // the Wheel's origin, as its clock stands still
			var fired []modelFiring
			const n = 8
			timers := make([]*modelTimer, n)
			for i := range timers {
				timers[i] = &modelTimer{id: i, fired: &fired}
				timers[i].t.Init(timers[i])
			}
			var (
				now     int64 // the Wheel's tick: every timer due by it has fired
				clock   time.Duration
				due     [n]int64 // a pending timer's tick
				gen     [n]uint32
				pending [n]bool
				gens    uint32
			)
			for len(ops) >= 3 {
				op, id, arg := ops[0]%4, int(ops[1]%n), ops[2]
				ops = ops[3:]
				m := timers[id]
				switch op {
				case 0, 3: // Schedule, d after the Wheel's time
					d := clock + fuzzDelay(arg)
					gens++
					w.Schedule(&m.t, d, gens)
					tick := int64((max(d, 0) + timerwheel.Resolution - 1) / timerwheel.Resolution)
					due[id], gen[id], pending[id] = max(tick, now+1), gens, true
				case 1: // Stop
					if got := w.Stop(&m.t); got != pending[id] {
						t.Fatalf("Stop(timer %d) = %v, want %v", id, got, pending[id])
					}
					pending[id] = false
				case 2: // AdvanceTo a later time, an earlier one, or the edge of a deadline
					var next []int64 // the pending timers' ticks
					for i := range n {
						if pending[i] {
							next = append(next, due[i])
						}
					}
					switch {
					case arg&3 == 0 || len(next) == 0:
						clock += fuzzDelay(arg | 8)
					case arg&3 == 1:
						clock -= fuzzDelay(arg|8) / 8
					case arg&3 == 2: // the last instant before a timer's tick
						clock = time.Duration(next[int(arg>>2)%len(next)])*timerwheel.Resolution - 1
					default: // a timer's tick, to the nanosecond
						clock = time.Duration(next[int(arg>>2)%len(next)]) * timerwheel.Resolution
					}
					fired = fired[:0]
					got := w.AdvanceTo(start.Add(clock))
					target := int64(clock / timerwheel.Resolution)
					if got != len(fired) {
						t.Fatalf("AdvanceTo(%v) says %d fired, %d did", clock, got, len(fired))
					}
					var want int
					for i := range n {
						if pending[i] && due[i] <= target {
							want++
						}
					}
					if len(fired) != want {
						t.Fatalf("AdvanceTo(%v), tick %d: %d fired %v, want %d (due %v, pending %v)", clock, target, len(fired), fired, want, due, pending)
					}
					last := int64(0)
					for _, fr := range fired {
						switch {
						case !pending[fr.id]:
							t.Fatalf("AdvanceTo(%v): timer %d fired, not pending (or twice)", clock, fr.id)
						case due[fr.id] > target:
							t.Fatalf("AdvanceTo(%v), tick %d: timer %d due at %d fired early", clock, target, fr.id, due[fr.id])
						case fr.gen != gen[fr.id]:
							t.Fatalf("timer %d fired with generation %d, want %d", fr.id, fr.gen, gen[fr.id])
						case due[fr.id] < last:
							t.Fatalf("timer %d due at %d fired after one due at %d", fr.id, due[fr.id], last)
						}
						last = due[fr.id]
						pending[fr.id] = false
					}
					now = max(now, target)
				}
				live := 0
				for i := range n {
					if w.Pending(&timers[i].t) != pending[i] {
						t.Fatalf("Pending(timer %d) = %v, want %v", i, !pending[i], pending[i])
					}
					if pending[i] {
						live++
					}
				}
				if w.Len() != live {
					t.Fatalf("Len = %d, want %d", w.Len(), live)
				}
			}
		})
	})
}
