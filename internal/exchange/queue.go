package exchange

import "slices"

// taskQueue is an exchange's first-in first-out queue of work: dispatches,
// tasks, timeouts and IO failures waiting for their turn. Almost every
// request holds one entry at a time (its dispatch, then a resume or a task
// while it waits), so the first is kept inline and the rest, if any, in a
// slice made when a second one waits and dropped when it empties (a
// request that waits for hours, such as an event stream, keeps none from
// the burst that opened it): 40 bytes in every exchange, where a slice
// beside an inline array took 56. It is guarded by the exchange's mu; the
// machine's queued count says how many it holds.
type taskQueue struct {
	head queued    // the next entry; head.used says whether there is one
	rest *[]queued // the entries after head; nil when there are none
}

// push adds e at the end.
func (q *taskQueue) push(e queued) {
	e.used = true
	if !q.head.used {
		q.head = e
		return
	}
	if q.rest == nil {
		q.rest = new([]queued)
	}
	*q.rest = append(*q.rest, e)
}

// pushFront adds e at the front: the initial dispatch, which goes ahead of
// what was queued before Start (an IO failure the connector reported
// first).
func (q *taskQueue) pushFront(e queued) {
	e.used = true
	if q.head.used {
		if q.rest == nil {
			q.rest = new([]queued)
		}
		*q.rest = slices.Insert(*q.rest, 0, q.head)
	}
	q.head = e
}

// len returns how many entries wait.
func (q *taskQueue) len() int {
	if !q.head.used {
		return 0
	}
	if q.rest == nil {
		return 1
	}
	return 1 + len(*q.rest)
}

// pop takes the first entry out; the queue must not be empty.
func (q *taskQueue) pop() queued {
	e := q.head
	q.head = queued{}
	if q.rest != nil {
		r := *q.rest
		q.head = r[0]
		if len(r) == 1 {
			q.rest = nil
		} else {
			r[0] = queued{} // let what it carries go
			*q.rest = r[1:]
		}
	}
	return e
}

// at returns the entry i places from the front, i < len(): a plain index
// rather than an iterator, whose closure would cost the finishing
// exchange an allocation.
func (q *taskQueue) at(i int) *queued {
	if i == 0 {
		return &q.head
	}
	return &(*q.rest)[i-1]
}
