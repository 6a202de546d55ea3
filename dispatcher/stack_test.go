package dispatcher_test

import (
	"context"
	"runtime/debug"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// useStack needs about n bytes of stack below its caller.
//
//go:noinline
func useStack(n int) byte {
	if n <= 0 {
		return 0
	}
	var b [256]byte
	b[n%len(b)] = byte(n)
	return b[(n*7)%len(b)] + useStack(n-len(b))
}

// deepTask is a task that needs about 2 KiB of stack (1 KiB of its own
// frames under the race detector, whose instrumentation widens the frames
// around them) and reports whether its stack moved (grew by copying) while
// it ran.
func deepTask(moved chan<- bool) dispatcher.Task {
	need := 2048
	if wharftest.RaceEnabled {
		need = 1024
	}
	return dispatcher.Task{Run: func() {
		before := wharftest.StackAddr()
		useStack(need)
		moved <- wharftest.StackAddr() != before
	}}
}

// movesOnNewGoroutine reports whether a deep task's stack moves on a
// goroutine of its own: whether goroutines start too small for it, which
// the tests below need (the runtime may start them larger, at its running
// average of stack sizes).
func movesOnNewGoroutine() bool {
	moved := make(chan bool)
	go deepTask(moved).Run()
	return <-moved
}

// stackExecutors are the executors whose workers the tests below watch.
// With each comes wait, which returns once its last worker has exited
// (in a synctest bubble), so that the next task starts on a new goroutine,
// with the runtime's starting stack. A worker that has waited for a task
// may have a larger one, grown by the runtime and not by any task: the
// bounded worker's select on its idle timer adds the timer to its P's
// heap, whose slice now and then grows by the allocator's slow path
// (mcache refill), more than 2 KiB deep.
var stackExecutors = []struct {
	name string
	new  func(t *testing.T) (ex dispatcher.Executor, wait func())
}{
	{"unbounded", func(t *testing.T) (dispatcher.Executor, func()) {
		return dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{MaxIdle: -1}), synctest.Wait
	}},
	{"bounded", func(t *testing.T) (dispatcher.Executor, func()) {
		ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, MinWorkers: -1, IdleTimeout: time.Second})
		return ex, func() {
			time.Sleep(2 * time.Second) // the worker exits
			synctest.Wait()
			if n := ex.Stats().Workers; n != 0 {
				t.Fatalf("%d workers left, want 0", n)
			}
		}
	}},
}

