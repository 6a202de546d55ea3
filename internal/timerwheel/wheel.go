package timerwheel

import (
	"math"
	"math/bits"
	"sync"
	"time"
)

// Resolution is the length of a tick: a timer fires within one of its
// deadline once its Wheel is advanced on time.
const Resolution = time.Millisecond

const (
	slotBits  = 6
	slotCount = 1 << slotBits
	slotMask  = slotCount - 1
	levels    = 4
	// span is how many ticks ahead the last level reaches.
	span = 1 << (slotBits * levels)
	// never is the tick of "no work".
	never = math.MaxInt64
)

// MaxDelay is the longest delay a Wheel keeps as given (about 146 years):
// a longer one, math.MaxInt64 for "never" say, is taken as MaxDelay, so
// that the time arithmetic on it cannot overflow.
const MaxDelay = time.Duration(1 << 62)

// Firer is what a Timer calls when it expires, with the generation it was
// scheduled with (see Wheel.Schedule).
type Firer interface {
	Fire(gen uint32)
}

// Timer is one timer, kept inside the struct it times (48 bytes). The zero
// Timer is not scheduled; Init gives it its Firer. A Timer belongs to the
// Wheel it is scheduled on until it fires or is stopped: Schedule and Stop
// it there. It must not be copied once scheduled.
type Timer struct {
	next, prev *Timer
	at         int64  // its tick
	gen        uint32 // what Fire is called with
	level, idx uint8  // its slot, while filed
	filed      bool
	f          Firer
}

// Init sets what the timer calls when it expires. Call it once, before the
// first Schedule.
func (t *Timer) Init(f Firer) { t.f = f }

// list is one slot: the timers filed there, in the order they were filed.
type list struct{ head, tail *Timer }

// Wheel is a hierarchical timing wheel. Create one with New or NewRuntime.
type Wheel struct {
	mu       sync.Mutex
	origin   time.Time
	now      int64 // every timer due at or before this tick has fired
	slots    [levels][slotCount]list
	occupied [levels]uint64 // bit i: slots[level][i] holds a timer
	n        int
	armedAt  int64 // the tick the driver was last asked to wake for; never if none
	arm      func(d time.Duration)

	rt     *time.Timer // NewRuntime's driver, or one Drive switched to
	firing []firing    // Advance's batch, kept to save an allocation
}

// firing is a timer taken out to fire, with the generation it fires: the
// owner may schedule it again before Fire is called.
type firing struct {
	t   *Timer
	gen uint32
}

// New returns a Wheel whose driver is arm: the Wheel calls it (under its
// lock; it must not call back into the Wheel) to ask for a call of Advance
// d from now, whenever its next work is sooner than the driver was last
// asked for. A driver that wakes late only makes timers late; one that
// wakes early or more often costs an Advance that finds nothing.
func New(arm func(d time.Duration)) *Wheel {
	w := &Wheel{origin: time.Now(), armedAt: never}
	w.arm = arm
	return w
}

// NewRuntime returns a Wheel driven by one runtime timer: Advance runs on
// the timer's goroutine.
func NewRuntime() *Wheel {
	w := New(nil)
	w.arm = w.runtimeArm
	return w
}

// runtimeArm is NewRuntime's driver. w.mu is held.
func (w *Wheel) runtimeArm(d time.Duration) {
	if w.rt == nil {
		w.rt = time.AfterFunc(d, func() { w.Advance() })
		return
	}
	w.rt.Reset(d)
}

// Drive hands the Wheel to another driver (nil: a runtime timer, as
// NewRuntime's), which is asked at once for the next work: the timers
// filed stay, and fire on the new driver's goroutine. A selector that
// stops hands its Wheel to the runtime this way, so that no timer is lost.
func (w *Wheel) Drive(arm func(d time.Duration)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if arm == nil {
		arm = w.runtimeArm
	}
	w.arm = arm
	w.armedAt = never
	w.rearmLocked()
}

// Now returns the time on the Wheel's clock: how long since it was made,
// on the monotonic clock. Owners may keep deadlines in it, in 8 bytes.
func (w *Wheel) Now() time.Duration { return time.Since(w.origin) }

// Pending reports whether t is filed in w: scheduled, and neither fired
// nor stopped.
func (w *Wheel) Pending(t *Timer) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return t.filed
}

