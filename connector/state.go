package connector

import "sync/atomic"

// connState is where a connection is in its life, on either connector: who
// may touch it, and what Shutdown, Close, Stats and the epoll selector see.
// It changes only through conn.fire, which applies the edge table below.
type connState uint32

const (
	connNew      connState = iota // accepted; its acceptor makes it ready (epoll: once registered)
	connIdle                      // waiting for bytes of a request; nobody holds it, anyone may claim it
	connReading                   // its owner reads a request head
	connServing                   // a request runs; its owner reads and writes
	connDetached                  // a suspended request holds it, no goroutine does; a hang-up fails the request
	connClosed                    // closed or given away; nothing more happens
	numConnStates
)

var connStateNames = [...]string{"New", "Idle", "Reading", "Serving", "Detached", "Closed"}

func (s connState) String() string { return connStateNames[s] }

// connEvent is what happens to a connection.
type connEvent uint8

const (
	evReady    connEvent = iota // its acceptor is done with it
	evReadable                  // the selector saw bytes, and takes it to read a head
	evClaim                     // someone takes an idle connection: its goroutine (bytes came), Shutdown, Close, the idle timer
	evWait                      // its owner found no more bytes: it waits for them without holding it
	evHead                      // a request head was parsed, or the connection is handed over to HTTP/2
	evSuspend                   // the request suspended: its goroutine leaves
	evNext                      // the response is done and the connection kept: its owner looks for the next head
	evClose                     // it closes, or is given away (Hijack)
	numConnEvents
)

var connEventNames = [...]string{"Ready", "Readable", "Claim", "Wait", "Head", "Suspend", "Next", "Close"}

func (e connEvent) String() string { return connEventNames[e] }

// connEdges is the table of legal edges: connEdges[from][event] is the
// state the event leads to. No edge leads back to connNew, so a zero
// entry is a refusal.
var connEdges = [numConnStates][numConnEvents]connState{
	connNew:      {evReady: connIdle, evReadable: connReading, evClose: connClosed},
	connIdle:     {evReadable: connReading, evClaim: connReading, evClose: connClosed},
	connReading:  {evWait: connIdle, evHead: connServing, evClose: connClosed},
	connServing:  {evSuspend: connDetached, evNext: connReading, evClose: connClosed},
	connDetached: {evNext: connReading, evClose: connClosed},
	connClosed:   {},
}

// transition is the state machine: the state ev leads to from, and whether
// the edge is legal.
func transition(from connState, ev connEvent) (connState, bool) {
	to := connEdges[from][ev]
	return to, to != connNew
}

// state is the connection's state now.
func (c *conn) state() connState { return connState(c.st.Load()) }

// fire applies ev to the connection and reports whether it was legal; a
// refused event changes nothing. Goroutines race to fire only on a new or
// idle connection (evReadable, evClaim, evClose) and to close one (evClose):
// the first wins, the others are refused.
func (c *conn) fire(ev connEvent) bool {
	for {
		from := c.state()
		to, ok := transition(from, ev)
		if !ok {
			return false
		}
		if c.st.CompareAndSwap(uint32(from), uint32(to)) {
			return true
		}
	}
}

// must fires an event of the connection's owner, which nobody else can
// refuse: a refusal is a bug in this package, and panics.
func (c *conn) must(ev connEvent) {
	if !c.fire(ev) {
		panic("connector: illegal connection event " + ev.String() + " in state " + c.state().String())
	}
}

// claim takes an idle connection for the caller, which then owns it;
// false if someone else took it first.
func (c *conn) claim() bool { return c.fire(evClaim) }

// handoffState says who continues a connection after a response: the
// goroutine that dispatched the request (its connection goroutine, or
// the epoll connector's, which returned from the handler), or whoever
// finishes the response once that goroutine has left. It changes only
// through handoff.fire, which applies the edge table below.
type handoffState uint32

const (
	hoServing  handoffState = iota // the dispatching goroutine is still in ServeStream
	hoDetached                     // it left: the finisher must continue the connection
	hoFinished                     // the response is finished
	numHandoffStates
)

var handoffStateNames = [...]string{"Serving", "Detached", "Finished"}

func (s handoffState) String() string { return handoffStateNames[s] }

// handoffEvent is what happens to a stream's handoff.
type handoffEvent uint8

const (
	hoLeave  handoffEvent = iota // the dispatching goroutine returned with the response not finished
	hoFinish                     // the response is finished (Finish or Abort)
	numHandoffEvents
)

var handoffEventNames = [...]string{"Leave", "Finish"}

func (e handoffEvent) String() string { return handoffEventNames[e] }

// handoffEdges is the table of legal edges: handoffEdges[from][event] is
// the state the event leads to. No edge leads back to hoServing, so a zero
// entry is a refusal.
var handoffEdges = [numHandoffStates][numHandoffEvents]handoffState{
	hoServing:  {hoLeave: hoDetached, hoFinish: hoFinished},
	hoDetached: {hoFinish: hoFinished},
	hoFinished: {},
}

// handoffTransition is the handoff's state machine: the state ev leads to
// from, and whether the edge is legal.
func handoffTransition(from handoffState, ev handoffEvent) (handoffState, bool) {
	to := handoffEdges[from][ev]
	return to, to != hoServing
}

// handoff is a stream's handoffState. The dispatching goroutine (hoLeave)
// and the finisher (hoFinish) race for it once: whichever fires second
// continues the connection.
type handoff struct{ v atomic.Uint32 }

// Load is the state now.
func (h *handoff) Load() handoffState { return handoffState(h.v.Load()) }

// fire applies ev and reports the state it found and whether the edge was
// legal; a refused event changes nothing.
func (h *handoff) fire(ev handoffEvent) (from handoffState, ok bool) {
	if ev == hoFinish {
		// Every legal hoFinish edge leads to hoFinished, and the one it
		// refuses starts there: one Swap applies the table (every
		// response's finish comes this way).
		from = handoffState(h.v.Swap(uint32(hoFinished)))
		return from, from != hoFinished
	}
	for {
		from = h.Load()
		to, ok := handoffTransition(from, ev)
		if !ok {
			return from, false
		}
		if h.v.CompareAndSwap(uint32(from), uint32(to)) {
			return from, true
		}
	}
}
