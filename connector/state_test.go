package connector

import (
	"sync"
	"testing"

	"github.com/wharf-go/wharf/internal/owner"
)

// TestTransition drives every event in every state: the legal edges lead
// where the table says, and every other pair is refused.
func TestTransition(t *testing.T) {
	legal := map[connState]map[connEvent]connState{
		connNew:      {evReady: connIdle, evReadable: connReading, evClose: connClosed},
		connIdle:     {evReadable: connReading, evClaim: connReading, evClose: connClosed},
		connReading:  {evWait: connIdle, evHead: connServing, evClose: connClosed},
		connServing:  {evSuspend: connDetached, evNext: connReading, evClose: connClosed},
		connDetached: {evNext: connReading, evClose: connClosed},
		connClosed:   {},
	}
	edges := 0
	for from := range numConnStates {
		for ev := range numConnEvents {
			want, wantOK := legal[from][ev]
			to, ok := transition(from, ev)
			if ok != wantOK || (ok && to != want) {
				t.Errorf("%v --%v--> %v, %v; want %v, %v", from, ev, to, ok, want, wantOK)
			}
			c := &conn{}
			c.st.Store(uint32(from))
			if fired := c.fire(ev); fired != wantOK {
				t.Errorf("fire(%v) in %v = %v, want %v", ev, from, fired, wantOK)
			}
			if want := map[bool]connState{true: want, false: from}[wantOK]; c.state() != want {
				t.Errorf("after %v in %v: state %v, want %v", ev, from, c.state(), want)
			}
			if wantOK {
				edges++
			}
		}
	}
	if edges != 14 {
		t.Errorf("%d legal edges, want 14", edges)
	}
	for s := range numConnStates {
		if s.String() == "" {
			t.Errorf("state %d has no name", s)
		}
	}
}

// TestMustPanics: an event its owner cannot have refused is a bug.
func TestMustPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("must(evHead) on a closed connection did not panic")
		}
	}()
	c := &conn{}
	c.must(evClose)
	c.must(evHead)
}

// TestClaimRace: of the goroutines that claim an idle connection at once
// (its own, Shutdown, Close, the idle timer, the selector), exactly one
// wins, and the connection is then Reading.
func TestClaimRace(t *testing.T) {
	for range 1000 {
		c := &conn{}
		c.must(evReady)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var reader owner.Goroutine // a second winner would panic in Acquire
		wins := 0
		for i := range 4 {
			wg.Go(func() {
				ev := evClaim
				if i == 0 {
					ev = evReadable
				}
				if c.fire(ev) {
					reader.Acquire()
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 || c.state() != connReading {
			t.Fatalf("%d claims won, state %v; want 1, Reading", wins, c.state())
		}
	}
}

// TestCloseOnce: of several goroutines closing a connection at once, one
// does it.
func TestCloseOnce(t *testing.T) {
	for range 1000 {
		c := &conn{}
		c.must(evReady)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 3 {
			wg.Go(func() {
				if c.fire(evClose) {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 || c.state() != connClosed {
			t.Fatalf("%d closes won, state %v; want 1, Closed", wins, c.state())
		}
	}
}

// TestHandoffTransition drives every handoff event in every state: the
// legal edges lead where the table says, every other pair is refused, and
// a refused fire changes nothing.
func TestHandoffTransition(t *testing.T) {
	type edge struct {
		to handoffState
		ok bool
	}
	want := [numHandoffStates][numHandoffEvents]edge{
		hoServing:  {hoLeave: {hoDetached, true}, hoFinish: {hoFinished, true}},
		hoDetached: {hoLeave: {hoDetached, false}, hoFinish: {hoFinished, true}},
		hoFinished: {hoLeave: {hoFinished, false}, hoFinish: {hoFinished, false}},
	}
	for s := range numHandoffStates {
		for ev := range numHandoffEvents {
			w := want[s][ev]
			to, ok := handoffTransition(s, ev)
			if ok != w.ok || (ok && to != w.to) {
				t.Errorf("%v on %v: %v, %v; want %v, %v", ev, s, to, ok, w.to, w.ok)
			}
			var h handoff
			h.v.Store(uint32(s))
			if from, ok := h.fire(ev); from != s || ok != w.ok || h.Load() != w.to {
				t.Errorf("fire %v on %v: found %v, %v, now %v; want %v, %v, %v", ev, s, from, ok, h.Load(), s, w.ok, w.to)
			}
		}
	}
}

// TestHandoffRace: the dispatching goroutine leaving and the finisher
// finishing at once, as a response finished on another goroutine races
// the return from the handler: exactly one of them continues the
// connection (the dispatching goroutine if its leave was refused, the
// finisher if it found the stream detached), and the stream ends Finished.
func TestHandoffRace(t *testing.T) {
	for range 1000 {
		var h handoff
		var wg sync.WaitGroup
		var next owner.Goroutine // a second one to continue would panic in Acquire
		var mu sync.Mutex
		continued := 0
		cont := func() {
			next.Acquire()
			mu.Lock()
			continued++
			mu.Unlock()
		}
		wg.Go(func() {
			if _, ok := h.fire(hoLeave); !ok {
				cont() // finished first: the connection goroutine goes on
			}
		})
		wg.Go(func() {
			if from, ok := h.fire(hoFinish); ok && from == hoDetached {
				cont()
			}
		})
		wg.Wait()
		if continued != 1 || h.Load() != hoFinished {
			t.Fatalf("%d continued, state %v; want 1, Finished", continued, h.Load())
		}
	}
}