// Len returns how many timers are filed.
func (w *Wheel) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// tickAt is the first tick at or after d on the Wheel's clock.
func tickAt(d time.Duration) int64 {
	return int64((d + Resolution - 1) / Resolution)
}

// Schedule files t to fire gen once d has passed (d <= 0: at the next
// Advance; beyond MaxDelay: after MaxDelay), moving it if it was filed
// already.
func (w *Wheel) Schedule(t *Timer, d time.Duration, gen uint32) {
	// The Wheel's clock, not time.Now: it reads the monotonic clock only,
	// where time.Now reads the wall clock too.
	w.ScheduleAt(t, w.Now()+max(min(d, MaxDelay), 0), gen)
}

// ScheduleAt is Schedule for a deadline at on the Wheel's clock (see Now;
// at or before now: at the next Advance), for an owner that keeps its
// deadline there and has just read the clock to work it out: the Wheel
// does not read it again.
func (w *Wheel) ScheduleAt(t *Timer, at time.Duration, gen uint32) {
	w.mu.Lock()
	if t.filed {
		w.unlinkLocked(t)
	}
	t.at = max(tickAt(at), w.now+1)
	t.gen = gen
	w.fileLocked(t)
	if due := w.dueLocked(t); due < w.armedAt {
		w.armUnlock(due)
		return
	}
	// No deferred unlock on this way, which every suspension and idle
	// connection takes: nothing here can panic.
	w.mu.Unlock()
}

// armUnlock is armLocked, then unlocks w: the driver's arm, the one call
// made under the lock that is not the Wheel's own, must not leave it
// locked if it panics.
func (w *Wheel) armUnlock(due int64) {
	defer w.mu.Unlock()
	w.armLocked(due)
}

// Stop takes t out of the Wheel and reports whether it was filed: false
// means it had fired (its Fire may be running now or about to), had been
// stopped, or was never scheduled.
func (w *Wheel) Stop(t *Timer) bool {
	w.mu.Lock()
	filed := t.filed
	if filed {
		w.unlinkLocked(t)
	}
	w.mu.Unlock()
	return filed
}

// levelFor returns where a timer due at tick at is filed now.
func (w *Wheel) levelFor(at int64) (level, idx int) {
	delta := at - w.now
	if delta >= span {
		at = w.now + span - 1 // filed again when its slot comes due
		delta = span - 1
	}
	// The finest level whose turn spans delta: delta < slotCount <<
	// (slotBits*level), which is bits.Len64(delta) <= slotBits*(level+1).
	// Worked out, not looked for level by level: every suspension and
	// idle connection files a timer.
	if delta >= slotCount {
		level = (bits.Len64(uint64(delta)) - 1) / slotBits
	}
	return level, int(at>>(slotBits*level)) & slotMask
}

// fileLocked puts t in its slot, at the end.
func (w *Wheel) fileLocked(t *Timer) {
	level, idx := w.levelFor(t.at)
	l := &w.slots[level][idx]
	t.next, t.prev = nil, l.tail
	if l.tail != nil {
		l.tail.next = t
	} else {
		l.head = t
	}
	l.tail = t
	t.filed, t.level, t.idx = true, uint8(level), uint8(idx)
	w.occupied[level] |= 1 << idx
	w.n++
}

func (w *Wheel) unlinkLocked(t *Timer) {
	l := &w.slots[t.level][t.idx]
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		l.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		l.tail = t.prev
	}
	if l.head == nil {
		w.occupied[t.level] &^= 1 << t.idx
	}
	t.next, t.prev, t.filed = nil, nil, false
	w.n--
}

// dueLocked is the tick at which t's slot needs Advance: its own tick on
// the finest level, the tick its slot is filed again finer on the others.
func (w *Wheel) dueLocked(t *Timer) int64 {
	if t.level == 0 {
		return t.at
	}
	// The slot's first tick after now: a coarse slot with the index of
	// the one under way comes due a whole turn later.
	shift := slotBits * int(t.level)
	cur := w.now >> shift
	return (cur + int64((int(t.idx)-int(cur&slotMask)-1)&slotMask) + 1) << shift
}

