package container

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestLimiterStorm races admissions, places given back and clients
// leaving (before admission and while waiting) on the limiter alone: at
// no time do more than max requests hold a place, every request ends
// exactly once (run, refused, or dropped), and at the end no place is
// held and nothing waits.
func TestLimiterStorm(t *testing.T) {
	const (
		maxRunning = 4
		queue      = 8
		workers    = 16
		perWorker  = 2000
	)
	var l limiter
	l.init(maxRunning, queue)
	var running, peak, ran, refused, droppedN atomic.Int64
	var ended sync.Map // *exchange → struct{}: each ends once
	end := func(x *exchange) {
		if _, dup := ended.LoadOrStore(x, struct{}{}); dup {
			t.Errorf("a request ended twice")
		}
		if x.wait != nil {
			t.Errorf("a request ended still holding its place in the queue")
		}
	}
	// run holds x's place a moment, gives it back, and runs whoever it
	// is handed to, as the container does on its executor.
	run := func(x *exchange) {
		for x != nil {
			if !x.holds {
				t.Error("a request runs without a place")
			}
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			runtime.Gosched()
			running.Add(-1)
			ran.Add(1)
			end(x)
			x = l.leave()
		}
	}
	drain := func() {
		for x := l.nextDrop(); x != nil; x = l.nextDrop() {
			droppedN.Add(1)
			end(x)
		}
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range perWorker {
				x := &exchange{}
				leaves := rng.IntN(4) == 0
				if leaves && rng.IntN(2) == 0 {
					l.gone(x) // before its admission
				}
				a, next := l.enter(x)
				if next != nil {
					go run(next)
				}
				switch a {
				case admitted:
					run(x)
				case rejected:
					refused.Add(1)
					end(x)
				case dropped:
					droppedN.Add(1)
					end(x)
				case queued:
					if leaves {
						if handled, start := l.gone(x); handled && start {
							drain()
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	// Some waiting requests may have been handed a place after the last
	// run returned: those goroutines end on their own.
	for {
		r, w, _ := l.counts()
		if r == 0 && w == 0 {
			break
		}
		runtime.Gosched()
	}
	drain()
	total := int64(workers * perWorker)
	if got := ran.Load() + refused.Load() + droppedN.Load(); got != total {
		t.Errorf("%d requests ended (%d ran, %d refused, %d dropped), want %d", got, ran.Load(), refused.Load(), droppedN.Load(), total)
	}
	if p := peak.Load(); p > maxRunning {
		t.Errorf("%d requests held a place at once, want at most %d", p, maxRunning)
	}
	if l.head != nil || l.tail != nil || l.drops != nil {
		t.Error("the queue is not empty")
	}
	if _, _, rej := l.counts(); rej != refused.Load() {
		t.Errorf("counts report %d refused, the storm %d", rej, refused.Load())
	}
	t.Logf("%d ran, %d refused, %d dropped; peak %d running", ran.Load(), refused.Load(), droppedN.Load(), peak.Load())
}

// The defaults: zero means DefaultMaxHandlers with ten times as many
// waiting; negative means no limit, or no queue.
func TestLimiterDefaults(t *testing.T) {
	tests := []struct {
		max, queue            int
		wantMax, wantQueueMax uint64
	}{
		{0, 0, DefaultMaxHandlers, DefaultHandlerQueueFactor * DefaultMaxHandlers},
		{5, 0, 5, 50},
		{5, 3, 5, 3},
		{5, -1, 5, 0},
		{-1, 0, 0, 0},
	}
	for _, tt := range tests {
		c := New(WithMaxHandlers(tt.max), WithHandlerQueue(tt.queue))
		if c.lim.max != tt.wantMax || c.lim.queueMax != tt.wantQueueMax {
			t.Errorf("WithMaxHandlers(%d), WithHandlerQueue(%d): max %d, queue %d; want %d, %d",
				tt.max, tt.queue, c.lim.max, c.lim.queueMax, tt.wantMax, tt.wantQueueMax)
		}
	}
}
