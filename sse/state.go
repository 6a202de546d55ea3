package sse

// A stream's life, one state machine (transition is its only edge list):
//
//	opening ──replayed──► live ──overflow──► closing ──completed──► closed
//	   │                   │ ╲──stop───────►   ▲
//	   ╰──overflow, stop───┼──────────────────╯
//	   ╰───────────────────┴──completed (the client left, the request ended)──► closed
//
// opening: subscribed, the replay being read; live events are held.
// live: the replay, then the live events, are written as the client takes them.
// closing: an end was decided (too slow, shutdown, Broker.Close); the request is completing.
// closed: the request completed; the stream left its topic and holds nothing.
// overflow is either overflow event: the stream fails once its head went
// out (the connection is aborted), and completes as an event stream that
// ends before (a failure would be answered with a 503).
type state uint8

const (
	stOpening state = iota
	stLive
	stClosing
	stClosed
)

var stateNames = [...]string{"opening", "live", "closing", "closed"}

func (s state) String() string { return stateNames[s] }

// event is what happens to a stream.
type event uint8

const (
	evReplayed       event = iota // the replay was read and the seam placed
	evOverflow                    // the queue passed MaxQueue after the stream's head went out
	evStop                        // the container's shutdown, or Broker.Close
	evCompleted                   // the request completed, however it ended
	evOverflowUnsent              // the queue passed MaxQueue before the stream's head went out
)

var eventNames = [...]string{"replayed", "overflow", "stop", "completed", "overflow unsent"}

func (e event) String() string { return eventNames[e] }

// action is what the caller of transition does once it released the lock.
type action uint8

const (
	actWrite    action = 1 << iota // start writing (schedule a pump)
	actFail                        // end the request with ErrSlowConsumer
	actComplete                    // complete the request
	actRelease                     // leave the topic, stop the heartbeat, drop the queue
	actSlow                        // count the stream in Stats.Slow
)

// transition returns the state that ev leads to from s and what to do;
// an event that is no edge of s changes nothing and asks for nothing.
func transition(s state, ev event) (state, action) {
	switch {
	case ev == evCompleted && s != stClosed:
		return stClosed, actRelease
	case s == stOpening && ev == evReplayed:
		return stLive, actWrite
	case s == stOpening && (ev == evOverflow || ev == evOverflowUnsent),
		s == stLive && ev == evOverflowUnsent:
		// Nothing was sent: a failure would be answered with a 503, on
		// which an EventSource gives up for good. Completed, the response
		// is the head of an event stream that ends, which it retries.
		return stClosing, actComplete | actSlow
	case s == stLive && ev == evOverflow:
		return stClosing, actFail | actSlow
	case (s == stOpening || s == stLive) && ev == evStop:
		return stClosing, actComplete
	}
	return s, 0
}
