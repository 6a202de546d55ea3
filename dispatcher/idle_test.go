package dispatcher

import (
	"fmt"
	"testing"
)

func newIdlers(n int) []*idler {
	ws := make([]*idler, n)
	for i := range ws {
		ws[i] = &idler{ch: make(chan timedTask, 1), since: int64(i)}
	}
	return ws
}

// ended reports whether w was told to exit, and takes the word back so w
// can be pushed again.
func ended(w *idler) bool {
	select {
	case tt := <-w.ch:
		return tt.t.Run == nil
	default:
		return false
	}
}

// checkIdle fails t unless q holds want, bottom first, and nothing outside
// its live part, ended or popped, is still referenced.
func checkIdle(t *testing.T, q *idleStack, want []*idler) {
	t.Helper()
	if q.len() != len(want) {
		t.Fatalf("len %d, want %d", q.len(), len(want))
	}
	for i, w := range want {
		if q.s[q.low+i] != w {
			t.Fatalf("entry %d is idle since %d, want %d", i, q.s[q.low+i].since, w.since)
		}
	}
	for _, w := range append(q.s[:q.low:q.low], q.s[len(q.s):cap(q.s)]...) {
		if w != nil {
			t.Fatalf("an entry no longer idle (idle since %d) is still referenced", w.since)
		}
	}
}

// checkPrefix fails t unless the ended prefix of q, right after an expire,
// is shorter than its live part or gone: the bound that makes the moves
// of compacting cost at most one per goroutine ended.
func checkPrefix(t *testing.T, q *idleStack) {
	t.Helper()
	if q.low != 0 && q.low >= q.len() {
		t.Fatalf("%d ended entries kept before %d live ones", q.low, q.len())
	}
}

// The stack's two ends: pop takes the most recently idle, expire ends the
// longest idle first and stops at the first one idle since after the cut,
// or, with a surplus cut, at the first one it keeps: idle since after the
// cut and after the surplus cut, or one of the last above.
func TestIdleStack(t *testing.T) {
	ws := newIdlers(6)
	tests := []struct {
		name   string
		pushes []int // indexes into ws, in order
		pops   int
		cut    int64 // expire(cut) after the pops; -1 for none
		// surplus, if set, expires with surplusCut and above; else
		// with a surplus cut that ends nothing more.
		surplus    bool
		surplusCut int64
		above      int
		popped     []int // what the pops return, in order
		ends       []int // what expire ends
		left       []int // the stack after, bottom first
		low        int   // the ended prefix left in place
	}{
		{name: "empty pop", pops: 1, cut: -1, popped: []int{-1}},
		{name: "pop is last in", pushes: []int{0, 1, 2}, pops: 2, cut: -1, popped: []int{2, 1}, left: []int{0}},
		{name: "expire from the bottom", pushes: []int{0, 1, 2, 3, 4}, cut: 1, ends: []int{0, 1}, left: []int{2, 3, 4}, low: 2},
		{name: "expire stops at a later one", pushes: []int{0, 3, 1, 4}, cut: 2, ends: []int{0}, left: []int{3, 1, 4}, low: 1},
		{name: "expire half compacts", pushes: []int{0, 1, 2, 3}, cut: 1, ends: []int{0, 1}, left: []int{2, 3}},
		{name: "expire all", pushes: []int{0, 1, 2}, cut: 5, ends: []int{0, 1, 2}},
		{name: "expire none", pushes: []int{3, 4}, cut: 2, left: []int{3, 4}},
		{name: "pops then expire", pushes: []int{0, 1, 2, 3, 4}, pops: 2, cut: 0, popped: []int{4, 3}, ends: []int{0}, left: []int{1, 2}, low: 1},
		{name: "surplus ends down to above", pushes: []int{1, 2, 3, 4, 5}, cut: 0, surplus: true, surplusCut: 4, above: 2, ends: []int{1, 2, 3}, left: []int{4, 5}},
		{name: "surplus stops at a later one", pushes: []int{1, 5, 2, 3}, cut: 0, surplus: true, surplusCut: 3, ends: []int{1}, left: []int{5, 2, 3}, low: 1},
		{name: "surplus none past its cut", pushes: []int{3, 4}, cut: 0, surplus: true, surplusCut: 2, left: []int{3, 4}},
		{name: "timeout ends below above", pushes: []int{1, 2, 3}, cut: 2, surplus: true, surplusCut: 3, above: 2, ends: []int{1, 2}, left: []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q idleStack
			for _, i := range tt.pushes {
				q.push(ws[i])
			}
			for k := range tt.pops {
				w, want := q.pop(), tt.popped[k]
				if (want < 0) != (w == nil) || want >= 0 && w != ws[want] {
					t.Fatalf("pop %d = %v, want entry %d", k, w, want)
				}
			}
			switch {
			case tt.surplus:
				q.expire(tt.cut, tt.surplusCut, tt.above, DefaultMaxIdle)
			case tt.cut >= 0:
				q.expire(tt.cut, tt.cut, 0, DefaultMaxIdle)
			}
			for _, i := range tt.pushes {
				want := false
				for _, e := range tt.ends {
					want = want || e == i
				}
				if got := ended(ws[i]); got != want {
					t.Errorf("entry %d (idle since %d) ended %v, want %v", i, ws[i].since, got, want)
				}
			}
			var left []*idler
			for _, i := range tt.left {
				left = append(left, ws[i])
			}
			checkIdle(t, &q, left)
			if q.low != tt.low {
				t.Fatalf("ended prefix %d, want %d", q.low, tt.low)
			}
		})
	}
}

