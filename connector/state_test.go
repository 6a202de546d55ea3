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
