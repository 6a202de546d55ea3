package connector

import (
	"sync"
	"testing"

	"github.com/wharf-go/wharf/internal/owner"
)

// TestTLSWriteTransition drives every write-side event in every state: the
// legal edges lead where the table says, every other pair is refused and
// changes nothing, and must panics exactly where fire refuses.
func TestTLSWriteTransition(t *testing.T) {
	type edge struct {
		to tlsWriteState
		ok bool
	}
	want := [numTLSWriteStates][numTLSWriteEvents]edge{
		wIdle:    {wBegin: {wWriting, true}, wEnd: {wIdle, false}, wNotify: {wClosed, true}},
		wWriting: {wBegin: {wWriting, false}, wEnd: {wIdle, true}, wNotify: {wWriting, false}},
		wClosed:  {wBegin: {wClosed, false}, wEnd: {wClosed, false}, wNotify: {wClosed, false}},
	}
	for s := range numTLSWriteStates {
		if s.String() == "" {
			t.Errorf("state %d has no name", s)
		}
		for ev := range numTLSWriteEvents {
			w := want[s][ev]
			if to, ok := tlsWriteTransition(s, ev); to != w.to || ok != w.ok {
				t.Errorf("%v on %v: %v, %v; want %v, %v", ev, s, to, ok, w.to, w.ok)
			}
			var ws tlsWriteSide
			ws.v.Store(uint32(s))
			if from, ok := ws.fire(ev); from != s || ok != w.ok || ws.Load() != w.to {
				t.Errorf("fire %v on %v: found %v, %v, now %v; want %v, %v, %v", ev, s, from, ok, ws.Load(), s, w.ok, w.to)
			}
			ws.v.Store(uint32(s))
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				ws.must(ev)
				return false
			}()
			if panicked == w.ok || ws.Load() != w.to {
				t.Errorf("must %v on %v: panicked %v, now %v; want %v, %v", ev, s, panicked, ws.Load(), !w.ok, w.to)
			}
		}
	}
}

// TestTLSWriteRace: a connection's owner writes responses one after
// another while two goroutines (Close, a lingering close) send
// close_notify, as fdTLS.write and fdTLS.closeNotify race (each tries
// again and again, to meet more of the writes). Every fire
// agrees with the table; the response writes and close_notify never
// overlap (a second writer would panic in Acquire); close_notify goes at
// most once, and no response begins after it; the owner's wEnd, fired
// unconditionally, is never refused; and the write side ends Closed
// exactly when close_notify went, else Idle.
func TestTLSWriteRace(t *testing.T) {
	for range 1000 {
		var ws tlsWriteSide
		var writer owner.Goroutine // whoever writes to crypto/tls now
		var mu sync.Mutex
		notified, refusedBegins := 0, 0
		fire := func(ev tlsWriteEvent) bool {
			from, ok := ws.fire(ev)
			if _, legal := tlsWriteTransition(from, ev); ok != legal {
				t.Errorf("fire %v found %v and said %v; the table says %v", ev, from, ok, legal)
			}
			if ev == wBegin && !ok && from != wClosed {
				t.Errorf("a response write refused in %v: only close_notify ends them", from)
			}
			return ok
		}
		// The handshake, before any close_notify may go (shakenOK).
		ws.must(wBegin)
		ws.must(wEnd)
		var wg sync.WaitGroup
		start := make(chan struct{}) // so that they do race
		wg.Go(func() {
			<-start
			for range 20 {
				if !fire(wBegin) {
					mu.Lock()
					refusedBegins++
					mu.Unlock()
					return
				}
				writer.Acquire()
				writer.Release()
				ws.must(wEnd)
			}
		})
		for range 2 {
			wg.Go(func() {
				<-start
				// Tried again and again, to race more of the writes:
				// refused while one is under way, and after close_notify.
				for range 20 {
					if fire(wNotify) {
						writer.Acquire() // and never lets go: nothing is written after close_notify
						mu.Lock()
						notified++
						mu.Unlock()
					}
				}
			})
		}
		close(start)
		wg.Wait()
		want := wIdle
		if notified == 1 {
			want = wClosed
		}
		if notified > 1 || ws.Load() != want {
			t.Fatalf("close_notify went %d times, the write side is %v; want at most once, %v", notified, ws.Load(), want)
		}
		if refusedBegins > 0 && notified == 0 {
			t.Fatalf("a response write was refused without close_notify")
		}
	}
}
