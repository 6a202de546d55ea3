package websocket

// closeState is how far the server's side of the close handshake has come:
// whether the connection is closing, whether a close frame is to go, and
// whether it went. It changes only through closeState.fire, under the
// Conn's mu, which applies the edge table below. Two flags that move
// independently of it stay apart: readDone (the reading side ended) and
// finished (the tunnel closed); the state is still read after either, so
// neither collapses it. Being closing is any state but csOpen; a close
// frame is still to go, or went, in csQueued, csFramed and csSent.
type closeState uint8

const (
	csOpen       closeState = iota // not closing: Send queues messages
	csQueued                       // closing: the close frame goes once the queue ahead of it is out (or dropped)
	csFramed                       // the close frame is framed in out, not out whole yet
	csSent                         // the close frame is out whole: the peer's answer, or CloseTimeout, ends the connection
	csSilent                       // closing without a close frame: aborted, the peer gone, a write failed
	csSilentSent                   // as csSilent, the close frame out whole before (or as) that happened: its going out is acted on once
	numCloseStates
)

var closeStateNames = [...]string{"Open", "Queued", "Framed", "Sent", "Silent", "SilentSent"}

func (s closeState) String() string { return closeStateNames[s] }

// closeEvent is what happens to the close handshake.
type closeEvent uint8

const (
	csClose    closeEvent = iota // Close, CloseNow, a failed read, a callback's panic, the peer's close frame: the close begins (startClose)
	csFrame                      // flush framed the close frame behind the last of the queue
	csUnframe                    // the queue was dropped (CloseNow) with the close frame framed behind it but not begun: it is framed again, next
	csCloseOut                   // a write that held the close frame went out whole
	csAbandon                    // Abort, a failed write or a lost peer: no close frame goes (any more)
	csFinish                     // the tunnel closes
	numCloseEvents
)

var closeEventNames = [...]string{"Close", "Frame", "Unframe", "CloseOut", "Abandon", "Finish"}

func (e closeEvent) String() string { return closeEventNames[e] }

// closeEdges is the table of legal edges: closeEdges[from][event] is the
// state the event leads to, if ok. csClose, csFrame and csCloseOut guard
// what their callers do then: the first close sets the close frame's
// payload, the close frame is framed once, and its going out whole is
// acted on once. The others (csUnframe, csAbandon, csFinish) their
// callers fire whatever the state: they are legal where they change it,
// and refused, changing nothing, where there is nothing to change.
//
// Two edges the code does not take, as far as this package's writer
// goes, are kept so that the table says what each event means in every
// state: csCloseOut from csQueued (a write holds the close frame only
// when it was framed, and only CloseNow unframes it, which it cannot
// while the write is under way) and csFinish from csOpen (every finish
// follows a close, an abort or a lost peer).
var closeEdges = [numCloseStates][numCloseEvents]struct {
	to closeState
	ok bool
}{
	csOpen: {
		csClose:   {csQueued, true},
		csAbandon: {csSilent, true},
		csFinish:  {csSilent, true},
	},
	csQueued: {
		csFrame:    {csFramed, true},
		csCloseOut: {csSent, true},
		csAbandon:  {csSilent, true},
	},
	csFramed: {
		csUnframe:  {csQueued, true},
		csCloseOut: {csSent, true},
		csAbandon:  {csSilent, true},
	},
	csSent: {
		csAbandon: {csSilentSent, true},
	},
	csSilent: {
		// A write that held the close frame was under way when the
		// connection was abandoned: it went whole all the same.
		csCloseOut: {csSilentSent, true},
	},
	csSilentSent: {},
}

// closeTransition is the close handshake's state machine: the state ev
// leads to from, and whether the edge is legal; an illegal one leaves the
// state as it was.
func closeTransition(from closeState, ev closeEvent) (closeState, bool) {
	e := closeEdges[from][ev]
	if !e.ok {
		return from, false
	}
	return e.to, true
}

// fire applies ev and reports whether it was legal; a refused event
// changes nothing. Under the Conn's mu: the goroutines that race to close
// (a Send's flush, Close, Abort, the reader, the timer) are ordered by it.
func (s *closeState) fire(ev closeEvent) bool {
	to, ok := closeTransition(*s, ev)
	*s = to
	return ok
}

// closing reports whether the connection is closing: no more Sends.
func (s closeState) closing() bool { return s != csOpen }

// handshake reports whether a close frame is to go, or went: the
// connection closes with a handshake, not abandoned.
func (s closeState) handshake() bool { return s == csQueued || s == csFramed || s == csSent }

// sent reports whether the close frame went out whole.
func (s closeState) sent() bool { return s == csSent || s == csSilentSent }

// silent reports whether the connection closes without (more of) a close
// frame: nothing more is written.
func (s closeState) silent() bool { return s == csSilent || s == csSilentSent }
