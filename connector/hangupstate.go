package connector

// hangupState is where the portable connector's hang-up watch of a
// dispatch is (hangupWatch, hangup.go). It changes only through
// hangupWatch.fire, under hw.mu, which applies the edge table below.
type hangupState uint8

const (
	hwIdle    hangupState = iota // no read, none to come: between dispatches, or the watch not armed yet
	hwArmed                      // t will start the read
	hwReading                    // the read began (it may have returned: done)
	numHangupStates
)

var hangupStateNames = [...]string{"Idle", "Armed", "Reading"}

func (s hangupState) String() string { return hangupStateNames[s] }

// hangupEvent is what happens to a hang-up watch.
type hangupEvent uint8

const (
	hwArm   hangupEvent = iota // a watcher and the body read to its end: the timer is set (armWatch)
	hwStart                    // the timer fired: the read begins (startWatch)
	hwEnd                      // the dispatch returned, or its handler hijacks (endWatch)
	numHangupEvents
)

var hangupEventNames = [...]string{"Arm", "Start", "End"}

func (e hangupEvent) String() string { return hangupEventNames[e] }

// hangupEdges is the table of legal edges: hangupEdges[from][event] is the
// state the event leads to, if ok. hwArm is refused but in Idle: a watch
// is armed once a dispatch. hwStart is refused but in Armed: a timer whose
// Stop came too late finds the watch ended, or its read begun by the
// timer of a later arming. hwEnd is legal in every state, as endWatch,
// which runs at every dispatch's end whatever the watch did, needs: from
// Idle it ends nothing.
var hangupEdges = [numHangupStates][numHangupEvents]struct {
	to hangupState
	ok bool
}{
	hwIdle:    {hwArm: {hwArmed, true}, hwEnd: {hwIdle, true}},
	hwArmed:   {hwStart: {hwReading, true}, hwEnd: {hwIdle, true}},
	hwReading: {hwEnd: {hwIdle, true}},
}

// hangupTransition is the hang-up watch's state machine: the state ev
// leads to from, and whether the edge is legal; an illegal one leaves the
// state as it was.
func hangupTransition(from hangupState, ev hangupEvent) (hangupState, bool) {
	e := hangupEdges[from][ev]
	if !e.ok {
		return from, false
	}
	return e.to, true
}

// fire applies ev to the watch and reports whether it was legal; a refused
// event changes nothing, and its caller does nothing more for it. hw.mu is
// held: the goroutines that race for the watch (the dispatch's, which
// ends it; the handler's, which arms it; the timer's, which starts the
// read) are ordered by it.
func (hw *hangupWatch) fire(ev hangupEvent) bool {
	to, ok := hangupTransition(hw.state, ev)
	hw.state = to
	return ok
}
