package dispatcher

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// reserved is a small set of goroutines parked on a channel, each ready to
// take over a Strategy's production at once: the analogue of Jetty's
// ReservedThreadExecutor. They run as tasks of the strategy's executor, so
// they count against its limits (a parked one is a busy worker), and they
// are started with TryExecute, so a reservation never waits in a queue
// behind the very tasks it should rescue.
//
// Sizing is adaptive: the strategy starts one; each hand-off that finds
// none parked starts one more, up to limit; a goroutine parked for idle
// exits, at most one every idle, so a pool that keeps being used keeps its
// size and one that is not shrinks to nothing.
type reserved struct {
	ex    Executor
	limit int64
	idle  time.Duration // <0: never exit on idleness
	log   *slog.Logger

	slot chan Task // unbuffered: a send succeeds only if one is parked now

	size       atomic.Int64 // alive: parked, or running what it was handed
	parked     atomic.Int64
	parkedMax  atomic.Int64
	lastShrink atomic.Int64 // now() when one last exited on idleness

	loopTask  Task // Task{Run: r.loop}, built once: starting one allocates no closure
	done      chan struct{}
	closeOnce sync.Once
}

func newReserved(ex Executor, limit int, idle time.Duration, log *slog.Logger) *reserved {
	r := &reserved{
		ex:    ex,
		limit: int64(limit),
		idle:  idle,
		log:   log,
		slot:  make(chan Task),
		done:  make(chan struct{}),
	}
	r.lastShrink.Store(now())
	r.loopTask = Task{Run: r.loop} // Blocking: it parks
	return r
}

// tryExecute hands t to a goroutine parked right now. It never blocks and
// never queues. Any goroutine may call it.
func (r *reserved) tryExecute(t Task) bool {
	// A goroutine counts itself parked before it waits on the slot, and
	// out only once it has left it: with none counted, none is waiting,
	// and the send would fail. A strategy whose reserved goroutines are
	// busy (one producing) asks here for every task that may block.
	if r.parked.Load() == 0 {
		return false
	}
	select {
	case r.slot <- t:
		return true
	default:
		return false
	}
}

// grow starts one more reserved goroutine unless there are limit already,
// the pool is closed, or the executor has no goroutine for it right now.
// Any goroutine may call it.
func (r *reserved) grow() {
	// The size first: a strategy whose reserved goroutines are all busy
	// (one producing, the rest running what they were handed) calls this
	// for every task that may block, and returns here.
	if r.size.Load() >= r.limit {
		return
	}
	select {
	case <-r.done:
		return
	default:
	}
	for {
		n := r.size.Load()
		if n >= r.limit {
			return
		}
		if r.size.CompareAndSwap(n, n+1) {
			break
		}
	}
	if !r.ex.TryExecute(r.loopTask) {
		r.size.Add(-1)
	}
}

// loop is a reserved goroutine: it parks until it is handed a task, runs
// it, and parks again, until it has been idle long enough or the pool is
// closed.
func (r *reserved) loop() {
	defer r.size.Add(-1)
	var timer *time.Timer
	var timeout <-chan time.Time
	if r.idle > 0 {
		timer = time.NewTimer(r.idle)
		defer timer.Stop()
		timeout = timer.C
	}
	for {
		raise(&r.parkedMax, r.parked.Add(1))
		select {
		case t := <-r.slot:
			r.parked.Add(-1)
			safely(r.log, "reserved task", t.Run)
			select {
			case <-r.done:
				return
			default:
			}
		case <-timeout:
			r.parked.Add(-1)
			if r.shrink() {
				return
			}
		case <-r.done:
			r.parked.Add(-1)
			return
		}
		if timer != nil {
			timer.Reset(r.idle)
		}
	}
}

// shrink lets one idle reserved goroutine exit, unless another did less
// than idle ago.
func (r *reserved) shrink() bool {
	t, last := now(), r.lastShrink.Load()
	return t-last >= int64(r.idle) && r.lastShrink.CompareAndSwap(last, t)
}

// close makes the parked goroutines exit, and the others once they have
// run what they were handed. Any goroutine may call it, more than once.
func (r *reserved) close() {
	r.closeOnce.Do(func() { close(r.done) })
}

// stats fills the reserved figures of s.
func (r *reserved) stats(s *StrategyStats) {
	s.Reserved = clamp(r.parked.Load())
	s.ReservedMax = clamp(r.parkedMax.Load())
	s.ReservedLimit = int(r.limit)
}
