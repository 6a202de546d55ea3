package dispatcher_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
)

// countdown produces n copies of one task, allocation-free.
type countdown struct {
	n    int
	task dispatcher.Task
}

func (c *countdown) Produce() (dispatcher.Task, bool) {
	if c.n == 0 {
		return dispatcher.Task{}, false
	}
	c.n--
	return c.task, true
}

// TestAllocs proves the hot paths allocate nothing in steady state: the
// production loop with NonBlocking tasks (PC), and Execute on a bounded
// executor whose worker is running.
func TestAllocs(t *testing.T) {
	t.Run("PC", func(t *testing.T) {
		var ran int
		p := &countdown{task: dispatcher.Task{Type: api.NonBlocking, Run: func() { ran++ }}}
		s, _ := newStrategy(t, p, dispatcher.StrategyConfig{})
		allocs := testing.AllocsPerRun(100, func() {
			p.n = 10
			s.Produce()
		})
		if allocs != 0 || ran != 1010 {
			t.Fatalf("%v allocations per 10 tasks (ran %d)", allocs, ran)
		}
	})
	t.Run("BoundedExecutor.Execute", func(t *testing.T) {
		ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 2})
		closeExecutor(t, ex)
		var wg sync.WaitGroup
		task := dispatcher.Task{Run: wg.Done}
		step := func() {
			wg.Add(1)
			if err := ex.Execute(task); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
		}
		for range 10 {
			step() // start the workers and their timers
		}
		if allocs := testing.AllocsPerRun(1000, step); allocs != 0 {
			t.Fatalf("%v allocations per Execute", allocs)
		}
	})
}

// BenchmarkStrategyPC: NonBlocking tasks consumed by the producing
// goroutine.
func BenchmarkStrategyPC(b *testing.B) {
	p := &countdown{task: dispatcher.Task{Type: api.NonBlocking, Run: func() {}}}
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{})
	s := dispatcher.NewStrategy(p, ex, dispatcher.StrategyConfig{})
	b.ReportAllocs()
	p.n = b.N
	b.ResetTimer()
	s.Produce()
	b.StopTimer()
	s.Close()
	ex.Close(context.Background())
}

// BenchmarkStrategyBlocking: trivial Blocking tasks, with reserved
// goroutines (EPC when one is parked, else PEC) and without (PEC only).
func BenchmarkStrategyBlocking(b *testing.B) {
	for _, bc := range []struct {
		name     string
		reserved int
	}{{"adaptive", 0}, {"PEC", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			var wg sync.WaitGroup
			p := &countdown{task: dispatcher.Task{Type: api.Blocking, Run: wg.Done}}
			ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{QueueSize: -1})
			s := dispatcher.NewStrategy(p, ex, dispatcher.StrategyConfig{Reserved: bc.reserved})
			b.ReportAllocs()
			wg.Add(b.N)
			p.n = b.N
			b.ResetTimer()
			s.Produce()
			wg.Wait()
			b.StopTimer()
			s.Close()
			ex.Close(context.Background())
		})
	}
}

// BenchmarkExecute: submitting tasks from parallel goroutines, waiting for
// them in batches.
func BenchmarkExecute(b *testing.B) {
	for _, bc := range []struct {
		name string
		make func() dispatcher.Executor
	}{
		{"bounded", func() dispatcher.Executor {
			return dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{QueueSize: -1})
		}},
		{"unbounded", func() dispatcher.Executor {
			return dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{})
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ex := bc.make()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var wg sync.WaitGroup
				task := dispatcher.Task{Run: wg.Done}
				n := 0
				for pb.Next() {
					wg.Add(1)
					if err := ex.Execute(task); err != nil {
						b.Fatal(err)
					}
					if n++; n%256 == 0 {
						wg.Wait()
					}
				}
				wg.Wait()
			})
			b.StopTimer()
			ex.Close(context.Background())
		})
	}
}

// BenchmarkExecuteRoundTrip: one task at a time, Execute to completion:
// a task handed to the worker that waits idle.
func BenchmarkExecuteRoundTrip(b *testing.B) {
	for _, bc := range []struct {
		name string
		make func() dispatcher.Executor
	}{
		{"bounded", func() dispatcher.Executor { return dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{}) }},
		{"unbounded", func() dispatcher.Executor { return dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{}) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ex := bc.make()
			var wg sync.WaitGroup
			task := dispatcher.Task{Run: wg.Done}
			b.ReportAllocs()
			for b.Loop() {
				wg.Add(1)
				ex.Execute(task)
				wg.Wait()
			}
			ex.Close(context.Background())
		})
	}
}

// BenchmarkDeepTask: one task at a time on a new goroutine, a task that
// goes 2 KiB down its stack in frames of about 256 bytes, as a handler on
// its way to the socket does. Where its stack grows decides the cost: at
// the top of the worker (reserveStack), or under a dozen frames.
func BenchmarkDeepTask(b *testing.B) {
	ex := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{MaxIdle: -1})
	done := make(chan struct{})
	task := dispatcher.Task{Run: func() { useStack(2048); done <- struct{}{} }}
	b.ReportAllocs()
	for b.Loop() {
		ex.Execute(task)
		<-done
	}
	ex.Close(context.Background())
}

// BenchmarkBlockingWaves runs deep tasks that block, 256 at once, in
// waves: each wave's tasks wait together and are released together, as
// the handlers of many requests asleep on their timers are, and the next
// wave comes once they are done. With a surplus, the goroutines a wave
// leaves run the next; without one, all but MaxIdle exit and each wave
// starts and grows 240 goroutines again.
func BenchmarkBlockingWaves(b *testing.B) {
	const wave = 256
	for _, bc := range []struct {
		name    string
		surplus time.Duration
	}{{"surplus", 0}, {"none", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			ex := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{SurplusIdleTimeout: bc.surplus})
			var wg sync.WaitGroup
			b.ReportAllocs()
			for i := 0; i < b.N; i += wave {
				gate := make(chan struct{})
				n := min(wave, b.N-i)
				wg.Add(n)
				for range n {
					ex.Execute(dispatcher.Task{Run: func() { <-gate; useStack(2048); wg.Done() }})
				}
				close(gate)
				wg.Wait()
			}
			b.StopTimer()
			ex.Close(context.Background())
		})
	}
}
