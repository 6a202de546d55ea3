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
