package qos

// waiterState is where a request's wait for a permit is (see waiter). It
// changes only through waiter.fire, under its filter's mu, which applies the edge
// table below.
type waiterState uint8

const (
	waiting  waiterState = iota // in the queue (and the zero value: a wait being set up)
	granted                     // handed a permit, the Resume that brings its dispatch taken
	missed                      // its permit's Resume was refused, and the permit went on
	running                     // a dispatch took its permit into the chain
	refusing                    // its wait expired: the Resume of the dispatch that refuses it is taken
	over                        // refused, or left
	numWaiterStates
)

var waiterStateNames = [...]string{"waiting", "granted", "missed", "running", "refusing", "over"}

func (s waiterState) String() string { return waiterStateNames[s] }

// waiterEvent is what happens to a wait.
type waiterEvent uint8

const (
	evQueue   waiterEvent = iota // no permit is free: it goes (back) into the queue
	evGrant                      // a permit is handed to it and its Resume taken
	evMiss                       // a permit was handed to it but its Resume refused: the permit goes on
	evTake                       // a dispatch of a request whose permit went on takes a free place itself
	evRun                        // a dispatch takes its permit into the chain
	evRefuse                     // a dispatch refuses it at once (its wait ran out, or it could not wait on)
	evExpire                     // MaxWait passed: the dispatch that refuses it is on its way
	evRefused                    // that dispatch came, or its Resume was refused and the listener ended it
	evLeave                      // the request completed (its client left, or another listener answered)
	numWaiterEvents
)

var waiterEventNames = [...]string{"queue", "grant", "miss", "take", "run", "refuse", "expire", "refused", "leave"}

func (e waiterEvent) String() string { return waiterEventNames[e] }

// waiterEdges is the table of legal edges: waiterEdges[from][event] is the
// state the event leads to, if ok. Only waits not over yet (waiting,
// granted, missed) are in f.waits and the queue; running and over are
// final, and refusing ends only in over.
var waiterEdges = [numWaiterStates][numWaiterEvents]struct {
	to waiterState
	ok bool
}{
	waiting: {
		evQueue:  {waiting, true},
		evGrant:  {granted, true},
		evMiss:   {missed, true},
		evRefuse: {over, true},
		evExpire: {refusing, true},
		evLeave:  {over, true},
	},
	granted: {
		evRun:   {running, true},
		evLeave: {over, true},
	},
	missed: {
		evQueue:  {waiting, true},
		evGrant:  {granted, true},
		evMiss:   {missed, true},
		evTake:   {granted, true},
		evRefuse: {over, true},
		evExpire: {refusing, true},
		evLeave:  {over, true},
	},
	running: {},
	refusing: {
		evRefused: {over, true},
		evLeave:   {over, true},
	},
	over: {},
}

// waiterTransition is the state machine: the state ev leads to from, and
// whether the edge is legal; an illegal one leaves the state as it was.
func waiterTransition(from waiterState, ev waiterEvent) (waiterState, bool) {
	e := waiterEdges[from][ev]
	if !e.ok {
		return from, false
	}
	return e.to, true
}

// fire applies ev to wt and reports whether it was legal; a refused event
// changes nothing, and its caller does nothing more for it (the wait was
// answered already, or is another suspension's business). f.mu is held:
// the goroutines that race for a wait (a dispatch, the permit's giver,
// the timeout and completion listeners) are ordered by it.
func (wt *waiter) fire(ev waiterEvent) bool {
	to, ok := waiterTransition(wt.state, ev)
	wt.state = to
	return ok
}
