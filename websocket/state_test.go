package websocket

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/owner"
	"github.com/wharf-go/wharf/internal/wsframe"
)

// TestCloseTransition drives every close event in every state: the legal
// edges lead where the table says, every other pair is refused, and a
// refused fire changes nothing.
func TestCloseTransition(t *testing.T) {
	type edge struct {
		to closeState
		ok bool
	}
	no := func(s closeState) edge { return edge{s, false} }
	want := [numCloseStates][numCloseEvents]edge{
		csOpen: {
			csClose: {csQueued, true}, csFrame: no(csOpen), csUnframe: no(csOpen),
			csCloseOut: no(csOpen), csAbandon: {csSilent, true}, csFinish: {csSilent, true},
		},
		csQueued: {
			csClose: no(csQueued), csFrame: {csFramed, true}, csUnframe: no(csQueued),
			csCloseOut: {csSent, true}, csAbandon: {csSilent, true}, csFinish: no(csQueued),
		},
		csFramed: {
			csClose: no(csFramed), csFrame: no(csFramed), csUnframe: {csQueued, true},
			csCloseOut: {csSent, true}, csAbandon: {csSilent, true}, csFinish: no(csFramed),
		},
		csSent: {
			csClose: no(csSent), csFrame: no(csSent), csUnframe: no(csSent),
			csCloseOut: no(csSent), csAbandon: {csSilentSent, true}, csFinish: no(csSent),
		},
		csSilent: {
			csClose: no(csSilent), csFrame: no(csSilent), csUnframe: no(csSilent),
			csCloseOut: {csSilentSent, true}, csAbandon: no(csSilent), csFinish: no(csSilent),
		},
		csSilentSent: {
			csClose: no(csSilentSent), csFrame: no(csSilentSent), csUnframe: no(csSilentSent),
			csCloseOut: no(csSilentSent), csAbandon: no(csSilentSent), csFinish: no(csSilentSent),
		},
	}
	edges := 0
	for s := range numCloseStates {
		for ev := range numCloseEvents {
			w := want[s][ev]
			to, ok := closeTransition(s, ev)
			if to != w.to || ok != w.ok {
				t.Errorf("%v on %v: %v, %v; want %v, %v", ev, s, to, ok, w.to, w.ok)
			}
			cs := s
			if ok := cs.fire(ev); ok != w.ok || cs != w.to {
				t.Errorf("fire %v on %v: %v, now %v; want %v, %v", ev, s, ok, cs, w.ok, w.to)
			}
			if w.ok {
				edges++
			}
		}
	}
	if edges != 11 {
		t.Errorf("%d legal edges, want 11", edges)
	}
	for s := range numCloseStates {
		if s.String() == "" {
			t.Errorf("state %d has no name", s)
		}
	}
	for ev := range numCloseEvents {
		if ev.String() == "" {
			t.Errorf("event %d has no name", ev)
		}
	}
}

// TestCloseStateFlags pins what each state says in the terms the
// connection asks in: whether it is closing (Send refuses), whether a
// close frame is to go or went (the peer's close answers it), whether it
// went out whole, and whether nothing more is to be written.
func TestCloseStateFlags(t *testing.T) {
	for _, tt := range []struct {
		s                                closeState
		closing, handshake, sent, silent bool
	}{
		{csOpen, false, false, false, false},
		{csQueued, true, true, false, false},
		{csFramed, true, true, false, false},
		{csSent, true, true, true, false},
		{csSilent, true, false, false, true},
		{csSilentSent, true, false, true, true},
	} {
		if got := [4]bool{tt.s.closing(), tt.s.handshake(), tt.s.sent(), tt.s.silent()}; got != [4]bool{tt.closing, tt.handshake, tt.sent, tt.silent} {
			t.Errorf("%v: closing, handshake, sent, silent = %v; want %v, %v, %v, %v", tt.s, got, tt.closing, tt.handshake, tt.sent, tt.silent)
		}
	}
}

// closeReach is the table's transitive closure: closeReach[a][b] when
// some sequence of legal events leads from a to b (or b is a).
func closeReach() (reach [numCloseStates][numCloseStates]bool) {
	for s := range numCloseStates {
		reach[s][s] = true
	}
	for changed := true; changed; {
		changed = false
		for a := range numCloseStates {
			for b := range numCloseStates {
				if !reach[a][b] {
					continue
				}
				for ev := range numCloseEvents {
					if to, ok := closeTransition(b, ev); ok && !reach[a][to] {
						reach[a][to], changed = true, true
					}
				}
			}
		}
	}
	return reach
}

// raceTunnel is a Tunnel whose writes take at most chunk bytes at a time,
// the rest waiting for a pump to say it takes more, and whose tasks run
// on goroutines of their own: a connection's goroutines race as on a
// server. It checks that one goroutine writes at a time.
type raceTunnel struct {
	quietTunnel
	writer   owner.Goroutine
	tasks    sync.WaitGroup
	wmu      sync.Mutex
	wire     []byte
	writable func()
	closed   bool
}

