//go:build !windows

// Package soak_test hunts leaks under hostile mixed traffic: servers of
// every kind of handler the library offers (a plain one, a long poll, a
// blocking one, an event stream, a WebSocket echo, a multipart upload, a
// static file), over cleartext (HTTP/1.1, h2c) and TLS (HTTP/1.1 and
// HTTP/2 by ALPN), with the default limits and with tight ones, and many
// clients at once that mix ordinary requests with rude endings. Once they
// are gone each server must have given everything back: no request in
// flight, no connection open, no stream or socket left, no temporary file,
// no goroutine more than before they came; and after the shutdown no
// goroutine or descriptor more than before the servers started.
//
// The single-fault tests of each package check one ending each; this one
// checks that they do not add up to a leak when they come together. It
// runs for seconds, and not with -short.
package soak_test

import (
	"context"
	"flag"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wharf-go/wharf/internal/wharftest"
)

// soakFor is how long the clients of each test run: a longer hunt is a
// flag away (go test -run Soak -soak 15s).
var soakFor = flag.Duration("soak", 2500*time.Millisecond, "how long the clients of TestSoak and TestSoakShutdown run")

// clients is how many client goroutines run at once, on each server.
const clients = 8

// TestSoak runs the clients against the servers for soakFor, waits for the
// servers to come to rest, shuts them down, and checks that everything
// came back.
func TestSoak(t *testing.T) { soak(t, false) }

// TestSoakShutdown is TestSoak with the servers shut down halfway, under
// the clients' load: what they held when the shutdown came must be given
// back too.
func TestSoakShutdown(t *testing.T) { soak(t, true) }

// tally counts the runs of one action.
type tally struct{ runs, failed, took atomic.Int64 }

// soak runs the clients against four servers (cleartext with h2c and TLS,
// each with the defaults and with tight limits) for soakFor; underLoad
// shuts the servers down halfway, else once the clients left and the
// servers came to rest. Then it checks that everything came back.
func soak(t *testing.T, underLoad bool) {
	if testing.Short() {
		t.Skip("the soak runs for seconds")
	}
	// The runtime's network poller opens its descriptors (an epoll and an
	// eventfd) at the first socket, and keeps them.
	if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		l.Close()
	}
	goroutines := goleak.IgnoreCurrent()
	fds := wharftest.OpenFiles(t)
	heap := heapInUse()

	servers := startServers(t)
	// Each served a request, so that what a server runs at rest is
	// running (its selectors, their reserved goroutines) before the
	// count.
	for _, s := range servers {
		if err := get(context.Background(), s.h1, s.url("/hello")); err != nil {
			t.Fatal(err)
		}
		s.closeIdle()
	}
	var serving []string
	wharftest.Poll(func() bool {
		for _, s := range servers {
			if s.c.Stats().Connections.Open != 0 {
				return false
			}
		}
		serving = wharftest.BusyGoroutines()
		return true
	})

	stop := make(chan struct{})
	var publishers sync.WaitGroup
	for _, s := range servers {
		publishers.Go(func() { s.publish(stop) })
	}
	var tallies sync.Map // action name → *tally
	deadline := time.Now().Add(*soakFor)
	var wg sync.WaitGroup
	for i, s := range servers {
		for j := range clients {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(i), uint64(j)))
				for time.Now().Before(deadline) {
					a := actions[r.IntN(len(actions))]
					began := time.Now()
					err := a.do(s, r)
					v, _ := tallies.LoadOrStore(a.name, new(tally))
					n := v.(*tally)
					n.runs.Add(1)
					n.took.Add(int64(time.Since(began)))
					if err != nil {
						n.failed.Add(1)
					}
				}
			})
		}
	}
	shutdown := func() {
		for _, s := range servers {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if err := s.c.Shutdown(ctx); err != nil {
				t.Logf("%s: shutdown: %v", s, err) // under load it may run out of time
				s.c.Close()
			}
			cancel()
			<-s.done
		}
	}
	if underLoad {
		time.Sleep(*soakFor / 2)
		shutdown()
	}
	wg.Wait()
	close(stop)
	publishers.Wait()
	for _, s := range servers {
		s.closeIdle()
	}
	tallies.Range(func(k, v any) bool {
		n := v.(*tally)
		t.Logf("%-20s %4d runs, %4d ended in an error, %v each", k, n.runs.Load(), n.failed.Load(), time.Duration(n.took.Load()/n.runs.Load()).Round(time.Millisecond))
		return true
	})

	// The clients are gone: the servers come to rest on their own, with
	// no request, connection, stream, socket or file left, and no more
	// goroutines than before the clients came.
	for _, s := range servers {
		var why string
		if !wharftest.Poll(func() (ok bool) { ok, why = s.atRest(); return ok }) {
			t.Errorf("%s not at rest after the clients left: %s", s, why)
		}
	}
	if !underLoad {
		var busy []string
		if !wharftest.Poll(func() bool { busy = wharftest.BusyGoroutines(); return len(busy) <= len(serving) }) {
			t.Errorf("at rest, %d goroutines busy, %d before the clients came:\n%s", len(busy), len(serving), strings.Join(busy, "\n\n"))
		}
		shutdown()
	}
	for _, s := range servers {
		s.broker.Close()
		s.files.Close()
	}
	if err := goleak.Find(goroutines); err != nil {
		t.Error(err)
	}
	var now map[string]string
	if !wharftest.Poll(func() bool { now = wharftest.OpenFiles(t); return len(now) <= len(fds) }) {
		t.Errorf("%d descriptors open after the shutdown, %d before:\nbefore %v\nafter  %v", len(now), len(fds), fds, now)
	}
	if h := heapInUse(); h > heap+64<<20 { // loose: the runtime keeps what it likes
		t.Errorf("heap %d MiB after the soak, %d MiB before", h>>20, heap>>20)
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