// nextLocked returns the next tick after now with work: a finest slot to
// fire, or a coarser one to file again; never if the Wheel is empty.
func (w *Wheel) nextLocked() int64 {
	next := int64(never)
	for level := range levels {
		occ := w.occupied[level]
		if occ == 0 {
			continue
		}
		shift := slotBits * level
		cur := int((w.now >> shift) & slotMask)
		// The first occupied slot after the current one, around the ring.
		rot := bits.RotateLeft64(occ, -(cur + 1))
		d := bits.TrailingZeros64(rot) + 1
		t := ((w.now >> shift) + int64(d)) << shift
		next = min(next, t)
	}
	return next
}

// armLocked asks the driver to wake at tick due.
func (w *Wheel) armLocked(due int64) {
	w.armedAt = due
	if w.arm == nil {
		return
	}
	d := time.Until(w.origin.Add(time.Duration(due) * Resolution))
	w.arm(max(d, 0))
}

// rearmLocked asks the driver for the next work, if any.
func (w *Wheel) rearmLocked() {
	if next := w.nextLocked(); next != never {
		w.armLocked(next)
	} else {
		w.armedAt = never
	}
}

// Advance fires the timers due by now, in the order of their ticks (within
// a tick in no set order), on the calling goroutine, then asks the driver
// for the next work. It returns how many fired.
func (w *Wheel) Advance() int {
	return w.AdvanceTo(time.Now())
}

// AdvanceTo is Advance as of instant now.
func (w *Wheel) AdvanceTo(now time.Time) int {
	target := int64(now.Sub(w.origin) / Resolution)
	fired := 0
	for {
		w.mu.Lock()
		batch := w.collectLocked(target, w.firing[:0])
		if len(batch) == 0 {
			w.armedAt = never
			w.rearmLocked()
			w.firing = batch
			w.mu.Unlock()
			return fired
		}
		w.firing = nil // in use: a Firer's own Advance makes its own
		w.mu.Unlock()
		w.fire(batch)
		fired += len(batch)
		w.mu.Lock()
		if w.firing == nil {
			w.firing = batch[:0]
		}
		w.mu.Unlock()
	}
}

// fire calls the batch's Firers. If one panics, the timers after it are
// filed again to fire at the next Advance (none is lost), and the panic
// goes on to the driver.
func (w *Wheel) fire(batch []firing) {
	i := 0
	defer func() {
		if i == len(batch) {
			return
		}
		p := recover() // nil: the Firer called runtime.Goexit, which goes on
		w.mu.Lock()
		for _, f := range batch[i+1:] {
			if !f.t.filed { // not scheduled again by an earlier Firer
				f.t.at, f.t.gen = w.now+1, f.gen
				w.fileLocked(f.t)
			}
		}
		w.armedAt = never
		w.rearmLocked()
		w.mu.Unlock()
		clear(batch)
		if p != nil {
			panic(p)
		}
	}()
	for ; i < len(batch); i++ {
		batch[i].t.f.Fire(batch[i].gen)
		batch[i] = firing{}
	}
}

// collectLocked moves now forward, tick by tick with work, up to target,
// filing coarse slots again as they come due and taking the finest slots'
// timers out, until it has some to fire (it stops at the tick they are
// due, so that they fire in order with later ones).
func (w *Wheel) collectLocked(target int64, batch []firing) []firing {
	for len(batch) == 0 {
		next := w.nextLocked()
		if next > target {
			if target > w.now {
				w.now = target
			}
			return batch
		}
		w.now = next
		// Coarse slots first: what they hold may be due now. The finest
		// slot comes due at every tick, and all it holds is due.
		for level := levels - 1; level >= 0; level-- {
			shift := slotBits * level
			if next&(1<<shift-1) != 0 {
				continue
			}
			idx := int(next>>shift) & slotMask
			if w.occupied[level]&(1<<idx) == 0 {
				continue
			}
			l := w.slots[level][idx]
			w.slots[level][idx] = list{}
			w.occupied[level] &^= 1 << idx
			for t := l.head; t != nil; {
				nt := t.next
				w.n--
				t.filed, t.next, t.prev = false, nil, nil
				if t.at <= w.now {
					batch = append(batch, firing{t, t.gen})
				} else {
					w.fileLocked(t)
				}
				t = nt
			}
		}
	}
	return batch
}
