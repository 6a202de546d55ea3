package dispatcher

// idleStack holds an UnboundedExecutor's idle goroutines, the most recently
// idle on top: the next task takes the top, whose stack is the warmest, and
// the reaper ends goroutines from the bottom, where the longest idle are.
// The executor's mutex guards it.
//
// Both ends move, so the live goroutines are s[low:]. The bottom advances
// in place and the array is compacted only once the ended prefix is as long
// as what is live: each goroutine ended pays for moving at most one other,
// so ending n goroutines one reap at a time costs O(n), not the O(n²) of
// moving the rest down after every reap, which held the executor's lock
// for tens of milliseconds with 20,000 idle (BenchmarkIdleExpire).
type idleStack struct {
	s   []*idler
	low int
}

// len is the number of idle goroutines.
func (q *idleStack) len() int { return len(q.s) - q.low }

// push puts w on top.
func (q *idleStack) push(w *idler) { q.s = append(q.s, w) }

// pop takes the top, or returns nil if the stack is empty.
func (q *idleStack) pop() *idler {
	n := len(q.s)
	if n == q.low {
		return nil
	}
	w := q.s[n-1]
	q.s[n-1] = nil
	q.s = q.s[:n-1]
	if n-1 == q.low {
		q.s, q.low = q.s[:0], 0
	}
	return w
}

// bottom returns the longest idle goroutine; the stack must not be empty.
func (q *idleStack) bottom() *idler { return q.s[q.low] }

// expire ends the goroutines idle since cut or before, and, while more
// than above are idle, those idle since surplusCut or before, from the
// bottom; it stops at the first one it keeps. An emptied stack lets go of
// an array larger than keep, which a burst grew.
func (q *idleStack) expire(cut, surplusCut int64, above, keep int) {
	for q.low < len(q.s) {
		since := q.s[q.low].since
		if since > cut && (since > surplusCut || q.len() <= above) {
			break
		}
		q.s[q.low].ch <- timedTask{} // buffered, and empty while idle: never blocks
		q.s[q.low] = nil
		q.low++
	}
	switch live := q.len(); {
	case live == 0:
		q.low = 0
		if cap(q.s) > keep {
			q.s = nil
		} else {
			q.s = q.s[:0]
		}
	case q.low >= live:
		n := copy(q.s, q.s[q.low:])
		clear(q.s[n:])
		q.s, q.low = q.s[:n], 0
	}
}

// takeAll empties the stack and returns what it held, bottom first.
func (q *idleStack) takeAll() []*idler {
	all := q.s[q.low:]
	q.s, q.low = nil, 0
	return all
}
