package dispatcher

import (
	"fmt"
	"sync/atomic"
	"time"
)

// ExecutorStats is a snapshot of an executor: the figures of Jetty's thread
// pool report. Figures are read one by one without a lock, so a snapshot
// taken while tasks run may be off by a task between fields.
type ExecutorStats struct {
	Workers    int // goroutines now, idle or busy
	MaxWorkers int // the configured limit; 0 means none
	Busy       int // goroutines running a task now
	BusyMax    int // most goroutines ever running tasks at once
	Queued     int // tasks waiting for a goroutine now
	QueuedMax  int // most tasks ever waiting at once

	// QueueLatency is the time from Execute to the task starting: the wait
	// in the queue, or (UnboundedExecutor) for the new goroutine to run.
	QueueLatencyAvg, QueueLatencyMax time.Duration
	// TaskTime is how long Run took.
	TaskTimeAvg, TaskTimeMax time.Duration

	Tasks    uint64 // tasks run to the end (including ones that panicked)
	Rejected uint64 // Execute calls refused with ErrRejected
}

// String formats s like Jetty's thread pool report, one figure a line.
func (s ExecutorStats) String() string {
	return fmt.Sprintf("workers: %d (max %d)\nbusy now/max: %d/%d\nqueue now/max: %d/%d\n"+
		"queue latency avg/max: %v/%v\ntask time avg/max: %v/%v\ntasks: %d\nrejected: %d",
		s.Workers, s.MaxWorkers, s.Busy, s.BusyMax, s.Queued, s.QueuedMax,
		s.QueueLatencyAvg, s.QueueLatencyMax, s.TaskTimeAvg, s.TaskTimeMax, s.Tasks, s.Rejected)
}

// StrategyStats counts the tasks a Strategy consumed in each mode, and its
// reserved goroutines.
type StrategyStats struct {
	PC  uint64 // NonBlocking tasks run by the producing goroutine
	PIC uint64 // Either tasks run by the producing goroutine without blocking
	EPC uint64 // tasks run by the producing goroutine after handing production over
	PEC uint64 // tasks given to the executor (including refused ones)

	// Rejected counts PEC tasks the executor refused; they went to
	// StrategyConfig.Rejected.
	Rejected uint64

	Reserved      int // reserved goroutines parked now, ready to take over production
	ReservedMax   int // most reserved goroutines ever parked at once
	ReservedLimit int // the most there may be; 0 when the strategy has none
}

// Add returns the stats of two strategies together: every count summed
// (ReservedMax too: the sum of the maxima).
func (s StrategyStats) Add(o StrategyStats) StrategyStats {
	return StrategyStats{
		PC: s.PC + o.PC, PIC: s.PIC + o.PIC, EPC: s.EPC + o.EPC, PEC: s.PEC + o.PEC,
		Rejected: s.Rejected + o.Rejected,
		Reserved: s.Reserved + o.Reserved, ReservedMax: s.ReservedMax + o.ReservedMax, ReservedLimit: s.ReservedLimit + o.ReservedLimit,
	}
}

// meter holds an executor's counters. Everything is an atomic, nothing is
// locked: a task costs about ten atomic operations and three reads of the
// monotonic clock.
type meter struct {
	busy, busyMax     atomic.Int64
	queued, queuedMax atomic.Int64
	started           atomic.Uint64
	latSum, latMax    atomic.Int64 // queue latency, ns
	taskSum, taskMax  atomic.Int64 // run time, ns
	tasks, rejected   atomic.Uint64
}

// epoch anchors now: time.Since uses the monotonic clock and allocates
// nothing.
var epoch = time.Now()

func now() int64 { return int64(time.Since(epoch)) }

// raise makes a at least v.
func raise(a *atomic.Int64, v int64) {
	for {
		o := a.Load()
		if v <= o || a.CompareAndSwap(o, v) {
			return
		}
	}
}

// enqueued records a task put in the queue.
func (m *meter) enqueued() { raise(&m.queuedMax, m.queued.Add(1)) }

// begin records a task starting that was submitted at enq, and returns the
// start time for end.
func (m *meter) begin(enq int64) int64 {
	t := now()
	lat := t - enq
	m.started.Add(1)
	m.latSum.Add(lat)
	raise(&m.latMax, lat)
	raise(&m.busyMax, m.busy.Add(1))
	return t
}

// end records a task that started at start returning, and returns the time
// it ended.
func (m *meter) end(start int64) int64 {
	t := now()
	d := t - start
	m.busy.Add(-1)
	m.taskSum.Add(d)
	raise(&m.taskMax, d)
	m.tasks.Add(1)
	return t
}

// fill copies the counters into s.
func (m *meter) fill(s *ExecutorStats) {
	s.Busy = clamp(m.busy.Load())
	s.BusyMax = clamp(m.busyMax.Load())
	s.Queued = clamp(m.queued.Load())
	s.QueuedMax = clamp(m.queuedMax.Load())
	s.Tasks = m.tasks.Load()
	s.Rejected = m.rejected.Load()
	if n := m.started.Load(); n > 0 {
		s.QueueLatencyAvg = time.Duration(m.latSum.Load() / int64(n))
	}
	if s.Tasks > 0 {
		s.TaskTimeAvg = time.Duration(m.taskSum.Load() / int64(s.Tasks))
	}
	s.QueueLatencyMax = time.Duration(m.latMax.Load())
	s.TaskTimeMax = time.Duration(m.taskMax.Load())
}

// clamp turns a counter that a race may have left briefly negative into an
// int for a report.
func clamp(v int64) int {
	if v < 0 {
		return 0
	}
	return int(v)
}
