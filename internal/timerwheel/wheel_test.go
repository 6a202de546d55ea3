package timerwheel_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/wharf-go/wharf/internal/timerwheel"
)

// probe is a timed thing: it records when it fired and with what.
type probe struct {
	t     timerwheel.Timer
	id    int
	due   time.Time
	log   *firings
	fired int
}

type firings struct {
	mu  sync.Mutex
	ids []int
	at  []time.Time
	gen []uint32
}

func (p *probe) Fire(gen uint32) {
	p.fired++
	p.log.mu.Lock()
	p.log.ids = append(p.log.ids, p.id)
	p.log.at = append(p.log.at, time.Now())
	p.log.gen = append(p.log.gen, gen)
	p.log.mu.Unlock()
}

// schedule files p in w to fire gen after d, and notes its deadline.
func (p *probe) schedule(w *timerwheel.Wheel, d time.Duration, gen uint32) {
	p.due = time.Now().Add(d)
	w.Schedule(&p.t, d, gen)
}

func newProbes(n int, log *firings) []*probe {
	ps := make([]*probe, n)
	for i := range ps {
		ps[i] = &probe{id: i, log: log}
		ps[i].t.Init(ps[i])
	}
	return ps
}

// checkOnTime fails unless every probe fired once, within a tick after its
// deadline, in the order of the deadlines' ticks (scheduling order within
// one).
func checkOnTime(t *testing.T, ps []*probe, log *firings) {
	t.Helper()
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.ids) != len(ps) {
		t.Fatalf("%d firings, want %d", len(log.ids), len(ps))
	}
	for i, id := range log.ids {
		p := ps[id]
		if p.fired != 1 {
			t.Fatalf("timer %d fired %d times", id, p.fired)
		}
		late := log.at[i].Sub(p.due)
		if late < 0 || late >= timerwheel.Resolution {
			t.Fatalf("timer %d fired %v after its deadline, want [0, %v)", id, late, timerwheel.Resolution)
		}
		if i > 0 {
			prev := ps[log.ids[i-1]]
			tick := func(p *probe) time.Time { return p.due.Add(timerwheel.Resolution - 1).Truncate(timerwheel.Resolution) }
			if tick(prev).After(tick(p)) {
				t.Fatalf("timer %d (due %v) fired after timer %d (due %v)", id, p.due, prev.id, prev.due)
			}
		}
	}
}

// Timers fire in the order of their deadlines, each within a tick after
// it, from a microsecond to beyond the last level's reach, whatever order
// they were scheduled in.
func TestExpiryOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		max  time.Duration
	}{
		{"finest level", 200, 60 * time.Millisecond},
		{"second level", 500, 4 * time.Second},
		{"third level", 500, 4 * time.Minute},
		{"last level", 500, 4 * time.Hour},
		{"beyond the wheel", 200, 30 * time.Hour},
		{"same tick", 100, time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := timerwheel.NewRuntime()
				log := &firings{}
				ps := newProbes(tc.n, log)
				rnd := rand.New(rand.NewPCG(uint64(tc.n), 7))
				// Start off the tick, so that deadlines fall between ticks.
				time.Sleep(300 * time.Microsecond)
				for _, p := range ps {
					d := time.Duration(rnd.Int64N(int64(tc.max))) + 1
					p.schedule(w, d, uint32(p.id))
				}
				if w.Len() != tc.n {
					t.Fatalf("Len %d, want %d", w.Len(), tc.n)
				}
				time.Sleep(tc.max + time.Second)
				synctest.Wait()
				checkOnTime(t, ps, log)
				if w.Len() != 0 {
					t.Fatalf("Len %d after every timer fired", w.Len())
				}
				for i, id := range log.ids {
					if log.gen[i] != uint32(id) {
						t.Fatalf("timer %d fired with generation %d", id, log.gen[i])
					}
				}
			})
		})
	}
}

