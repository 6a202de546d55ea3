package container_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// stormRequests is how many requests the storm runs: the 100,000.
// Under -short it runs a tenth.
const stormRequests = 100_000

// stormRound is how many requests share one container, and so one Shutdown.
const stormRound = 10

// The race storm: every request suspends, then a resume, a Complete, its
// own timeout (a few microseconds), the client going away and the
// container's Shutdown race for it, in every combination. Every request
// ends exactly once: one OnComplete, one end of its stream (Finish or
// Abort), and Shutdown returns with nothing live. Run it under -race: the
// detector is half of what it checks.
func TestRaceStormContainer(t *testing.T) {
	n := stormRequests
	if testing.Short() {
		n /= 10
	}
	for round := 0; round < n/stormRound; round++ {
		stormOnce(t, round)
		if t.Failed() {
			return
		}
	}
}

// stormOnce runs one container with stormRound requests, the combination
// of racing operations chosen by the bits of round and of each request's
// index.
func stormOnce(t *testing.T, round int) {
	c := container.New(container.WithLogger(wharftest.DiscardLogger()))
	var completes [stormRound]atomic.Int32
	conts := make([]continuation.Continuation, stormRound)
	c.HandleFunc("/storm/{i}", func(w api.Response, r *api.Request) error {
		i, err := strconv.Atoi(r.PathParam("i"))
		if err != nil {
			return err
		}
		cont := continuation.Of(r)
		if !cont.IsInitial() {
			_, err := w.WriteString("again")
			return err
		}
		cont.AddListener(continuation.Listener{OnComplete: func(*api.Request, error) { completes[i].Add(1) }})
		cont.SetTimeout(time.Duration((round+i)%20) * time.Microsecond)
		return cont.SuspendThen(func(c continuation.Continuation) { conts[i] = c })
	})

	streams := make([]*stormStream, stormRound)
	for i := range streams {
		streams[i] = &stormStream{head: wharftest.Head("GET", "/storm/"+strconv.Itoa(i))}
		c.ServeStream(streams[i]) // returns with the request suspended (or already expired)
	}

	var wg sync.WaitGroup
	race := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	for i, s := range streams {
		bits := (round*stormRound + i) * 7
		if bits&1 != 0 {
			race(func() { conts[i].Resume() })
		}
		if bits&2 != 0 {
			race(func() { conts[i].Complete() })
		}
		if bits&4 != 0 {
			race(func() { s.clientGone() })
		}
	}
	shutdown := make(chan error, 1)
	race(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdown <- c.Shutdown(ctx)
	})
	wg.Wait()
	if err := <-shutdown; err != nil {
		t.Fatalf("round %d: Shutdown: %v (%d still active)", round, err, c.Stats().Active)
	}
	for i, s := range streams {
		if n := completes[i].Load(); n != 1 {
			t.Errorf("round %d request %d: OnComplete ran %d times", round, i, n)
		}
		if n := s.ends.Load(); n != 1 {
			t.Errorf("round %d request %d: its stream ended %d times", round, i, n)
		}
	}
	if st := c.Stats(); st.Active != 0 {
		t.Errorf("round %d: %d requests still active after Shutdown", round, st.Active)
	}
}

// stormStream is a connector.Stream in memory that counts how the exchange
// ends, and plays the client going away through its Watcher.
type stormStream struct {
	head *api.RequestHead
	ends atomic.Int32 // Finish and Abort calls

	mu      sync.Mutex
	watcher connector.Watcher
}

func (s *stormStream) Request() *api.RequestHead { return s.head }

func (s *stormStream) WriteHead(int, string, http.Header, int64, []string) error { return nil }
func (s *stormStream) WriteBody([]byte) error                                    { return nil }
func (s *stormStream) Flush() error                                              { return nil }
func (s *stormStream) Finish(http.Header) error                                  { s.ends.Add(1); return nil }
func (s *stormStream) Abort(error)                                               { s.ends.Add(1) }

func (s *stormStream) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, api.ErrNotSupported
}

func (s *stormStream) Watch(w connector.Watcher) {
	s.mu.Lock()
	s.watcher = w
	s.mu.Unlock()
}

// clientGone is what a connector does when the client of a suspended
// request closes its connection.
func (s *stormStream) clientGone() {
	s.mu.Lock()
	w := s.watcher
	s.mu.Unlock()
	w.ClientGone(connector.ErrClientGone)
}
