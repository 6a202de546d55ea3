package container

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

type countedConn struct {
	told atomic.Int32
	done chan struct{}
}

func (c *countedConn) Shutdown()             { c.told.Add(1) }
func (c *countedConn) Done() <-chan struct{} { return c.done }

// The set's list under joins and leaves from many goroutines: those that
// left are neither told nor waited for, those that stayed are told once
// (though shutdownAll runs twice, as Shutdown then Close do), one that
// joins after is told as it joins, and Untrack twice does nothing.
func TestTakenOverSetList(t *testing.T) {
	var s takenOverSet
	const n = 200
	conns := make([]*countedConn, n)
	handles := make([]*takenOver, n)
	var wg sync.WaitGroup
	for i := range n {
		conns[i] = &countedConn{done: make(chan struct{})}
		wg.Go(func() {
			handles[i] = s.add(conns[i])
			if i%2 == 1 {
				handles[i].Untrack()
				handles[i].Untrack()
			}
		})
	}
	wg.Wait()
	if s.l.n != n/2 {
		t.Fatalf("%d in the set, want %d", s.l.n, n/2)
	}
	s.shutdownAll()
	s.shutdownAll()
	for i, c := range conns {
		if want := int32(1 - i%2); c.told.Load() != want {
			t.Errorf("connection %d told %d times, want %d", i, c.told.Load(), want)
		}
	}
	late := &countedConn{done: make(chan struct{})}
	s.add(late).Untrack()
	if late.told.Load() != 1 {
		t.Error("a connection joining during the shutdown is not told")
	}
	for i := 0; i < n; i += 2 {
		close(conns[i].done)
	}
	if err := s.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 2 {
		handles[i].Untrack()
	}
	if s.l.head != nil || s.l.n != 0 {
		t.Errorf("after every Untrack: head %p, %d left", s.l.head, s.l.n)
	}
}