// A stopped timer never fires; Stop reports whether it was pending.
func TestStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := timerwheel.NewRuntime()
		log := &firings{}
		ps := newProbes(1000, log)
		for i, p := range ps {
			d := time.Duration(i+1) * 7 * time.Millisecond
			p.schedule(w, d, 0)
		}
		var kept []*probe
		for i, p := range ps {
			if i%2 == 0 {
				if !w.Stop(&p.t) {
					t.Fatalf("Stop of pending timer %d reported false", i)
				}
				if w.Pending(&p.t) {
					t.Fatalf("timer %d still pending after Stop", i)
				}
				if w.Stop(&p.t) {
					t.Fatalf("second Stop of timer %d reported true", i)
				}
				continue
			}
			kept = append(kept, p)
		}
		time.Sleep(8 * time.Second)
		synctest.Wait()
		for i, p := range ps {
			if want := i % 2; p.fired != want {
				t.Fatalf("timer %d fired %d times, want %d", i, p.fired, want)
			}
		}
		if w.Stop(&kept[0].t) {
			t.Fatal("Stop of a fired timer reported true")
		}
	})
}

// Scheduling a pending timer again moves it: it fires once, at the new
// deadline, with the new generation.
func TestReschedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := timerwheel.NewRuntime()
		log := &firings{}
		ps := newProbes(3, log)
		w.Schedule(&ps[0].t, 10*time.Second, 1)
		w.Schedule(&ps[0].t, 5*time.Millisecond, 2) // sooner
		w.Schedule(&ps[1].t, 5*time.Millisecond, 1)
		w.Schedule(&ps[1].t, 3*time.Hour, 2) // later, on another level
		w.Schedule(&ps[2].t, 100*time.Millisecond, 1)
		start := time.Now()
		time.Sleep(50 * time.Millisecond)
		w.Schedule(&ps[2].t, 100*time.Millisecond, 2) // pushed back, as an idle timer is
		time.Sleep(4 * time.Hour)
		synctest.Wait()
		want := []struct {
			id  int
			at  time.Duration
			gen uint32
		}{{0, 5 * time.Millisecond, 2}, {2, 150 * time.Millisecond, 2}, {1, 3 * time.Hour, 2}}
		if len(log.ids) != len(want) {
			t.Fatalf("fired %v, want %v", log.ids, want)
		}
		for i, f := range want {
			if log.ids[i] != f.id || log.at[i].Sub(start) != f.at || log.gen[i] != f.gen {
				t.Fatalf("firing %d: timer %d after %v with %d; want timer %d after %v with %d",
					i, log.ids[i], log.at[i].Sub(start), log.gen[i], f.id, f.at, f.gen)
			}
		}
	})
}

// rearmer schedules itself again from Fire, as a heartbeat does.
type rearmer struct {
	t     timerwheel.Timer
	w     *timerwheel.Wheel
	every time.Duration
	times []time.Time
	left  int
}

func (r *rearmer) Fire(uint32) {
	r.times = append(r.times, time.Now())
	if r.left--; r.left > 0 {
		r.w.Schedule(&r.t, r.every, 0)
	}
}

// A Firer may schedule its timer again; a periodic timer keeps its period.
func TestFirerReschedules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := timerwheel.NewRuntime()
		r := &rearmer{w: w, every: 15 * time.Second, left: 10}
		r.t.Init(r)
		start := time.Now()
		w.Schedule(&r.t, r.every, 0)
		time.Sleep(time.Hour)
		synctest.Wait()
		if len(r.times) != 10 {
			t.Fatalf("fired %d times, want 10", len(r.times))
		}
		for i, at := range r.times {
			if want := time.Duration(i+1) * r.every; at.Sub(start) != want {
				t.Fatalf("firing %d after %v, want %v", i, at.Sub(start), want)
			}
		}
	})
}

