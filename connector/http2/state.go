package http2

// h2State is the state of an HTTP/2 stream as RFC 9113 §5.1 names them,
// seen from the server. Streams start open (or half-closed remote when the
// request's HEADERS end the stream): the idle and reserved states never
// appear here because a stream exists only once its HEADERS arrived, and
// the server pushes nothing.
type h2State uint8

const (
	h2Open             h2State = iota // both sides may send
	h2HalfClosedRemote                // the client ended its side; the response is still going
	h2HalfClosedLocal                 // the response ended; the client is still sending its body
	h2Closed                          // both ended, or the stream was reset
)

var h2StateNames = [...]string{"open", "half-closed (remote)", "half-closed (local)", "closed"}

func (s h2State) String() string { return h2StateNames[s] }

// h2Event is what moves a stream.
type h2Event uint8

const (
	h2RecvEnd h2Event = iota // a frame with END_STREAM arrived
	h2SendEnd                // a frame with END_STREAM was queued
	h2RecvRst                // the client reset the stream
	h2SendRst                // the server reset the stream (or its connection ended)
	h2NumEvents
)

var h2EventNames = [...]string{"recv END_STREAM", "send END_STREAM", "recv RST_STREAM", "send RST_STREAM"}

func (e h2Event) String() string { return h2EventNames[e] }

// h2Next is the stream state machine: the state an event leads to, and
// whether the event is legal there. Illegal moves are protocol errors of
// the peer (a second END_STREAM) or bugs of this package (ending the
// response twice); the caller decides which.
var h2Next = [4][h2NumEvents]struct {
	to h2State
	ok bool
}{
	h2Open: {
		h2RecvEnd: {h2HalfClosedRemote, true},
		h2SendEnd: {h2HalfClosedLocal, true},
		h2RecvRst: {h2Closed, true},
		h2SendRst: {h2Closed, true},
	},
	h2HalfClosedRemote: {
		h2SendEnd: {h2Closed, true},
		h2RecvRst: {h2Closed, true},
		h2SendRst: {h2Closed, true},
	},
	h2HalfClosedLocal: {
		h2RecvEnd: {h2Closed, true},
		h2RecvRst: {h2Closed, true},
		h2SendRst: {h2Closed, true},
	},
	h2Closed: {},
}

// h2Transition is the one function that moves a stream: it returns the new
// state and whether the move was legal; an illegal move leaves the state.
func h2Transition(from h2State, ev h2Event) (h2State, bool) {
	n := h2Next[from][ev]
	if !n.ok {
		return from, false
	}
	return n.to, true
}

// connState is where an HTTP/2 connection is in its life: whether it takes
// new streams, whether it is ending on an error, and whether it is closed.
// Those are three facts, but not eight states: ending comes only with
// going away (end sets both), while closed comes either way, because the
// writer closes the connection when a write fails, whatever it was doing,
// and end closes it after going away. It changes only through
// serverConn.fire, under hc.mu, which applies the edge table below; the
// reader, the writer and the goroutines that shut it down fire events.
type connState uint8

const (
	connOpen         connState = iota // new streams are taken
	connGoingAway                     // no new streams: the server's GOAWAY (Shutdown, idle, a response's "Connection: close") or the client's
	connEnding                        // going away and closing on an error: writes bounded by endBy, no new stream frames
	connBroken                        // closed by a failed write before anyone went away; the reader has not ended it yet, and takes no new streams
	connClosed                        // going away and closed: nothing more is queued
	connClosedEnding                  // ending and closed: the writer failed while it ended, or it ended after the writer failed
	numConnStates
)

var connStateNames = [...]string{"open", "going away", "ending", "broken", "closed", "closed (ending)"}

func (s connState) String() string { return connStateNames[s] }

// The states in which each fact holds, one bit a state: the readers are a
// shift and a mask, as cheap as the bools they replace.
const (
	goingAwayStates = 1<<connGoingAway | 1<<connEnding | 1<<connClosed | 1<<connClosedEnding
	endingStates    = 1<<connEnding | 1<<connClosedEnding
	closedStates    = 1<<connBroken | 1<<connClosed | 1<<connClosedEnding
)

// goingAway reports whether the connection went away: no new streams,
// and a GOAWAY sent or received. A broken connection went nowhere but
// takes no new streams either, being closed: the reader asks both.
func (s connState) goingAway() bool { return goingAwayStates>>s&1 != 0 }

// ending reports whether the connection is closing on an error: its writes
// are bounded by endBy and no stream queues frames any more.
func (s connState) ending() bool { return endingStates>>s&1 != 0 }

// closed reports whether the connection is done: nothing more is queued.
func (s connState) closed() bool { return closedStates>>s&1 != 0 }

// connEvent is what happens to an HTTP/2 connection.
type connEvent uint8

const (
	connEvGoAway   connEvent = iota // no new streams: the server's GOAWAY (serve while shutting down, the idle deadline), the client's, or end on errH2Done
	connEvShutdown                  // the graceful close of Shutdown or of a response's "Connection: close", refused once the connection goes away or closed
	connEvError                     // end on an error: going away and ending
	connEvClose                     // closed: end once the writer is done, or the writer when a write failed
	numConnEvents
)

var connEventNames = [...]string{"go away", "shutdown", "error", "close"}

func (e connEvent) String() string { return connEventNames[e] }

// connEdges is the table of legal edges: connEdges[from][event] is the
// state the event leads to. Each event only adds facts (going away,
// ending, closed), so an event whose facts already hold is refused and
// changes nothing, as setting a bool that was set did; Shutdown's is
// refused also on a closed connection. No edge leads back to connOpen, so
// a zero entry is a refusal.
var connEdges = [numConnStates][numConnEvents]connState{
	connOpen:         {connEvGoAway: connGoingAway, connEvShutdown: connGoingAway, connEvError: connEnding, connEvClose: connBroken},
	connGoingAway:    {connEvError: connEnding, connEvClose: connClosed},
	connEnding:       {connEvClose: connClosedEnding},
	connBroken:       {connEvGoAway: connClosed, connEvError: connClosedEnding},
	connClosed:       {connEvError: connClosedEnding},
	connClosedEnding: {},
}

// connTransition is the connection's state machine: the state ev leads to
// from, and whether the edge is legal; a refused event leaves the state.
func connTransition(from connState, ev connEvent) (connState, bool) {
	to := connEdges[from][ev]
	if to == connOpen {
		return from, false
	}
	return to, true
}

// fire applies ev to the connection and reports whether it was legal; a
// refused event changes nothing. hc.mu is held: the reader, the writer and
// Shutdown are ordered by it.
func (hc *serverConn) fire(ev connEvent) bool {
	to, ok := connTransition(hc.state, ev)
	hc.state = to
	return ok
}
