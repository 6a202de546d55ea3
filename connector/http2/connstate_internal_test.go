package http2

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/owner"
)

// facts are the three bools the connection's state replaced, and writes
// is what each event's caller wrote to them before the state machine:
// the table must be exactly those writes.
type facts struct{ goingAway, ending, closed bool }

func factsOf(s connState) facts { return facts{s.goingAway(), s.ending(), s.closed()} }

func writes(f facts, ev connEvent) facts {
	switch ev {
	case connEvGoAway: // serve, deadlineReached, a client's GOAWAY, end(errH2Done)
		f.goingAway = true
	case connEvShutdown: // shutdown
		if !f.goingAway && !f.closed {
			f.goingAway = true
		}
	case connEvError: // end on an error
		f.goingAway, f.ending = true, true
	case connEvClose: // end once the writer is done, the writer on a failed write
		f.closed = true
	}
	return f
}

// TestConnTransition drives every event in every state: the legal edges
// lead where the table says, every other pair is refused and changes
// nothing, and each edge is what the event's callers wrote to the three
// bools the state replaced: an event is refused exactly when it wrote
// nothing new.
func TestConnTransition(t *testing.T) {
	legal := map[connState]map[connEvent]connState{
		connOpen:         {connEvGoAway: connGoingAway, connEvShutdown: connGoingAway, connEvError: connEnding, connEvClose: connBroken},
		connGoingAway:    {connEvError: connEnding, connEvClose: connClosed},
		connEnding:       {connEvClose: connClosedEnding},
		connBroken:       {connEvGoAway: connClosed, connEvError: connClosedEnding},
		connClosed:       {connEvError: connClosedEnding},
		connClosedEnding: {},
	}
	edges := 0
	for from := range numConnStates {
		for ev := range numConnEvents {
			want, wantOK := legal[from][ev]
			if !wantOK {
				want = from
			}
			if to, ok := connTransition(from, ev); to != want || ok != wantOK {
				t.Errorf("%v --%v--> %v, %v; want %v, %v", from, ev, to, ok, want, wantOK)
			}
			hc := &serverConn{state: from}
			if ok := hc.fire(ev); ok != wantOK || hc.state != want {
				t.Errorf("fire(%v) in %v = %v, now %v; want %v, %v", ev, from, ok, hc.state, wantOK, want)
			}
			before, after := factsOf(from), writes(factsOf(from), ev)
			if factsOf(want) != after || wantOK != (after != before) {
				t.Errorf("%v in %v: facts %+v, legal %v; the old writes give %+v from %+v", ev, from, factsOf(want), wantOK, after, before)
			}
			if wantOK {
				edges++
			}
		}
	}
	if edges != 10 {
		t.Errorf("%d legal edges, want 10", edges)
	}
	for s := range numConnStates {
		if s.String() == "" {
			t.Errorf("state %d has no name", s)
		}
		if f := factsOf(s); f.ending && !f.goingAway {
			t.Errorf("state %v is ending but not going away", s)
		}
		for o := range s {
			if factsOf(o) == factsOf(s) {
				t.Errorf("states %v and %v hold the same facts", o, s)
			}
		}
	}
	for ev := range numConnEvents {
		if ev.String() == "" {
			t.Errorf("event %d has no name", ev)
		}
	}
	// Every state is reachable from a new connection, and none other: the
	// combinations of the three bools the code reached before.
	seen := map[connState]bool{connOpen: true}
	for next := []connState{connOpen}; len(next) > 0; next = next[1:] {
		for ev := range numConnEvents {
			if to, ok := connTransition(next[0], ev); ok && !seen[to] {
				seen[to] = true
				next = append(next, to)
			}
		}
	}
	if len(seen) != int(numConnStates) {
		t.Errorf("%d states reachable from open, want %d", len(seen), numConnStates)
	}
}

// TestConnStateRace fires every event at once from its own goroutine, as
// the reader (a client's GOAWAY, the idle deadline, end), the writer (a
// failed write) and the Server's Shutdown do, under hc.mu, from every
// state, each event twice: the events taken are a serial history of the
// table, each fact is set once at most (so one goroutine sends the
// server's GOAWAY, and one closes the connection), and nothing changes
// the state outside the history.
func TestConnStateRace(t *testing.T) {
	for from := range numConnStates {
		for range 200 {
			hc := &serverConn{state: from}
			type step struct {
				ev       connEvent
				from, to connState
			}
			var (
				history          []step
				start            = make(chan struct{})
				wg               sync.WaitGroup
				goAway, ender    owner.Goroutine // a second to take a fact would panic in Acquire
				closer           owner.Goroutine
				goingAway, ended = from.goingAway(), from.ending()
				closed           = from.closed()
			)
			for ev := range 2 * numConnEvents {
				ev %= numConnEvents
				wg.Go(func() {
					<-start
					hc.mu.Lock()
					defer hc.mu.Unlock()
					before := hc.state
					if !hc.fire(ev) {
						if hc.state != before {
							t.Errorf("refused %v moved %v to %v", ev, before, hc.state)
						}
						return
					}
					history = append(history, step{ev, before, hc.state})
					if !before.goingAway() && hc.state.goingAway() {
						goAway.Acquire()
					}
					if !before.ending() && hc.state.ending() {
						ender.Acquire()
					}
					if !before.closed() && hc.state.closed() {
						closer.Acquire()
					}
				})
			}
			close(start)
			wg.Wait()
			s := from
			for _, st := range history {
				to, ok := connTransition(s, st.ev)
				if !ok || st.from != s || st.to != to {
					t.Fatalf("from %v: %v took %v → %v, the table says %v → %v (%v)", from, st.ev, st.from, st.to, s, to, ok)
				}
				s = to
			}
			if s != hc.state {
				t.Fatalf("from %v: history %v ends in %v, the connection is %v", from, history, s, hc.state)
			}
			// Every event came, so each fact some event sets holds at
			// the end whatever the order: all three.
			if !hc.state.goingAway() || !hc.state.ending() || !hc.state.closed() {
				t.Fatalf("from %v (going away %v, ending %v, closed %v): after every event %v", from, goingAway, ended, closed, hc.state)
			}
		}
	}
}