// Many timers, scheduled, moved and stopped at random while the wheel
// runs, fire exactly as a plain list of deadlines says they should.
func TestManyTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := timerwheel.NewRuntime()
		log := &firings{}
		ps := newProbes(20000, log)
		rnd := rand.New(rand.NewPCG(3, 4))
		live := map[int]bool{}
		for round := range 50 {
			for range 1000 {
				p := ps[rnd.IntN(len(ps))]
				if live[p.id] && rnd.IntN(4) == 0 {
					if !w.Stop(&p.t) {
						t.Fatalf("round %d: Stop of pending timer %d reported false", round, p.id)
					}
					delete(live, p.id)
					continue
				}
				// Spread over every level: up to 2^k ms, k up to 24.
				d := time.Duration(rnd.Int64N(1<<rnd.IntN(25))+1) * time.Millisecond / 2
				p.schedule(w, d, uint32(round))
				live[p.id] = true
			}
			time.Sleep(time.Duration(rnd.IntN(5000)) * time.Millisecond)
			synctest.Wait()
			log.mu.Lock()
			for i, id := range log.ids {
				p := ps[id]
				if !live[id] {
					t.Fatalf("round %d: timer %d fired, not pending", round, id)
				}
				if late := log.at[i].Sub(p.due); late < 0 || late >= timerwheel.Resolution {
					t.Fatalf("round %d: timer %d fired %v after its deadline", round, id, late)
				}
				delete(live, id)
			}
			log.ids, log.at, log.gen = log.ids[:0], log.at[:0], log.gen[:0]
			log.mu.Unlock()
			for id := range live {
				if !w.Pending(&ps[id].t) {
					t.Fatalf("round %d: timer %d neither fired nor pending", round, id)
				}
			}
			if w.Len() != len(live) {
				t.Fatalf("round %d: Len %d, want %d", round, w.Len(), len(live))
			}
		}
		time.Sleep(10 * time.Hour)
		synctest.Wait()
		if log.mu.Lock(); len(log.ids) != len(live) {
			t.Fatalf("%d fired at the end, %d were pending", len(log.ids), len(live))
		}
		log.mu.Unlock()
	})
}

// A Wheel handed from its driver to the runtime (a selector that stops)
// keeps its timers: they fire on time under the new driver.
func TestDriveHandsOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var arms []time.Duration
		w := timerwheel.New(func(d time.Duration) { arms = append(arms, d) })
		log := &firings{}
		ps := newProbes(100, log)
		for i, p := range ps {
			d := time.Duration(i+1) * 100 * time.Millisecond
			p.schedule(w, d, 0)
		}
		if len(arms) != 1 || arms[0] > 100*time.Millisecond {
			t.Fatalf("driver asked for %v, want one wake-up by 100ms", arms)
		}
		// The driver serves ten deadlines, waking when asked, then stops.
		for wakes := 0; len(log.ids) < 10; wakes++ {
			if wakes > 100 {
				t.Fatalf("100 wake-ups fired %d timers", len(log.ids))
			}
			time.Sleep(arms[len(arms)-1])
			w.Advance()
		}
		if got := len(log.ids); got != 10 {
			t.Fatalf("%d fired under the first driver, want 10", got)
		}
		w.Drive(nil)
		time.Sleep(time.Minute)
		synctest.Wait()
		checkOnTime(t, ps, log)
	})
}

// An Advance before anything is due fires nothing and asks the driver
// again; a driver that wakes late fires everything due, in order.
func TestAdvanceLateAndEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var arms []time.Duration
		w := timerwheel.New(func(d time.Duration) { arms = append(arms, d) })
		log := &firings{}
		ps := newProbes(50, log)
		for i, p := range ps {
			d := time.Duration(50-i) * time.Second
			p.schedule(w, d, 0)
		}
		if n := w.Advance(); n != 0 {
			t.Fatalf("an early Advance fired %d", n)
		}
		time.Sleep(time.Hour)
		if n := w.Advance(); n != 50 {
			t.Fatalf("a late Advance fired %d, want 50", n)
		}
		for i, id := range log.ids {
			if id != 49-i {
				t.Fatalf("firing %d was timer %d: not in deadline order", i, id)
			}
		}
	})
}

// A Timer stays small: it lives in every suspended request.
func TestTimerSize(t *testing.T) {
	if got := unsafe.Sizeof(timerwheel.Timer{}); got != 48 {
		t.Fatalf("Timer is %d bytes, want 48", got)
	}
}

// Scheduling, moving and stopping a timer allocate nothing.
func TestScheduleAllocations(t *testing.T) {
	w := timerwheel.New(func(time.Duration) {})
	log := &firings{}
	ps := newProbes(64, log)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		p := ps[i%len(ps)]
		i++
		w.Schedule(&p.t, time.Duration(i%5000)*time.Millisecond, 1)
		w.Schedule(&p.t, time.Duration(i%7)*time.Second, 2)
		if i%3 == 0 {
			w.Stop(&p.t)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per Schedule/Schedule/Stop, want 0", allocs)
	}
	_ = slices.Clone(log.ids)
}