func (t *raceTunnel) WriteNow(p []byte) (int, error) {
	t.writer.Acquire()
	defer t.writer.Release()
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.closed {
		return 0, api.ErrWouldBlock
	}
	n := min(len(p), 64)
	t.wire = append(t.wire, p[:n]...)
	return n, nil
}

func (t *raceTunnel) NotifyWritable(f func(), _ time.Duration) {
	t.wmu.Lock()
	t.writable = f
	t.wmu.Unlock()
}

// pump tells the connection the tunnel takes more, once, if it waits.
func (t *raceTunnel) pump() {
	t.wmu.Lock()
	f := t.writable
	t.writable = nil
	t.wmu.Unlock()
	if f != nil {
		f()
	}
}

func (t *raceTunnel) Execute(f func()) { t.tasks.Go(f) }

func (t *raceTunnel) Close() error {
	t.wmu.Lock()
	t.closed = true
	t.wmu.Unlock()
	return nil
}

// TestCloseStateRace closes connections from every side at once — Close,
// CloseNow, Abort, the peer's close frame, Sends and a socket that takes
// bytes as it pleases — and checks every state the connection is seen in
// against the table: each is reachable from the one seen before, a
// finished connection's close is over (Sent, Silent or SilentSent), a
// close frame counted as out whole is on the wire, and no more than one
// close frame went.
func TestCloseStateRace(t *testing.T) {
	reach := closeReach()
	peerClose := clientFrame(wsframe.OpClose, []byte{0x03, 0xe8})
	msg := Text("a message that takes more than one write to the socket, as it is longer than sixty-four bytes")
	for i := range 300 {
		tun := &raceTunnel{}
		r := api.NewRequest(context.Background(), &api.RequestHead{Method: "GET", Path: "/ws"}, nil)
		c := newConn(tun, "", &settings{Config: Config{CloseTimeout: time.Second}, pools: new(pools)}, r, discard{})
		c.start()
		tun.tasks.Wait() // OnOpen, and the first look for frames

		stop := make(chan struct{})
		var seen sync.WaitGroup
		seen.Go(func() {
			prev := csOpen
			for {
				c.mu.Lock()
				s, finished := c.cs, c.finished
				c.mu.Unlock()
				if !reach[prev][s] {
					t.Errorf("run %d: state %v after %v: no events lead there", i, s, prev)
				}
				if finished && !s.sent() && !s.silent() {
					t.Errorf("run %d: finished in state %v", i, s)
				}
				prev = s
				runtime.Gosched()
				select {
				case <-stop:
					return
				default:
				}
			}
		})
		var wg sync.WaitGroup
		wg.Go(func() {
			for range 4 {
				c.Send(msg)
			}
		})
		wg.Go(func() { c.Close(CloseNormal, "bye") })
		if i%3 == 0 {
			wg.Go(func() { c.CloseNow(ClosePolicyViolation, "slow") })
		}
		if i%5 == 0 {
			wg.Go(c.Abort)
		}
		if i%2 == 0 {
			wg.Go(func() { tun.feed(peerClose) })
		}
		wg.Go(func() {
			for range 50 {
				tun.pump()
				runtime.Gosched()
			}
		})
		wg.Wait()
		// Whatever is left: the socket takes all, the peer answers.
		ended := make(chan struct{})
		var pumps sync.WaitGroup
		pumps.Go(func() {
			for {
				select {
				case <-ended:
					return
				default:
					tun.pump()
					runtime.Gosched()
				}
			}
		})
		if i%2 != 0 {
			tun.feed(peerClose)
		}
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			c.Abort()
			t.Errorf("run %d: the connection did not end", i)
		}
		close(ended)
		pumps.Wait()
		close(stop)
		seen.Wait()
		tun.tasks.Wait()

		c.mu.Lock()
		s := c.cs
		c.mu.Unlock()
		tun.wmu.Lock()
		closes, whole := countCloseFrames(tun.wire)
		tun.wmu.Unlock()
		if closes > 1 {
			t.Errorf("run %d: %d close frames on the wire", i, closes)
		}
		if s.sent() && whole != 1 {
			t.Errorf("run %d: state %v, but %d whole close frames on the wire", i, s, whole)
		}
		if !s.sent() && !s.silent() {
			t.Errorf("run %d: ended in state %v", i, s)
		}
	}
}

// countCloseFrames counts the close frames the server began on the wire,
// and those of them that are whole.
func countCloseFrames(wire []byte) (begun, whole int) {
	for len(wire) > 0 {
		f, hdr, plen, err := wsframe.HeaderDeflate(wire)
		if err != nil {
			return begun, whole // a frame cut off by an Abort
		}
		if f.Opcode == wsframe.OpClose {
			begun++
		}
		if uint64(len(wire)-hdr) < plen {
			return begun, whole
		}
		if f.Opcode == wsframe.OpClose {
			whole++
		}
		wire = wire[hdr+int(plen):]
	}
	return begun, whole
}
