package qos

// waiterState is where a request's wait for a permit is (see waiter). It
// changes only through waiter.fire, under its filter's mu, which applies the edge
// table below.
type waiterState uint8

const (
	waiting  waiterState = iota // in the queue (and the zero value: a wait being set up)
	granted                     // handed a permit, the Resume that brings its dispatch taken
	missed                      // its permit's Resume was refused, and the permit went on
	away                        // another QoS filter held back the dispatch its permit's Resume brought (the request waits there): the permit went on
	running                     // a dispatch took its permit into the chain
	refusing                    // its wait expired: the Resume of the dispatch that refuses it is taken
	over                        // refused, or left
	numWaiterStates
)

var waiterStateNames = [...]string{"waiting", "granted", "missed", "away", "running", "refusing", "over"}

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
	evHeld                       // another QoS filter's wait held back the dispatch its permit's Resume brought: the permit goes on
	evBack                       // a dispatch of the request is here again, from the other filter's wait
	evDrop                       // the request completed while away (the other filter refused it, or its client left): counted there
	numWaiterEvents
)

var waiterEventNames = [...]string{"queue", "grant", "miss", "take", "run", "refuse", "expire", "refused", "leave", "held", "back", "drop"}

func (e waiterEvent) String() string { return waiterEventNames[e] }

// waiterEdges is the table of legal edges: waiterEdges[from][event] is the
// state the event leads to, if ok. Only waits not over yet (waiting,
// granted, missed, away) are in f.waits, and only waiting ones in the
// queue; running and over are final, and refusing ends only in over.
//
// A wait that is away is not the request's suspension any more: the
// request waits in another QoS filter (stacked), which held back the
// dispatch of this wait's permit (that Resume landed on the other
// filter's wait, where a Resume not this filter's had taken the request,
// or its dispatch found the other filter full). Every event of that
// suspension is stale here and refused: its timeout is the other wait's, not an expiry of this one, and
// the request's end while it waits there (its client left, or the other
// filter refused it) is that filter's to count, not a Left of this one's;
// the request's end only drops the wait (evDrop), uncounted. Only a
// dispatch that comes back here (evBack) resumes the wait, as missed: its
// permit went on, and it takes a free place or waits on in its place.
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
		evHeld:  {away, true},
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
	away: {
		evBack: {missed, true},
		evDrop: {over, true},
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