// An emptied stack keeps an array no larger than keep, for the next
// goroutines, and lets a larger one go; emptied by pop with an ended
// prefix, it starts again at the array's start.
func TestIdleStackEmptied(t *testing.T) {
	ws := newIdlers(20)
	var q idleStack
	for _, w := range ws[:4] {
		q.push(w)
	}
	q.expire(10, 10, 0, DefaultMaxIdle)
	if q.s == nil || cap(q.s) > DefaultMaxIdle || q.low != 0 {
		t.Fatalf("a small stack expired whole: cap %d, nil %v, prefix %d", cap(q.s), q.s == nil, q.low)
	}
	for _, w := range ws[:4] {
		<-w.ch
	}
	for _, w := range ws {
		q.push(w)
	}
	q.expire(100, 100, 0, DefaultMaxIdle)
	if q.s != nil {
		t.Fatalf("a stack of 20 expired whole kept its array (cap %d)", cap(q.s))
	}
	for _, w := range ws {
		<-w.ch
	}
	for _, w := range ws[:3] {
		q.push(w)
	}
	q.expire(0, 0, 0, DefaultMaxIdle) // one ended, two live: left in place
	if q.low != 1 {
		t.Fatalf("prefix %d, want 1", q.low)
	}
	<-ws[0].ch
	q.pop()
	q.pop()
	if q.len() != 0 || q.low != 0 || len(q.s) != 0 {
		t.Fatalf("emptied by pop: len %d, prefix %d, array len %d", q.len(), q.low, len(q.s))
	}
	checkIdle(t, &q, nil)
}

// Ending goroutines one reap at a time, with pushes and pops between,
// keeps the order, and right after each reap the ended prefix is shorter
// than the live part, so the work per goroutine ended stays constant
// (BenchmarkIdleExpire).
func TestIdleStackOneAtATime(t *testing.T) {
	const n = 2000
	ws := newIdlers(n + n/2)
	var q idleStack
	for _, w := range ws[:n] {
		q.push(w)
	}
	live := append([]*idler(nil), ws[:n]...)
	next := n
	for cut := int64(0); len(live) > 0; cut++ {
		q.expire(cut, cut, 0, DefaultMaxIdle)
		if live[0].since <= cut {
			if !ended(live[0]) {
				t.Fatalf("cut %d: the bottom (idle since %d) not ended", cut, live[0].since)
			}
			live = live[1:]
		}
		checkPrefix(t, &q)
		switch {
		case cut%4 == 0 && next < len(ws): // a goroutine turns idle, another takes a task
			q.push(ws[next])
			live = append(live, ws[next])
			next++
			if w := q.pop(); w != ws[next-1] {
				t.Fatalf("cut %d: pop did not take the last pushed", cut)
			}
			live = live[:len(live)-1]
		case cut%7 == 0 && len(live) > 0: // a task takes the top
			if w := q.pop(); w != live[len(live)-1] {
				t.Fatalf("cut %d: pop did not take the top", cut)
			}
			live = live[:len(live)-1]
		}
		checkIdle(t, &q, live)
	}
	if q.s != nil {
		t.Fatalf("an emptied stack kept its array (cap %d)", cap(q.s))
	}
}

// takeAll returns every live entry, bottom first, and leaves the stack empty.
func TestIdleStackTakeAll(t *testing.T) {
	ws := newIdlers(5)
	var q idleStack
	for _, w := range ws {
		q.push(w)
	}
	q.expire(1, 1, 0, DefaultMaxIdle)
	all := q.takeAll()
	if len(all) != 3 || all[0] != ws[2] || all[2] != ws[4] {
		t.Fatalf("takeAll after expiring two: %d entries", len(all))
	}
	if q.len() != 0 || q.pop() != nil {
		t.Fatal("not empty after takeAll")
	}
}

// The cost of ending a goroutine does not grow with how many are idle:
// each reap ends one (the bottom), the worst case for moving the rest.
func BenchmarkIdleExpire(b *testing.B) {
	for _, n := range []int{1000, 20000} {
		b.Run(fmt.Sprintf("idle=%d", n), func(b *testing.B) {
			ws := newIdlers(n)
			var q idleStack
			for b.Loop() {
				for _, w := range ws {
					q.push(w)
				}
				for cut := range int64(n) {
					q.expire(cut, cut, 0, n)
				}
				for _, w := range ws {
					<-w.ch
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/goroutine")
		})
	}
}
