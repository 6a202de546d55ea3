package connector

import (
	"net"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// heldFirer is a connection's timer Firer that says when the wheel has
// taken the timer out to fire it, and lets the connection hear it only
// once told to: what the connection's other goroutines do meanwhile is
// what they may do while the selector's producer is on its way to Mu.
type heldFirer struct {
	f                *fdConn
	entered, proceed chan struct{}
}

func (h *heldFirer) Fire(gen uint32) {
	select {
	case h.entered <- struct{}{}:
	default:
	}
	<-h.proceed
	(*timerFirer)(h.f).Fire(gen)
}

// An idle timer the wheel fires as its request suspends (too late for
// stopIdle to take it out), whose connection then turns idle again when
// the request is finished elsewhere and files the timer anew, must leave
// that new filing its own: the wheel calls the Firer outside its lock,
// so all this can come between the two. idleFired cleared idleArmed
// whatever it found. If the connection was no longer idle when it looked
// (Shutdown claimed it), the connection thought it held no timer while
// one was filed, and its close left it in the wheel, counted in
// Stats.Timers and keeping the connection reachable until it fired into
// a closed connection.
func TestIdleFiredKeepsTimerFiledAgain(t *testing.T) {
	tests := []struct {
		name    string
		claimed bool // Shutdown claims the connection before idleFired looks
	}{
		{"claimed and closed", true},
		{"still idle", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &Server{}
				sel, err := newSelector(srv)
				if err != nil {
					t.Fatal(err)
				}
				defer sel.cleanup()
				fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer syscall.Close(fds[1])
				f := &fdConn{sel: sel}
				f.FD, f.Local = fds[0], &net.TCPAddr{}
				h := &heldFirer{f: f, entered: make(chan struct{}, 1), proceed: make(chan struct{})}
				f.tm.Init(h)
				c := newEpollConn(srv, f, "")
				if err := sel.register(f); err != nil {
					syscall.Close(fds[0])
					t.Fatal(err)
				}
				defer c.close()

				c.must(evReady) // idle: its idle timer is filed
				f.Mu.Lock()
				f.armIdleLocked()
				f.Mu.Unlock()
				c.must(evReadable) // a request came; the timer stays filed
				c.must(evHead)

				fired := make(chan struct{})
				go func() { // the producer: the idle timeout is due
					defer close(fired)
					sel.wheel.AdvanceTo(time.Now().Add(DefaultIdleTimeout))
				}()
				<-h.entered
				f.stopIdle() // the request suspends: the timer is out already
				c.must(evSuspend)
				c.must(evNext) // it is finished elsewhere, and the connection turns idle
				if err := f.idleUnlessReadable(); err != errWouldBlock {
					t.Fatalf("turning idle: %v", err)
				}
				if tt.claimed && !c.claim() {
					t.Fatal("the idle connection could not be claimed")
				}
				close(h.proceed)
				<-fired

				f.Mu.Lock()
				armed := f.idleArmed
				f.Mu.Unlock()
				filed := sel.wheel.Pending(&f.tm)
				if armed != filed {
					t.Errorf("after the late fire: idleArmed = %v, but the timer filed = %v", armed, filed)
				}
				if tt.claimed {
					c.close()
					if n := sel.wheel.Len(); n != 0 {
						t.Errorf("the closed connection left %d timer(s) filed", n)
					}
				} else if !filed {
					t.Error("the idle connection has no timer filed")
				}
				sel.wheel.Stop(&f.tm) // none left to fire after the test
			})
		})
	}
}