func BenchmarkScheduleStop(b *testing.B) {
	w := timerwheel.New(func(time.Duration) {})
	ps := newProbes(10000, &firings{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := ps[i%len(ps)]
		i++
		w.Schedule(&p.t, 30*time.Second, 0)
		if i > len(ps) {
			w.Stop(&ps[(i-len(ps))%len(ps)].t)
		}
	}
}

// panicker panics when it fires.
type panicker struct{ t timerwheel.Timer }

func (*panicker) Fire(uint32) { panic("fire") }

// A Firer that panics loses no other timer: those due with it fire at the
// next Advance.
func TestPanickingFirer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := timerwheel.New(func(time.Duration) {})
		log := &firings{}
		ps := newProbes(3, log)
		bad := &panicker{}
		bad.t.Init(bad)
		w.Schedule(&ps[0].t, time.Millisecond, 0)
		w.Schedule(&bad.t, time.Millisecond, 0)
		w.Schedule(&ps[1].t, time.Millisecond, 0)
		w.Schedule(&ps[2].t, time.Millisecond, 0)
		time.Sleep(time.Millisecond)
		func() {
			defer func() {
				if recover() == nil {
					t.Error("the Firer's panic did not reach Advance's caller")
				}
			}()
			w.Advance()
		}()
		if len(log.ids) != 1 || w.Len() != 2 {
			t.Fatalf("after the panic: fired %v, %d filed; want [0] and 2", log.ids, w.Len())
		}
		time.Sleep(time.Millisecond)
		if n := w.Advance(); n != 2 || !slices.Equal(log.ids, []int{0, 1, 2}) {
			t.Fatalf("the next Advance fired %d: %v, want 1 and 2", n, log.ids)
		}
	})
}

// Now is the time since the Wheel was made, on the clock its timers use.
func TestNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := timerwheel.NewRuntime()
		time.Sleep(1500 * time.Millisecond)
		if got := w.Now(); got != 1500*time.Millisecond {
			t.Fatalf("Now = %v after 1.5s", got)
		}
	})
}

// A delay too long to add to a clock ("never", math.MaxInt64) is kept as
// MaxDelay: the timer does not fire.
func TestHugeDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := timerwheel.NewRuntime()
		log := &firings{}
		ps := newProbes(2, log)
		w.Schedule(&ps[0].t, math.MaxInt64, 0)
		w.Schedule(&ps[1].t, timerwheel.MaxDelay+time.Hour, 0)
		time.Sleep(365 * 24 * time.Hour)
		synctest.Wait()
		if len(log.ids) != 0 || w.Len() != 2 {
			t.Fatalf("after a year: fired %v, %d filed; want none fired, 2 filed", log.ids, w.Len())
		}
		w.Stop(&ps[0].t)
		w.Stop(&ps[1].t)
	})
}

// The driver is never asked to wake before the wheel has work: a timer in
// a coarse slot with the index of the slot under way is filed again a
// whole turn later, and the driver is asked for then.
func TestDriverNotArmedEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var arms []time.Duration
		w := timerwheel.New(func(d time.Duration) { arms = append(arms, d) })
		time.Sleep(100 * time.Millisecond)
		w.Advance() // the wheel's now: tick 100, in slot 1 of the second level
		log := &firings{}
		ps := newProbes(1, log)
		// Due at tick 4171: the second level's slot 1 again, a turn on.
		w.Schedule(&ps[0].t, 4071*time.Millisecond, 0)
		if len(arms) != 1 || arms[0] != 4060*time.Millisecond {
			t.Fatalf("driver asked for %v, want one wake-up at tick 4160 (in 4.06s)", arms)
		}
		time.Sleep(arms[0])
		w.Advance()
		if len(arms) != 2 || arms[1] != 11*time.Millisecond {
			t.Fatalf("after filing it again the driver was asked for %v, want 11ms", arms[1:])
		}
		time.Sleep(arms[1])
		if n := w.Advance(); n != 1 {
			t.Fatalf("fired %d at its deadline, want 1", n)
		}
	})
}

// goexiter ends its goroutine when it fires.
type goexiter struct{ t timerwheel.Timer }

func (*goexiter) Fire(uint32) { runtime.Goexit() }

// A Firer that calls runtime.Goexit ends the driver's goroutine, not in a
// panic, and loses no other timer.
func TestGoexitInFirer(t *testing.T) {
	w := timerwheel.New(func(time.Duration) {})
	log := &firings{}
	ps := newProbes(1, log)
	g := &goexiter{}
	g.t.Init(g)
	w.Schedule(&g.t, 0, 0)
	w.Schedule(&ps[0].t, 0, 0)
	done := make(chan any)
	go func() {
		defer func() { done <- recover() }()
		time.Sleep(2 * timerwheel.Resolution)
		w.Advance()
	}()
	if p := <-done; p != nil {
		t.Fatalf("Goexit in a Firer became a panic: %v", p)
	}
	time.Sleep(2 * timerwheel.Resolution)
	if n := w.Advance(); n != 1 || len(log.ids) != 1 {
		t.Fatalf("the timer due with it fired %d times", len(log.ids))
	}
}

