package dispatcher_test

import (
	"context"
	"runtime/debug"
	"testing"
	"testing/synctest"
	"unsafe"

	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// stackAddr is the address of a byte in its own frame.
//
//go:noinline
func stackAddr() uintptr {
	var b byte
	return uintptr(unsafe.Pointer(&b))
}

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
		before := stackAddr()
		useStack(need)
		moved <- stackAddr() != before
	}}
}

// A worker makes room on its stack before each task, while the stack is
// shallow, so that a task needing a few KiB (a handler on its way to the
// socket) does not grow it by copying from deep inside: each executor's
// new goroutines (every task's, with no idle goroutine kept), and the
// goroutine a Strategy runs a rejected task on. Without reserveStack the
// first task of each case fails, and every task of "unbounded, none
// idle": a new goroutine's 2 KiB stack moves as the task grows it.
func TestTaskStackReserved(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // a collection may shrink a stack and move it
	run := func(t *testing.T, ex dispatcher.Executor) {
		moved := make(chan bool)
		for i := range 3 { // a new goroutine, then (idle ones kept) reused ones
			if err := ex.Execute(deepTask(moved)); err != nil {
				t.Fatal(err)
			}
			if <-moved {
				t.Errorf("task %d: the stack moved while the task ran", i)
			}
			synctest.Wait() // the worker turns idle, to be reused
		}
		if err := ex.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("unbounded", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) { run(t, dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{})) })
	})
	t.Run("unbounded, none idle", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) { run(t, dispatcher.NewUnboundedExecutor(dispatcher.UnboundedConfig{MaxIdle: -1})) })
	})
	t.Run("bounded", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) { run(t, dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{})) })
	})
	// A Strategy runs a task its executor rejected on a goroutine of its
	// own: of three, with one worker and room for one in its queue.
	t.Run("rejected", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ex := dispatcher.NewBoundedExecutor(dispatcher.BoundedConfig{MaxWorkers: 1, QueueSize: 1})
			p := &queueProducer{}
			s := dispatcher.NewStrategy(p, ex, dispatcher.StrategyConfig{Reserved: -1})
			moved := make(chan bool)
			for range 3 {
				p.add(deepTask(moved))
			}
			s.Produce()
			for i := range 3 {
				if <-moved {
					t.Errorf("task %d: the stack moved while the task ran", i)
				}
			}
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
