package connector

import (
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/wharf-go/wharf/internal/timerwheel"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// goneFunc is a Watcher.
type goneFunc func(error)

func (f goneFunc) ClientGone(err error) { f(err) }

// stallFirer holds the goroutine that fires it until released: it stands
// for a selector's producer busy elsewhere (a real Firer must not block).
type stallFirer struct {
	t                timerwheel.Timer
	entered, release chan struct{}
}

func (s *stallFirer) Fire(uint32) {
	close(s.entered)
	<-s.release
}

// Close breaks the connection of a suspended request, and its watcher
// hears it, as it hears a client gone: a standalone Server's Close (no
// container completes the request) told no one. The watcher heard it
// only from the selector, which Close stops right after the break: a
// selector busy at that moment stopped without seeing the break, and
// the request stayed suspended, its connection open and counted, for
// as long as its handler waited for news of its client.
func TestCloseTellsSuspendedRequestsWatcher(t *testing.T) {
	gone := make(chan error, 1)
	streams := make(chan Stream, 1)
	stall := &stallFirer{entered: make(chan struct{}), release: make(chan struct{})}
	stall.t.Init(stall)
	srv := &Server{Config: Config{Selectors: 1}, Handler: streamHandlerFunc(func(s Stream) {
		s.Watch(goneFunc(func(err error) { gone <- err }))
		s.(*stream).TimerWheel().Schedule(&stall.t, 0, 0) // the producer stalls at its next tick
		streams <- s                                      // returns unfinished: the request suspends
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	nc := wharftest.Dial(t, l.Addr().String(), 0)
	if _, err := io.WriteString(nc, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	s := <-streams
	for s.(*stream).handoff.Load() != hoDetached { // its watcher is the connection's
		runtime.Gosched()
	}
	<-stall.entered

	closed := make(chan struct{})
	go func() { defer close(closed); srv.Close() }()
	sel := srv.selectorList()[0]
	for !sel.stopped.Load() { // Close broke the connection, and is stopping the selector
		runtime.Gosched()
	}
	close(stall.release)
	<-closed
	<-served

	select {
	case err := <-gone:
		if !errors.Is(err, ErrClientGone) {
			t.Errorf("the watcher heard %v, want ErrClientGone", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Close broke the suspended request's connection, and its watcher never heard")
	}
	s.Abort(errors.New("test over")) // its connection closes
}