// stressTimer is scheduled, moved and stopped by many goroutines while the
// runtime drives its wheel; it records the generations it fired with.
type stressTimer struct {
	t      timerwheel.Timer
	mu     sync.Mutex
	latest uint32 // the generation of the last Schedule
	fired  []uint32
}

func (s *stressTimer) Fire(gen uint32) {
	s.mu.Lock()
	s.fired = append(s.fired, gen)
	s.mu.Unlock()
}

// On the real clock, with the runtime driving the wheel, goroutines
// scheduling, moving and stopping timers race with their firings: no
// timer fires a generation it was never scheduled with, none fires twice
// for one scheduling, and once everything is stopped nothing is filed.
// Run it with -race.
func TestStopRacesFiring(t *testing.T) {
	w := timerwheel.NewRuntime()
	ts := make([]*stressTimer, 64)
	for i := range ts {
		ts[i] = &stressTimer{}
		ts[i].t.Init(ts[i])
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(g), 9))
			for range 3000 {
				s := ts[rnd.IntN(len(ts))]
				s.mu.Lock()
				if rnd.IntN(3) == 0 {
					w.Stop(&s.t)
				} else {
					s.latest++
					w.Schedule(&s.t, time.Duration(rnd.IntN(3000))*time.Microsecond, s.latest)
				}
				s.mu.Unlock()
				if rnd.IntN(50) == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	for _, s := range ts {
		s.mu.Lock()
		w.Stop(&s.t)
		s.mu.Unlock()
	}
	time.Sleep(10 * time.Millisecond) // firings already on their way land
	if n := w.Len(); n != 0 {
		t.Fatalf("%d timers filed after every one was stopped", n)
	}
	for i, s := range ts {
		s.mu.Lock()
		seen := map[uint32]bool{}
		for _, g := range s.fired {
			if g == 0 || g > s.latest {
				t.Fatalf("timer %d fired generation %d, never scheduled (latest %d)", i, g, s.latest)
			}
			if seen[g] {
				t.Fatalf("timer %d fired generation %d twice", i, g)
			}
			seen[g] = true
		}
		s.mu.Unlock()
	}
}

// ScheduleAt files a timer at a deadline on the Wheel's clock (Now), as
// Schedule does at Now plus its delay: it fires within a tick after it,
// never before; a deadline already past fires at the next Advance, as a
// delay of zero or less does. A driver whose arm panics leaves the Wheel
// unlocked.
func TestScheduleAt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var arms []time.Duration
		w := timerwheel.New(func(d time.Duration) { arms = append(arms, d) })
		time.Sleep(10 * time.Millisecond)
		log := &firings{}
		ps := newProbes(3, log)
		ps[0].due = time.Now().Add(30 * time.Millisecond)
		w.ScheduleAt(&ps[0].t, w.Now()+30*time.Millisecond, 0)
		ps[1].due = time.Now().Add(2500 * time.Millisecond)
		w.ScheduleAt(&ps[1].t, w.Now()+2500*time.Millisecond, 0) // a coarser level
		ps[2].due = time.Now()
		w.ScheduleAt(&ps[2].t, w.Now()-time.Second, 0) // past: the next Advance
		if len(arms) != 2 || arms[1] != 0 {
			t.Fatalf("driver asked for %v, want a wake-up now last", arms)
		}
		for range 3000 {
			w.Advance()
			time.Sleep(time.Millisecond)
		}
		checkOnTime(t, ps, log)

		// The driver's arm panics: the Wheel is not left locked.
		w.Drive(func(time.Duration) { panic("arm") })
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the driver's panic did not reach ScheduleAt's caller")
				}
			}()
			w.ScheduleAt(&ps[0].t, w.Now()+time.Millisecond, 1)
		}()
		if n := w.Len(); n != 1 { // locks the Wheel: hangs if left locked
			t.Fatalf("%d timers filed after the panic, want 1", n)
		}
		w.Stop(&ps[0].t)
	})
}
