package connector

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/netpoll"
	"github.com/wharf-go/wharf/internal/timerwheel"
)

// countFirer counts its firings.
type countFirer struct {
	t timerwheel.Timer
	n atomic.Int32
}

func (c *countFirer) Fire(uint32) { c.n.Add(1) }

// The selector's timerfd drives its wheel; once the selector stops, the
// timers still filed fire all the same (a runtime timer drives the wheel),
// and timers filed after the stop too.
func TestSelectorTimersOutliveItsStop(t *testing.T) {
	s, err := newSelector(&Server{})
	if err != nil {
		t.Fatal(err)
	}
	before, after, late := &countFirer{}, &countFirer{}, &countFirer{}
	for _, c := range []*countFirer{before, after, late} {
		c.t.Init(c)
	}
	s.wheel.Schedule(&before.t, 10*time.Millisecond, 0)
	s.wheel.Schedule(&after.t, 300*time.Millisecond, 0)

	// Produce, as the selector's goroutine does, until the first fires.
	events := make([]netpoll.Event, 8)
	deadline := time.Now().Add(5 * time.Second)
	for before.n.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the timerfd never woke the selector for its timer")
		}
		n, err := s.poll.Wait(events)
		if err != nil {
			t.Fatal(err)
		}
		s.polled = time.Now()
		for i := range events[:n] {
			s.handle(&events[i])
		}
	}
	s.cleanup() // the selector stops: its timerfd and epoll instance close
	s.wheel.Schedule(&late.t, 20*time.Millisecond, 0)
	for after.n.Load() == 0 || late.n.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after the stop: the earlier timer fired %d times, the later %d", after.n.Load(), late.n.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if before.n.Load() != 1 || after.n.Load() != 1 || late.n.Load() != 1 {
		t.Fatalf("fired %d, %d, %d times; want once each", before.n.Load(), after.n.Load(), late.n.Load())
	}
}
