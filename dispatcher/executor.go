package dispatcher

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Executor runs tasks on goroutines it manages. All methods may be called
// from any goroutine, including the executor's own tasks (except Close, see
// there).
type Executor interface {
	// Execute runs t on some goroutine, now or after the tasks queued before
	// it. It never blocks. It returns ErrRejected if the executor is at its
	// limits (a bounded queue is full) or ErrExecutorClosed after Close; t
	// does not run then.
	Execute(t Task) error
	// TryExecute runs t only if a goroutine can take it right now, and
	// reports whether one did; it never queues and never blocks. A Strategy
	// uses it to start the reserved goroutines that take over production.
	TryExecute(t Task) bool
	// Stats returns a snapshot of the executor's figures.
	Stats() ExecutorStats
	// Close stops accepting tasks (Execute returns ErrExecutorClosed,
	// TryExecute false), lets the tasks already accepted run, and waits until
	// they have returned and the executor's goroutines have exited, or until
	// ctx is done (then it returns ctx.Err() and they go on in the
	// background). Calling it again waits again. A task that calls Close
	// waits for itself: give it a ctx with a deadline.
	Close(ctx context.Context) error
}

// closedBit marks an executor closed in its ctl word; the bits below count
// the Execute and TryExecute calls in flight, so Close can wait for them.
const closedBit = 1 << 62

// gate is the closed flag and in-flight count shared by both executors.
type gate struct{ ctl atomic.Int64 }

// enter admits a call unless the executor is closed.
func (g *gate) enter() bool {
	if g.ctl.Add(1)&closedBit != 0 {
		g.ctl.Add(-1)
		return false
	}
	return true
}

func (g *gate) leave() { g.ctl.Add(-1) }

func (g *gate) closed() bool { return g.ctl.Load()&closedBit != 0 }

// shut closes the gate and waits for the calls in flight, which never
// block, to leave.
func (g *gate) shut() {
	g.ctl.Or(closedBit)
	for g.ctl.Load() != closedBit {
		runtime.Gosched()
	}
}

// BoundedConfig configures a BoundedExecutor. The zero value is Jetty's
// QueuedThreadPool defaults.
type BoundedConfig struct {
	// MaxWorkers is the most goroutines that run tasks at once. Zero means
	// 200.
	MaxWorkers int
	// MinWorkers is how many idle workers are kept instead of exiting after
	// IdleTimeout. Workers start on demand, not in advance. Zero means 8;
	// negative means none. It is capped at MaxWorkers.
	MinWorkers int
	// QueueSize is how many tasks may wait for a worker; Execute returns
	// ErrRejected beyond it. Zero means 10*MaxWorkers; negative means
	// unbounded (as Jetty's default queue).
	QueueSize int
	// IdleTimeout is how long a worker above MinWorkers waits for a task
	// before it exits. Zero means 60s; negative means never.
	IdleTimeout time.Duration
	// Logger receives panics of tasks (a panicking task is logged and the
	// worker goes on). Nil means slog.Default().
	Logger *slog.Logger
}

// item is a queued task and when it was queued.
type item struct {
	t  Task
	at int64
}

// BoundedExecutor is a pool of worker goroutines pulling tasks from a
// queue, the analogue of Jetty's QueuedThreadPool. Workers start when tasks
// wait and no worker is idle, up to MaxWorkers, and exit after IdleTimeout
// down to MinWorkers. Execute is allocation-free once the workers run.
//
// Its methods may be called from any goroutine (Close: see Executor).
type BoundedExecutor struct {
	max, min int64
	idle     time.Duration
	log      *slog.Logger

	gate
	q       queue
	handoff chan item // unbuffered: TryExecute to a worker idle right now

	workers atomic.Int64
	// avail is idle workers minus queued tasks. A task queued when it goes
	// negative has no worker waiting for it, so Execute starts one; a
	// worker exits on its timeout only if it stays non-negative without it.
	avail atomic.Int64
	m     meter

	done    chan struct{} // closed by Close once no call is in flight
	drained atomic.Bool   // set by Close once no Execute is in flight
	// stack says whether its tasks are deep (read by every task, written
	// once), in the padding before stopped, where it moves no hot field.
	stack     stackGauge
	stopped   chan struct{} // closed when the last worker has exited after Close
	closeOnce sync.Once
	stopOnce  sync.Once
}

