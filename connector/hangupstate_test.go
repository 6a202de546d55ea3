package connector

import (
	"sync"
	"testing"

	"github.com/wharf-go/wharf/internal/owner"
)

// TestHangupTransition drives every hang-up watch event in every state:
// the legal edges lead where the table says, and every other pair is
// refused and changes nothing.
func TestHangupTransition(t *testing.T) {
	type edge struct {
		to hangupState
		ok bool
	}
	want := [numHangupStates][numHangupEvents]edge{
		hwIdle:    {hwArm: {hwArmed, true}, hwStart: {hwIdle, false}, hwEnd: {hwIdle, true}},
		hwArmed:   {hwArm: {hwArmed, false}, hwStart: {hwReading, true}, hwEnd: {hwIdle, true}},
		hwReading: {hwArm: {hwReading, false}, hwStart: {hwReading, false}, hwEnd: {hwIdle, true}},
	}
	for s := range numHangupStates {
		if s.String() == "" {
			t.Errorf("state %d has no name", s)
		}
		for ev := range numHangupEvents {
			w := want[s][ev]
			if to, ok := hangupTransition(s, ev); to != w.to || ok != w.ok {
				t.Errorf("%v on %v: %v, %v; want %v, %v", ev, s, to, ok, w.to, w.ok)
			}
			hw := hangupWatch{state: s}
			if ok := hw.fire(ev); ok != w.ok || hw.state != w.to {
				t.Errorf("fire %v on %v: %v, now %v; want %v, %v", ev, s, ok, hw.state, w.ok, w.to)
			}
		}
	}
}

// TestHangupRace runs the hang-up watch's protocol on its machine alone:
// a dispatch arms the watch and ends it, twice (two requests of a
// connection), while two timer callbacks (the second one's Stop came too
// late) start the read, which reports on done, as startWatch does, and
// endWatch waits for it under hw.mu. Every fire agrees with the table; at
// most one read runs at a time (a second reader would panic in Acquire);
// each read begun is waited for by the end of its dispatch (done is empty
// after, and nothing hangs); hwEnd is never refused; and the watch ends
// Idle.
func TestHangupRace(t *testing.T) {
	for range 1000 {
		hw := hangupWatch{done: make(chan struct{}, 1)}
		var reader owner.Goroutine // the goroutine reading the socket for the watch
		fire := func(ev hangupEvent) (hangupState, bool) {
			from := hw.state
			ok := hw.fire(ev)
			if to, legal := hangupTransition(from, ev); ok != legal || hw.state != to {
				t.Errorf("fire %v in %v: %v, now %v; the table says %v, %v", ev, from, ok, hw.state, legal, to)
			}
			return from, ok
		}
		start := make(chan struct{}) // so that they do race
		timer := func() {
			<-start
			hw.mu.Lock()
			_, ok := fire(hwStart)
			hw.mu.Unlock()
			if ok {
				reader.Acquire()
				reader.Release()
				hw.done <- struct{}{}
			}
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			<-start
			for range 2 {
				hw.mu.Lock()
				fire(hwArm)
				hw.mu.Unlock()
				hw.mu.Lock()
				from, ok := fire(hwEnd)
				if !ok {
					t.Errorf("hwEnd refused in %v", from)
				}
				if from == hwReading {
					<-hw.done
				}
				hw.mu.Unlock()
			}
		})
		wg.Go(timer)
		wg.Go(timer)
		close(start)
		wg.Wait()
		if hw.state != hwIdle || len(hw.done) != 0 {
			t.Fatalf("watch %v with %d reads not waited for; want Idle, none", hw.state, len(hw.done))
		}
	}
}
