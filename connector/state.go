package connector

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