// Once an executor's task has grown its worker's stack, its workers make
// room before every task, while their stacks are shallow, so that a deep
// task (a handler on its way to the socket) does not grow the stack by
// copying from deep inside: on the executors' new goroutines (every task's
// here) and on the goroutine a Strategy runs a rejected task on. Without
// the room (reserveStack, or the gauge that calls it), every task after
// the first fails: a new goroutine's 2 KiB stack moves as the task grows
// it.
func TestWorkerStackRoom(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // a collection may shrink a stack and move it
	if !movesOnNewGoroutine() {
		t.Skip("goroutines start with room for the task already")
	}
	// Three deep tasks, each on a new goroutine; the first teaches the
	// executor that its tasks are deep.
	for _, se := range stackExecutors {
		t.Run(se.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ex, wait := se.new(t)
				moved := make(chan bool)
				for i := range 3 {
					if err := ex.Execute(deepTask(moved)); err != nil {
						t.Fatal(err)
					}
					if <-moved && i > 0 {
						t.Errorf("task %d: the stack moved while the task ran", i)
					}
					wait()
				}
				if err := ex.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
	// A Strategy runs a task its executor rejected on a goroutine of its
	// own, with room made whatever the executor has learnt: the second of
	// two, with the one worker held and room for one in its queue. The
	// worker is held before the strategy produces: a worker that has not
	// yet taken its task leaves the queue full, and which task is
	// rejected would then depend on when it starts.
	t.Run("rejected", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, QueueSize: 1})
			p := &queueProducer{}
			s := dispatcher.NewStrategy(p, ex, dispatcher.StrategyConfig{Reserved: -1})
			rejected := make(chan bool)
			block, held := make(chan struct{}), make(chan struct{})
			if err := ex.Execute(dispatcher.Task{Run: func() { close(held); <-block }}); err != nil {
				t.Fatal(err)
			}
			<-held
			p.add(dispatcher.Task{Run: func() {}}) // queued
			p.add(deepTask(rejected))              // rejected: a goroutine of its own
			s.Produce()
			if <-rejected {
				t.Error("the rejected task's stack moved while it ran")
			}
			close(block)
			if s.Stats().Rejected == 0 {
				t.Error("no task was rejected")
			}
			s.Close()
			if err := ex.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// A goroutine of an executor whose tasks are deep makes room on its stack
// once, not before each task: a stack that has not moved since the room
// was made still has it (a collection that shrinks the stack, and a task
// that grows it further, move it, and room is made again). So a flow of
// deep tasks on an idle goroutine, the blocking requests of a server,
// makes room for its first task after the one that taught the executor.
func TestWorkerStackRoomOnce(t *testing.T) {
	if wharftest.RaceEnabled {
		// The wider frames grow a worker's stack before its first task
		// starts, so that no task is seen to move it and the executor
		// never learns its tasks are deep: room was made 0 times.
		t.Skip("the race detector's wider frames grow a worker's stack before its task starts; test.sh runs this without it")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // a collection may shrink a stack and move it
	if !movesOnNewGoroutine() {
		t.Skip("goroutines start with room for the task already")
	}
	reserves, restore := dispatcher.CountReserves()
	defer restore()
	synctest.Test(t, func(t *testing.T) {
		ex := dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{})
		moved := make(chan bool)
		for i := range 6 {
			if err := ex.Execute(deepTask(moved)); err != nil {
				t.Fatal(err)
			}
			if <-moved && i > 1 {
				t.Errorf("task %d: the stack moved while the task ran", i)
			}
			synctest.Wait() // the goroutine waits idle for the next task
		}
		if n := ex.Stats().Workers; n != 1 {
			t.Fatalf("%d goroutines ran the tasks, want one", n)
		}
		// The first task taught the executor; room is made before the
		// second, which the stack then has for the others.
		if n := reserves(); n != 1 {
			t.Errorf("room made %d times for 5 deep tasks on one goroutine, want 1", n)
		}
		if err := ex.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// An executor whose tasks stay shallow makes no room before them: growing
// a new goroutine's stack a task would not have grown costs more than a
// small task. After shallow tasks, a deep one still grows its stack. It
// runs on a new goroutine (see stackExecutors): the test asserts what the
// executor does, not what the runtime did to a worker's stack meanwhile.
func TestWorkerStackNoRoomForShallowTasks(t *testing.T) {
	if wharftest.RaceEnabled {
		t.Skip("the race detector's wider frames grow a worker's stack before its task starts; test.sh runs this without it")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	if !movesOnNewGoroutine() {
		t.Skip("goroutines start with room for the task already")
	}
	for _, se := range stackExecutors {
		t.Run(se.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ex, wait := se.new(t)
				// Buffered, so that a shallow task never parks: a parked
				// sender's sudog may come from the allocator's slow path
				// and grow the stack within the task.
				done := make(chan struct{}, 1)
				for range 3 {
					if err := ex.Execute(dispatcher.Task{Run: func() { done <- struct{}{} }}); err != nil {
						t.Fatal(err)
					}
					<-done
				}
				wait()
				moved := make(chan bool)
				if err := ex.Execute(deepTask(moved)); err != nil {
					t.Fatal(err)
				}
				if !<-moved {
					t.Error("a deep task after shallow ones found room made for it")
				}
				if err := ex.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}
