package connector

import "sync/atomic"

// tlsWriteState says who writes to a TLS connection of the epoll connector
// (fdTLS): a response or the handshake, whose socket writes may park; or
// nobody, when a write of crypto/tls's reader (a KeyUpdate's answer, an
// alert) must not wait; or nothing more, once close_notify went. It changes
// only through tlsWriteSide.fire, which applies the edge table below.
type tlsWriteState uint32

const (
	wIdle    tlsWriteState = iota // nothing written now: socket writes never wait
	wWriting                      // a response or the handshake writes: socket writes may park
	wClosed                       // close_notify went out, or is going: nothing more
	numTLSWriteStates
)

var tlsWriteStateNames = [...]string{"Idle", "Writing", "Closed"}

func (s tlsWriteState) String() string { return tlsWriteStateNames[s] }

// tlsWriteEvent is what happens to a TLS connection's write side.
type tlsWriteEvent uint8

const (
	wBegin  tlsWriteEvent = iota // a response's write (fdTLS.write), or the handshake, begins
	wEnd                         // it ended, however it went
	wNotify                      // close_notify goes out (fdTLS.closeNotify)
	numTLSWriteEvents
)

var tlsWriteEventNames = [...]string{"Begin", "End", "Notify"}

func (e tlsWriteEvent) String() string { return tlsWriteEventNames[e] }

// tlsWriteEdges is the table of legal edges: tlsWriteEdges[from][event] is
// the state the event leads to, if ok. Writing leads back to Idle, the zero
// state, so a refusal is said by ok rather than by a zero entry.
//
// Two of the events are fired unconditionally (must), where the code stored
// the state before: a refusal would be a bug in this package. Why each is
// legal where it is fired:
//
//   - wBegin of the handshake (handshakeEP): the fdTLS is new, so Idle. No
//     response was written yet, and closeNotify fires wNotify only once the
//     handshake succeeded (shakenOK), which it has not.
//   - wEnd of a write or of the handshake: its own wBegin led to Writing,
//     and only wEnd leaves Writing. A second response write cannot begin
//     meanwhile (its wBegin is refused in Writing, and the connection has
//     one writer of responses, its owner), nor can close_notify (wNotify is
//     refused in Writing).
//
// TestTLSWriteTransition checks the table pair by pair, TestTLSWriteRace
// races a connection's writes against close_notify.
var tlsWriteEdges = [numTLSWriteStates][numTLSWriteEvents]struct {
	to tlsWriteState
	ok bool
}{
	wIdle:    {wBegin: {wWriting, true}, wNotify: {wClosed, true}},
	wWriting: {wEnd: {wIdle, true}},
	wClosed:  {},
}

// tlsWriteTransition is the write side's state machine: the state ev leads
// to from, and whether the edge is legal; an illegal one leaves the state
// as it was.
func tlsWriteTransition(from tlsWriteState, ev tlsWriteEvent) (tlsWriteState, bool) {
	e := tlsWriteEdges[from][ev]
	if !e.ok {
		return from, false
	}
	return e.to, true
}

// tlsWriteSide is a TLS connection's tlsWriteState. The connection's owner
// (wBegin, wEnd) and whoever closes it (wNotify: Close, Shutdown, the
// linger) race for it: close_notify goes only while no write is under way
// (its goroutine holds crypto/tls's write lock, and may be parked), and no
// response is written after it.
type tlsWriteSide struct{ v atomic.Uint32 }

// Load is the state now.
func (w *tlsWriteSide) Load() tlsWriteState { return tlsWriteState(w.v.Load()) }

// fire applies ev and reports the state it found and whether the edge was
// legal; a refused event changes nothing.
func (w *tlsWriteSide) fire(ev tlsWriteEvent) (from tlsWriteState, ok bool) {
	for {
		from = w.Load()
		to, ok := tlsWriteTransition(from, ev)
		if !ok {
			return from, false
		}
		if w.v.CompareAndSwap(uint32(from), uint32(to)) {
			return from, true
		}
	}
}

// must fires an event that nothing can refuse where it is fired (see
// tlsWriteEdges): a refusal is a bug in this package, and panics.
func (w *tlsWriteSide) must(ev tlsWriteEvent) {
	if from, ok := w.fire(ev); !ok {
		panic("connector: illegal TLS write event " + ev.String() + " in state " + from.String())
	}
}