// gatedReader reads r once gate is closed: the client's bytes reach the
// reader only when the test lets them.
type gatedReader struct {
	gate <-chan struct{}
	r    io.Reader
}

func (g gatedReader) Read(p []byte) (int, error) {
	<-g.gate
	return g.r.Read(p)
}

// A connection whose writer failed before anyone went away (broken) is
// closed: a request the reader still finds whole in what it read starts
// no handler, whose response could never be written, and leaves nothing
// counted. Here the server's first write, its SETTINGS, fails before the
// reader gets the client's preface and a HEADERS frame behind it.
func TestH2BrokenConnectionStartsNoStream(t *testing.T) {
	in := bytes.NewReader(clientOpening(true))
	synctest.Test(t, func(t *testing.T) {
		cli, sc := net.Pipe()
		cli.Close() // every write of the server fails
		gate := make(chan struct{})
		var served atomic.Int32
		hc := newServerConn(&Server{}, &connector.Handover{
			Conn: sc, Reader: gatedReader{gate, in},
			Info:   &api.ConnInfo{},
			Limits: (&connector.Config{}).Limits(), Logger: slog.New(slog.DiscardHandler),
			Handler: streamFunc(func(s connector.Stream) {
				served.Add(1)
				s.Abort(connector.ErrClientGone)
			}),
			Execute: func(t dispatcher.Task) { go t.Run() },
			Books:   pipeBooks{sc},
		})
		done := make(chan struct{})
		go func() {
			defer close(done)
			hc.serve()
		}()
		synctest.Wait() // the writer failed; the reader waits at the gate
		hc.mu.Lock()
		state := hc.state
		hc.mu.Unlock()
		if state != connBroken {
			t.Fatalf("after the failed write the connection is %v, want %v", state, connBroken)
		}
		close(gate)
		<-done
		synctest.Wait() // any handler started has run
		checkNoneStarted(t, hc, &served)
	})
}

// breakingBooks are pipeBooks whose Track breaks the connection as a
// failed write of its writer does (closed before anyone went away).
type breakingBooks struct {
	pipeBooks
	hc **serverConn
}

func (b breakingBooks) Track(func()) bool {
	hc := *b.hc
	hc.mu.Lock()
	hc.fire(connEvClose)
	hc.mu.Unlock()
	return true
}

// An h2c upgrade's request, stream 1, follows the rule of any new stream:
// on a connection already broken when serve comes to dispatch it (the
// client hung up after reading the 101, and the writer's SETTINGS failed),
// it starts no handler and leaves nothing counted. On a real connection
// the writer's failure races serve's dispatch, so the test breaks the
// connection by hand where serve tracks it, after the 101 and before the
// dispatch.
func TestH2BrokenConnectionStartsNoUpgradedStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cli, sc := net.Pipe()
		go io.Copy(io.Discard, cli) // the client reads the 101, then the socket ends
		var served atomic.Int32
		var hc *serverConn
		hc = newServerConn(&Server{}, &connector.Handover{
			Conn: sc, Reader: bytes.NewReader(nil), // no preface: the reader ends the connection
			Info:   &api.ConnInfo{},
			Limits: (&connector.Config{}).Limits(), Logger: slog.New(slog.DiscardHandler),
			Handler: streamFunc(func(s connector.Stream) {
				served.Add(1)
				s.Abort(connector.ErrClientGone)
			}),
			Execute: func(t dispatcher.Task) { go t.Run() },
			Books:   breakingBooks{pipeBooks{sc}, &hc},
		})
		req := &api.RequestHead{
			Method: "GET", Target: "/", Path: "/", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: api.NewHeader(http.Header{
				"Upgrade":        {"h2c"},
				"Connection":     {"Upgrade, HTTP2-Settings"},
				"Http2-Settings": {""},
			}),
		}
		if _, ok := h2cUpgrade(req); !ok {
			t.Fatal("the request does not ask for h2c")
		}
		hc.serveUpgrade(req)
		synctest.Wait() // any handler started has run
		checkNoneStarted(t, hc, &served)
	})
}

// checkNoneStarted fails t if a handler was started (served counts them)
// or the broken connection hc still counts a handler, an open stream or a
// stream in its map.
func checkNoneStarted(t *testing.T, hc *serverConn, served *atomic.Int32) {
	t.Helper()
	if n := served.Load(); n != 0 {
		t.Errorf("%d handlers started on a broken connection", n)
	}
	hc.mu.Lock()
	defer hc.mu.Unlock()
	if hc.handlers != 0 || hc.open != 0 || len(hc.streams) != 0 {
		t.Errorf("after the end: %d handlers, %d open, %d streams; want none", hc.handlers, hc.open, len(hc.streams))
	}
}
