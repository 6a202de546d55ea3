package dispatcher_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A task run on the producing goroutine (PC, PIC), or the producer
// itself, that ends the goroutine with runtime.Goexit (t.FailNow in a
// handler under test) does not take production with it, as a panic does
// not: the next task is still produced and run. Before, the machine said a goroutine
// produced when none did, and nothing was produced again: an event loop
// run by the strategy (the epoll connector's selector) stopped for good.
func TestGoexitOnProducer(t *testing.T) {
	goexit := func() { runtime.Goexit() }
	tests := []struct {
		name  string
		first func() (dispatcher.Task, bool) // the producer's first answer
	}{
		{"NonBlocking task", func() (dispatcher.Task, bool) {
			return dispatcher.Task{Type: api.NonBlocking, Run: goexit}, true
		}},
		{"Either task run inline", func() (dispatcher.Task, bool) {
			return dispatcher.Task{Type: api.Either, Run: func() {}, RunNonBlocking: goexit}, true
		}},
		{"producer", func() (dispatcher.Task, bool) {
			goexit()
			return dispatcher.Task{}, false
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			next := make(chan struct{})
			p := dispatcher.ProducerFunc(func() (dispatcher.Task, bool) {
				switch calls.Add(1) {
				case 1:
					return tt.first()
				case 2:
					return dispatcher.Task{Type: api.NonBlocking, Run: func() { close(next) }}, true
				}
				return dispatcher.Task{}, false
			})
			s, _ := newStrategy(t, p, dispatcher.StrategyConfig{Reserved: -1})
			exited := make(chan struct{})
			go func() {
				defer close(exited)
				s.ProduceNonBlocking()
			}()
			wait(t, "the goroutine that called Goexit", exited)
			wait(t, "the task produced after the Goexit", next)
		})
	}
}

// A Blocking task the producing goroutine consumed itself (EPC: production
// handed to a reserved goroutine) that ends the goroutine with
// runtime.Goexit leaves production going: the handed producer goes on,
// and a later Produce produces again.
func TestGoexitInConsumedTask(t *testing.T) {
	var calls atomic.Int64
	ran := make(chan int64, 4)
	p := dispatcher.ProducerFunc(func() (dispatcher.Task, bool) {
		switch n := calls.Add(1); n {
		case 1:
			return dispatcher.Task{Type: api.Blocking, Run: func() { runtime.Goexit() }}, true
		case 3, 5:
			return dispatcher.Task{Type: api.NonBlocking, Run: func() { ran <- n }}, true
		}
		return dispatcher.Task{}, false
	})
	s, _ := newStrategy(t, p, dispatcher.StrategyConfig{Reserved: 1})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		s.Produce()
	}()
	wait(t, "the goroutine that called Goexit", exited)
	for _, want := range []int64{3, 5} {
		if want == 5 {
			wharftest.WaitFor(t, "the producer to say it has nothing", func() bool { return calls.Load() >= 4 })
			s.Produce()
		}
		select {
		case n := <-ran:
			if n != want {
				t.Fatalf("ran the task of call %d, want %d", n, want)
			}
		case <-time.After(wharftest.Patience):
			t.Fatalf("the task of call %d never ran (%d calls)", want, calls.Load())
		}
	}
}