// NewBoundedExecutor returns an executor configured by cfg. No goroutine
// starts before the first task.
func NewBoundedExecutor(cfg BoundedConfig) *BoundedExecutor {
	maxW := cfg.MaxWorkers
	if maxW <= 0 {
		maxW = 200
	}
	minW := cfg.MinWorkers
	switch {
	case minW == 0:
		minW = 8
	case minW < 0:
		minW = 0
	}
	minW = min(minW, maxW)
	size, unbounded := cfg.QueueSize, false
	switch {
	case size == 0:
		size = 10 * maxW
	case size < 0:
		size, unbounded = 1024, true // the channel part; the rest spills
	}
	idle := cfg.IdleTimeout
	if idle == 0 {
		idle = 60 * time.Second
	}
	return &BoundedExecutor{
		max:     int64(maxW),
		min:     int64(minW),
		idle:    idle,
		log:     cfg.Logger,
		q:       queue{ch: make(chan item, size), unbounded: unbounded},
		handoff: make(chan item),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
}

// Execute queues t for a worker, starting one if none is idle and there
// are fewer than MaxWorkers. It never blocks; it returns ErrRejected when
// the queue is full and ErrExecutorClosed after Close. It panics if t.Run
// is nil.
func (e *BoundedExecutor) Execute(t Task) error {
	if t.Run == nil {
		panic("dispatcher: Task with nil Run")
	}
	if !e.enter() {
		return ErrExecutorClosed
	}
	defer e.leave()
	if !e.q.push(item{t, now()}) {
		e.m.rejected.Add(1)
		return ErrRejected
	}
	e.m.enqueued()
	if e.avail.Add(-1) < 0 {
		e.grow(item{}, false)
	}
	return nil
}

// TryExecute hands t to a worker that is idle right now, or starts a new
// worker for it if there are fewer than MaxWorkers. It never queues: it
// returns false if neither is possible, or after Close. It panics if t.Run
// is nil.
func (e *BoundedExecutor) TryExecute(t Task) bool {
	if t.Run == nil {
		panic("dispatcher: Task with nil Run")
	}
	if !e.enter() {
		return false
	}
	defer e.leave()
	it := item{t, now()}
	for a := e.avail.Load(); a > 0; a = e.avail.Load() {
		// Claim one idle worker in the accounting first, so that a task
		// queued meanwhile does not count on the same one.
		if !e.avail.CompareAndSwap(a, a-1) {
			continue
		}
		select {
		case e.handoff <- it:
			return true
		default: // it is idle but not waiting yet (or just took a task)
			e.avail.Add(1)
		}
		break
	}
	return e.grow(it, true)
}

// grow starts a worker, with first as its first task if has, unless there
// are MaxWorkers already.
func (e *BoundedExecutor) grow(first item, has bool) bool {
	for {
		n := e.workers.Load()
		if n >= e.max {
			return false
		}
		if e.workers.CompareAndSwap(n, n+1) {
			go e.work(first, has)
			return true
		}
	}
}

// work is a worker's loop.
func (e *BoundedExecutor) work(first item, has bool) {
	idleSince := now()
	var room uintptr // see stackGauge.run
	if has {
		idleSince = e.run(first, &room)
	}
	var timer *time.Timer
	for {
		e.avail.Add(1) // idle
		it, queued := e.q.pop()
		if !queued {
			var ok bool
			if it, queued, ok = e.wait(&timer, idleSince); !ok {
				return
			}
		}
		if queued {
			e.m.queued.Add(-1)
		}
		idleSince = e.run(it, &room)
	}
}

// wait blocks until the worker, idle since idleSince, gets a task (from
// the queue or a TryExecute), or exits: on its idle timeout, or after
// Close once the queue is empty. ok is false when the worker has exited.
// The idle timer is armed at the worker's first wait and moved only when
// it fires: resetting it for every wait would update a runtime timer per
// task. A fire that comes early, the worker having run tasks since it was
// armed, arms it again for what is left of this idle spell.
func (e *BoundedExecutor) wait(timer **time.Timer, idleSince int64) (it item, queued, ok bool) {
	var timeout <-chan time.Time
	if e.idle > 0 {
		if *timer == nil {
			*timer = time.NewTimer(e.idle)
		}
		timeout = (*timer).C
	}
	for {
		select {
		case it = <-e.q.ch:
			return it, true, true
		case it = <-e.handoff:
			return it, false, true
		case <-timeout:
			if rearmEarly(*timer, e.idle, idleSince) {
				continue
			}
			if e.retire() {
				return item{}, false, false
			}
			if it, queued = e.q.pop(); queued {
				return it, true, true
			}
			(*timer).Reset(e.idle)
		case <-e.done:
			// Close waited for every Execute: the queue only shrinks now.
			for {
				it, queued := e.q.pop()
				if !queued {
					break
				}
				e.m.queued.Add(-1)
				var room uintptr
				e.run(it, &room)
			}
			e.exited(e.workers.Add(-1))
			return item{}, false, false
		}
	}
}

// retire lets an idle worker above MinWorkers exit, unless a queued task
// counts on it.
func (e *BoundedExecutor) retire() bool {
	n := e.workers.Load()
	if n <= e.min {
		return false
	}
	if e.avail.Add(-1) < 0 {
		e.avail.Add(1)
		return false
	}
	if !e.workers.CompareAndSwap(n, n-1) {
		e.avail.Add(1)
		return false
	}
	e.exited(n - 1)
	return true
}

// exited is called by a worker that has left, with the workers remaining.
func (e *BoundedExecutor) exited(left int64) {
	// Only once Close saw no Execute in flight: before that, one may still
	// start a worker for a task it queued.
	if left == 0 && e.drained.Load() {
		e.stopOnce.Do(func() { close(e.stopped) })
	}
}

// run runs one task with its accounting and returns when it ended; room
// is the worker's (stackGauge.run).
func (e *BoundedExecutor) run(it item, room *uintptr) int64 {
	start := e.m.begin(it.at)
	returned := false
	defer func() {
		if !returned {
			// The task ended the worker with runtime.Goexit, which
			// safely lets go on: count the task out, and give the
			// worker's place to a new goroutine, or the place is lost
			// for good, with the tasks queued for it and Close waiting
			// for a worker that is gone.
			e.m.end(start)
			go e.work(item{}, false)
		}
	}()
	e.stack.run(e.log, it.t.Run, room)
	returned = true
	return e.m.end(start)
}

// Stats returns a snapshot of the pool's figures. Any goroutine may call it.
func (e *BoundedExecutor) Stats() ExecutorStats {
	s := ExecutorStats{Workers: clamp(e.workers.Load()), MaxWorkers: int(e.max)}
	e.m.fill(&s)
	return s
}

// Close stops accepting tasks and waits until the queued and running ones
// have run and every worker has exited, or ctx is done (see Executor).
// Any goroutine may call it; a task of this executor that calls it waits
// for itself until ctx is done.
func (e *BoundedExecutor) Close(ctx context.Context) error {
	e.closeOnce.Do(func() {
		e.shut()
		e.drained.Store(true)
		close(e.done)
		if e.workers.Load() == 0 {
			e.stopOnce.Do(func() { close(e.stopped) })
		}
	})
	select {
	case <-e.stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// queue is a channel of tasks that, when unbounded, spills into a slice
// once the channel is full. Tasks spill only while the channel is full or
// others have spilled, and workers look at the spill after the channel, so
// a worker blocked on the empty channel never leaves spilled tasks behind:
// the last spill began with a full channel, and whoever drained it looked
// at the spill afterwards.
type queue struct {
	ch        chan item
	unbounded bool
	spilled   atomic.Int64
	mu        sync.Mutex
	spill     []item
	head      int
}

// push adds it unless the queue is full.
func (q *queue) push(it item) bool {
	if q.spilled.Load() == 0 {
		select {
		case q.ch <- it:
			return true
		default:
		}
	}
	if !q.unbounded {
		return false
	}
	q.mu.Lock()
	q.spill = append(q.spill, it)
	q.spilled.Add(1)
	q.mu.Unlock()
	return true
}

// pop takes the oldest task without waiting.
func (q *queue) pop() (item, bool) {
	select {
	case it := <-q.ch:
		return it, true
	default:
	}
	if q.spilled.Load() == 0 {
		return item{}, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.spill) {
		return item{}, false
	}
	it := q.spill[q.head]
	q.spill[q.head] = item{}
	q.head++
	if q.head == len(q.spill) {
		q.spill, q.head = q.spill[:0], 0
	}
	q.spilled.Add(-1)
	return it, true
}

// UnboundedConfig configures an UnboundedExecutor. The zero value is ready
// to use.
type UnboundedConfig struct {
	// Logger receives panics of tasks. Nil means slog.Default().
	Logger *slog.Logger
	// MaxIdle is the most goroutines whose task is done that wait for
	// another instead of exiting. Starting a goroutine is cheap, but its
	// stack starts small and grows again, by copying, for every deep task
	// (once the executor's tasks have shown they are deep, the worker grows
	// it before each task starts, where the copy is cheapest); a waiting
	// goroutine keeps its grown stack. But a waiting goroutine is memory
	// too (its stack, 2 to 8 KiB), and a burst of tasks would leave as
	// many waiting as ran at once: a server that waits without goroutines
	// keeps few. Zero means DefaultMaxIdle; negative means none: every
	// task runs on a new goroutine. A server whose handlers block, many at
	// once, may set it to how many block at once: each request then saves
	// a goroutine's start and its stack's growth.
	MaxIdle int
	// IdleTimeout is how long an idle goroutine waits for a task before it
	// exits. Zero means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// SurplusIdleTimeout is how long a goroutine whose task is done waits
	// for another when MaxIdle goroutines wait already: the surplus, those
	// that turned idle first, exit after it. Under a steady flow of
	// blocking tasks, many at once (handlers that sleep, call a database,
	// read a slow body), goroutines finish and the next tasks come
	// moments later: the surplus take them, with the stacks they grew,
	// where a goroutine that exited would leave each a new goroutine to
	// start and a stack to grow again, by copying. A burst's goroutines
	// are gone soon after it, rather than kept for IdleTimeout. Zero means
	// DefaultSurplusIdleTimeout; negative means no surplus: a goroutine
	// exits at once when MaxIdle wait. It is capped at IdleTimeout.
	SurplusIdleTimeout time.Duration
}

// Defaults of UnboundedConfig.
const (
	DefaultMaxIdle            = 16
	DefaultIdleTimeout        = 10 * time.Second
	DefaultSurplusIdleTimeout = time.Second
)

// UnboundedExecutor runs every task at once on a goroutine of its own: the
// analogue of a virtual-thread executor. It never queues and never rejects,
// and TryExecute always succeeds before Close. A goroutine whose task is
// done waits a while for the next one (up to MaxIdle of them do), so a
// steady flow of tasks reuses goroutines instead of starting new ones. Use
// it when something else bounds the work (connections, a semaphore): cheap
// goroutines can still do expensive things. Its queue latency is the time a
// goroutine takes to start or to wake.
//
// Its methods may be called from any goroutine (Close: see Executor).
type UnboundedExecutor struct {
	log         *slog.Logger
	maxIdle     int
	idleTimeout time.Duration
	gate
	alive   atomic.Int64 // goroutines, busy or idle
	running atomic.Int64 // of which running a task
	m       meter

	mu sync.Mutex
	// reaping says the reaper is armed: from the first goroutine that
	// turns idle until the idle list is empty when it fires.
	reaping bool
	// idle is in the order the goroutines turned idle, the longest idle
	// at the bottom (see idleStack).
	idle idleStack
	// reaper ends the goroutines idle for IdleTimeout, from the bottom of
	// the list: one runtime timer for the executor, not one for each
	// goroutine, which would wait in a select on its mailbox and its timer.
	reaper *time.Timer

	// drained is set by Close once no Execute is in flight, so no new
	// goroutine can start: only then may the last one to exit say stopped.
	drained atomic.Bool
	// stack says whether its tasks are deep: read by every task, written
	// once. Beside drained, it takes the padding before stopped: where the
	// hot fields above sit stays as it was (a field that moved them made
	// BenchmarkExecute/unbounded 14% slower).
	stack     stackGauge
	stopped   chan struct{}
	closeOnce sync.Once
	stopOnce  sync.Once

	// surplus is SurplusIdleTimeout, zero for none; reapAt is when the
	// reaper fires, on now's clock, while reaping (mu guards it): a
	// goroutine that turns idle beyond MaxIdle brings it forward. These
	// come last, so that the fields every task reads stay where they are.
	surplus time.Duration
	reapAt  int64
}

// idler is an idle goroutine's mailbox (a task to run, or nil Run to exit)
// and when it turned idle.
type idler struct {
	ch    chan timedTask
	since int64
}

type timedTask struct {
	t  Task
	at int64 // when Execute was called, for the queue latency
}

// NewUnboundedExecutor returns an executor configured by cfg.
func NewUnboundedExecutor(cfg UnboundedConfig) *UnboundedExecutor {
	e := &UnboundedExecutor{log: cfg.Logger, maxIdle: cfg.MaxIdle, idleTimeout: cfg.IdleTimeout, stopped: make(chan struct{})}
	if e.maxIdle == 0 {
		e.maxIdle = DefaultMaxIdle
	}
	if e.idleTimeout <= 0 {
		e.idleTimeout = DefaultIdleTimeout
	}
	switch e.surplus = cfg.SurplusIdleTimeout; {
	case e.surplus == 0:
		e.surplus = DefaultSurplusIdleTimeout
	case e.surplus < 0:
		e.surplus = 0
	}
	e.surplus = min(e.surplus, e.idleTimeout)
	return e
}

// Execute runs t on a goroutine now. It returns ErrExecutorClosed after
// Close. It panics if t.Run is nil.
func (e *UnboundedExecutor) Execute(t Task) error {
	if !e.TryExecute(t) {
		return ErrExecutorClosed
	}
	return nil
}

// TryExecute runs t on a goroutine now and reports true, or false after
// Close. It panics if t.Run is nil.
func (e *UnboundedExecutor) TryExecute(t Task) bool {
	if t.Run == nil {
		panic("dispatcher: Task with nil Run")
	}
	if !e.enter() {
		return false
	}
	e.running.Add(1)
	tt := timedTask{t: t, at: now()}
	if w := e.popIdle(); w != nil {
		w.ch <- tt // buffered: never blocks
	} else {
		e.alive.Add(1)
		go e.work(tt)
	}
	e.leave()
	return true
}

// popIdle takes the goroutine idle last, or nil. It and pushIdle unlock
// without a deferred call (nothing under the lock panics): each is called
// once a task.
func (e *UnboundedExecutor) popIdle() *idler {
	e.mu.Lock()
	w := e.idle.pop()
	e.mu.Unlock()
	return w
}

// work runs tt, then waits for more while it is allowed to.
func (e *UnboundedExecutor) work(tt timedTask) {
	var w *idler
	var start int64
	var room uintptr // see stackGauge.run
	inTask := false
	defer func() {
		if inTask {
			// The task ended the goroutine with runtime.Goexit, which
			// safely lets go on: count it out, or Stats reports it busy
			// for ever.
			e.m.end(start)
			e.running.Add(-1)
		}
		if e.alive.Add(-1) == 0 && e.drained.Load() {
			e.stopOnce.Do(func() { close(e.stopped) })
		}
	}()
	for {
		start, inTask = e.m.begin(tt.at), true
		e.stack.run(e.log, tt.t.Run, &room)
		inTask = false
		idleSince := e.m.end(start)
		e.running.Add(-1)

		if !e.pushIdle(&w, idleSince) {
			return
		}
		if tt = <-w.ch; tt.t.Run == nil {
			return // reaped, or Close
		}
	}
}

// pushIdle offers *w, idle since since, for the next task, making it on
// the goroutine's first offer that finds room, and arms the reaper if it
// is not, or brings it forward for a surplus goroutine; false means exit
// instead.
func (e *UnboundedExecutor) pushIdle(w **idler, since int64) bool {
	e.mu.Lock()
	n := e.idle.len()
	if e.closed() || n >= e.maxIdle && (e.surplus == 0 || e.maxIdle < 0) {
		e.mu.Unlock()
		return false
	}
	if *w == nil {
		*w = &idler{ch: make(chan timedTask, 1)}
	}
	(*w).since = since
	e.idle.push(*w)
	at := e.nextReapLocked()
	switch {
	case !e.reaping:
		e.reaping = true
		e.armReaper(at, since)
	case at < e.reapAt:
		e.armReaper(at, since)
	}
	e.mu.Unlock()
	return true
}

// armReaper makes the reaper fire at at, now being now; mu is held.
func (e *UnboundedExecutor) armReaper(at, now int64) {
	e.reapAt = at
	d := time.Duration(max(at-now, 0))
	if e.reaper == nil {
		e.reaper = time.AfterFunc(d, e.reap)
	} else {
		e.reaper.Reset(d)
	}
}

// reap, the reaper's function, ends the goroutines that have been idle
// for IdleTimeout, and the surplus beyond MaxIdle idle for
// SurplusIdleTimeout, from the bottom of the list, and arms itself again
// for the next one to reach its time. Goroutines turn idle in about the
// order they are pushed; one pushed a moment after a later-stamped one
// waits for the next round rather than leaving early.
func (e *UnboundedExecutor) reap() {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := now()
	cut, surplusCut := t-int64(e.idleTimeout), t-int64(e.surplus)
	e.idle.expire(cut, surplusCut, e.maxIdle, DefaultMaxIdle)
	if e.idle.len() == 0 {
		e.reaping = false
		return
	}
	e.armReaper(e.nextReapLocked(), t)
}

// nextReapLocked is when the reaper is next due: when the bottom of the
// idle stack, the longest idle, has waited IdleTimeout, or, while more
// than MaxIdle wait, SurplusIdleTimeout (the bottom is then the first of
// the surplus). The stack must not be empty; mu is held.
func (e *UnboundedExecutor) nextReapLocked() int64 {
	wait := e.idleTimeout
	if e.idle.len() > e.maxIdle {
		wait = e.surplus
	}
	return e.idle.bottom().since + int64(wait)
}

// rearmEarly is what a BoundedExecutor worker's idle timer, armed once,
// does when it fires: if the worker has been idle (since idleSince) less
// than idle, it arms t for the rest and reports true, the fire having come
// early (the worker ran tasks since t was armed); otherwise the worker has
// been idle long enough.
func rearmEarly(t *time.Timer, idle time.Duration, idleSince int64) bool {
	left := idle - time.Duration(now()-idleSince)
	if left <= 0 {
		return false
	}
	t.Reset(left)
	return true
}

// Stats returns a snapshot of the executor's figures: Workers are its
// goroutines, busy or idle, Busy those running tasks; nothing is ever
// queued. Any goroutine may call it.
func (e *UnboundedExecutor) Stats() ExecutorStats {
	var s ExecutorStats
	e.m.fill(&s)
	s.Workers = clamp(e.alive.Load())
	s.Busy = clamp(e.running.Load())
	return s
}

// Close stops accepting tasks, ends the idle goroutines and waits until the
// running tasks have returned, or ctx is done (see Executor). Any goroutine
// may call it.
func (e *UnboundedExecutor) Close(ctx context.Context) error {
	e.closeOnce.Do(func() {
		e.shut()
		e.drained.Store(true)
		e.mu.Lock()
		idle := e.idle.takeAll()
		if e.reaper != nil {
			e.reaper.Stop()
		}
		e.reaping = false
		e.mu.Unlock()
		for _, w := range idle {
			w.ch <- timedTask{}
		}
		if e.alive.Load() == 0 {
			e.stopOnce.Do(func() { close(e.stopped) })
		}
	})
	select {
	case <-e.stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
