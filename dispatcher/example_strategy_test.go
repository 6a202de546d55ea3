package dispatcher_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
)

// A pool of at most 4 goroutines runs 100 tasks; Close waits for them. The
// queue holds all 100: with the default (10*MaxWorkers = 40) a burst this
// fast would get some ErrRejected.
func ExampleBoundedExecutor() {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 4, QueueSize: 100})
	var sum atomic.Int64
	for i := range 100 {
		if err := ex.Execute(dispatcher.Task{Run: func() { sum.Add(int64(i)) }}); err != nil {
			fmt.Println(err)
		}
	}
	ex.Close(context.Background())
	s := ex.Stats()
	fmt.Println("sum:", sum.Load())
	fmt.Println("tasks:", s.Tasks, "rejected:", s.Rejected, "at most 4 at once:", s.BusyMax <= 4)
	// Output:
	// sum: 4950
	// tasks: 100 rejected: 0 at most 4 at once: true
}

// A connection-like producer: parsing frames never blocks, so the
// producing goroutine runs those tasks itself (PC); a handler may block, so
// it runs either on this goroutine after a reserved goroutine took over
// production (EPC) or on the executor (PEC).
func ExampleStrategy() {
	ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 8})
	defer ex.Close(context.Background()) // after the strategy's Close

	var mu sync.Mutex
	var pending []dispatcher.Task
	producer := dispatcher.ProducerFunc(func() (dispatcher.Task, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(pending) == 0 {
			return dispatcher.Task{}, false
		}
		t := pending[0]
		pending = pending[1:]
		return t, true
	})
	s := dispatcher.NewStrategy(producer, ex, dispatcher.StrategyConfig{})
	defer s.Close()

	// Whoever has new work queues it and asks for production.
	submit := func(t dispatcher.Task) {
		mu.Lock()
		pending = append(pending, t)
		mu.Unlock()
		s.Produce()
	}

	submit(dispatcher.Task{Type: api.NonBlocking, Run: func() { fmt.Println("frame parsed") }})
	var handled sync.WaitGroup
	handled.Add(1)
	submit(dispatcher.Task{Type: api.Blocking, Run: func() {
		defer handled.Done()
		fmt.Println("request handled")
	}})
	handled.Wait()

	st := s.Stats()
	fmt.Println("PC:", st.PC, "EPC+PEC:", st.EPC+st.PEC)
	// Output:
	// frame parsed
	// request handled
	// PC: 1 EPC+PEC: 1
}

// A goroutine for every task at once, for work bounded elsewhere.
func ExampleUnboundedExecutor() {
	ex := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{})
	done := make(chan string)
	ex.Execute(dispatcher.Task{Run: func() { done <- "ran on its own goroutine" }})
	fmt.Println(<-done)
	ex.Close(context.Background())
	// Output: ran on its own goroutine
}

// Goroutines beyond MaxIdle wait SurplusIdleTimeout for the next tasks,
// with the stacks their tasks grew, before they exit.
func ExampleUnboundedConfig() {
	ex := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{MaxIdle: 1, SurplusIdleTimeout: time.Minute})
	release := make(chan struct{})
	for range 4 {
		ex.Execute(dispatcher.Task{Run: func() { <-release }})
	}
	fmt.Println("busy:", ex.Stats().Busy)
	close(release)
	for ex.Stats().Busy > 0 {
		time.Sleep(time.Millisecond)
	}
	fmt.Println("goroutines kept for the next tasks:", ex.Stats().Workers)
	ex.Close(context.Background())
	fmt.Println("after Close:", ex.Stats().Workers)
	// Output:
	// busy: 4
	// goroutines kept for the next tasks: 4
	// after Close: 0
}
