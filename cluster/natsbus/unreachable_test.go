package natsbus_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wharf-go/wharf/cluster"
	"github.com/wharf-go/wharf/cluster/natsbus"
	"github.com/wharf-go/wharf/internal/natsembed/natstest"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// silentServer accepts TCP connections and never speaks NATS (no INFO),
// as a port held by another program, or a broker hung before its
// handshake, does: every attempt to reach it lasts until nats.go's
// handshake deadline.
type silentServer struct {
	ln       net.Listener
	accepted atomic.Int64
}

// newSilentServer starts a silentServer, shut down, with every connection
// it accepted, when the test ends.
func newSilentServer(t *testing.T) *silentServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &silentServer{ln: ln}
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			s.accepted.Add(1)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return s
}

func (s *silentServer) url() string { return "nats://" + s.ln.Addr().String() }

// slowest returns the longest of n calls of f.
func slowest(n int, f func()) time.Duration {
	var longest time.Duration
	for range n {
		start := time.Now()
		f()
		longest = max(longest, time.Since(start))
	}
	return longest
}

// A server that accepts connections but never answers does not hold up
// Connect, Publish, Stats or Subscribe beyond WriteTimeout: nats.go holds
// its lock for the whole of an attempt to reach a server, which it
// bounded by its own 2 s Timeout, and the Bus asked nats.go whether it
// was connected, with that lock, from Connect, Publish and Stats. Before,
// with a WriteTimeout of 100 ms, Connect took 2 s, and a Publish or a
// Stats call racing an attempt up to 2 s; a nats.Timeout in Options
// longer than half of WriteTimeout is shortened too.
func TestUnreachableBrokerDoesNotBlock(t *testing.T) {
	const writeTimeout = 100 * time.Millisecond
	for _, tc := range []struct {
		name    string
		options []nats.Option
	}{
		{"nats.go's default timeout", nil},
		{"a longer timeout in Options", []nats.Option{nats.Timeout(5 * time.Second)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newSilentServer(t)
			// Each call may take up to WriteTimeout by the doc (Connect
			// once per server); ten times that leaves room for a loaded
			// machine and is still well below nats.go's 2 s.
			const bound = 10 * writeTimeout
			start := time.Now()
			b := connect(t, srv.url(), natsbus.Config{WriteTimeout: writeTimeout, Options: tc.options})
			if d := time.Since(start); d > bound {
				t.Errorf("Connect took %v with WriteTimeout %v", d, writeTimeout)
			}
			// The retry loop is running: the calls below race its attempts.
			wharftest.WaitFor(t, "the bus to retry the server", func() bool { return srv.accepted.Load() >= 3 })

			const n = 30
			if d := slowest(n, func() {
				err := b.Publish(context.Background(), "x", nil)
				if !errors.Is(err, natsbus.ErrNotConnected) || !errors.Is(err, cluster.ErrNotDelivered) {
					t.Fatalf("Publish to a silent server: %v, want ErrNotConnected", err)
				}
			}); d > bound {
				t.Errorf("a Publish took %v with WriteTimeout %v", d, writeTimeout)
			}
			if d := slowest(n, func() {
				if st := b.Stats(); st.Connected || st.Lost != n {
					t.Fatalf("stats with a silent server %+v, want %d lost", st, n)
				}
			}); d > bound {
				t.Errorf("a Stats call took %v with WriteTimeout %v", d, writeTimeout)
			}
			start = time.Now()
			if _, err := b.Subscribe("x", func(string, []byte) {}); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > bound {
				t.Errorf("Subscribe took %v with WriteTimeout %v", d, writeTimeout)
			}
		})
	}
}

// Stats.Reconnects counts the sessions made after Connect's attempt, as
// cluster.Stats says: not the TCP connections that never became one.
// Before, it was nats.go's count, which grows with each connection
// accepted, before the handshake: a server that never answered showed as
// many reconnections as attempts.
func TestReconnectsCountsSessions(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T) *natsbus.Bus
		want int64
	}{
		{"a server that never answers", func(t *testing.T) *natsbus.Bus {
			srv := newSilentServer(t)
			b := connect(t, srv.url(), natsbus.Config{WriteTimeout: 100 * time.Millisecond})
			wharftest.WaitFor(t, "the bus to retry the server", func() bool { return srv.accepted.Load() >= 3 })
			return b
		}, 0},
		{"connected at once", func(t *testing.T) *natsbus.Bus {
			broker := natstest.ForTest(t)
			b := connect(t, broker.URL, natsbus.Config{})
			wharftest.WaitFor(t, "the bus to connect", func() bool { return b.Stats().Connected })
			return b
		}, 0},
		{"the broker up after Connect", func(t *testing.T) *natsbus.Bus {
			broker := natstest.ForTest(t)
			broker.Stop()
			b := connect(t, broker.URL, natsbus.Config{})
			broker.Restart()
			wharftest.WaitFor(t, "the bus to connect", func() bool { return b.Stats().Connected })
			return b
		}, 1},
		{"the broker restarted", func(t *testing.T) *natsbus.Bus {
			broker := natstest.ForTest(t)
			b := connect(t, broker.URL, natsbus.Config{})
			broker.Stop()
			wharftest.WaitFor(t, "the bus to see the broker gone", func() bool { return !b.Stats().Connected })
			broker.Restart()
			wharftest.WaitFor(t, "the bus to reconnect", func() bool { return b.Stats().Connected })
			return b
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.run(t)
			if st := b.Stats(); st.Reconnects != tc.want {
				t.Errorf("stats %+v, want %d reconnects", st, tc.want)
			}
		})
	}
}

// Stats does not wait for a Subscribe that waits for nats.go's lock: a
// Subscribe while nats.go tries a server that does not answer waits for
// the attempt (at most WriteTimeout, as its doc says), and it held the
// Bus's own lock meanwhile, which Stats (and the metrics callback that
// calls it) then waited for too. Before, with a WriteTimeout of 2 s, a
// Stats call racing such a Subscribe took up to 1 s, the handshake's
// half of it.
func TestStatsDoesNotWaitForSubscribe(t *testing.T) {
	srv := newSilentServer(t)
	b := connect(t, srv.url(), natsbus.Config{WriteTimeout: 2 * time.Second})
	wharftest.WaitFor(t, "the bus to retry the server", func() bool { return srv.accepted.Load() >= 2 })

	const subscribes = 3
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range subscribes {
			if _, err := b.Subscribe("x", func(string, []byte) {}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var longest time.Duration
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		start := time.Now()
		b.Stats()
		longest = max(longest, time.Since(start))
	}
	if longest > 200*time.Millisecond {
		t.Errorf("a Stats call took %v while Subscribe waited for nats.go", longest)
	}
}
