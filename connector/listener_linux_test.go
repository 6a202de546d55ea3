package connector_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// At the limit, the epoll selector takes its listener out of its poll
// set: a level-triggered listener with a connection waiting would
// otherwise wake it in a loop. The process uses next to no CPU while a
// connection waits in the backlog.
func TestMaxConnectionsPausesListener(t *testing.T) {
	addr, c := serve(t, connector.Config{MaxConnections: 1, Selectors: 1})
	held := wharftest.Dial(t, addr, 0)
	io.WriteString(held, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
	if _, err := http.ReadResponse(bufio.NewReader(held), nil); err != nil {
		t.Fatal(err)
	}
	wharftest.Dial(t, addr, 0) // a second connection: it stays in the backlog
	wharftest.WaitFor(t, "the selector to see the waiting connection", func() bool { return c.Stats().Connections.Open == 1 })
	if used, elapsed := quietestCPU(t); used > elapsed/3 {
		t.Fatalf("the process used %v of CPU in %v at the limit: the selector spins on its listener", used, elapsed)
	}
}

// quietestCPU measures the process's CPU time over three windows of
// 150 ms and returns the one that used the least. A selector spinning on
// its listener spins in all three; a garbage collection or the end of an
// earlier test's goroutines, which count against the process too, seldom
// fills them all.
func quietestCPU(t *testing.T) (used, elapsed time.Duration) {
	for i := range 3 {
		before, wall := cpuTime(t), time.Now()
		time.Sleep(150 * time.Millisecond)
		u, e := cpuTime(t)-before, time.Since(wall)
		if i == 0 || u*elapsed < used*e {
			used, elapsed = u, e
		}
	}
	return used, elapsed
}

// cpuTime is the CPU time the process has used.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Closing a listener yourself ends its Serve, on the epoll connector too
// (whose selector sees no event for it), and the server goes on serving
// its other listeners.
func TestServeReturnsWhenListenerClosed(t *testing.T) {
	addr, c := serve(t, connector.Config{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := serveThenClose(t, c, l); err == nil || errors.Is(err, connector.ErrServerClosed) {
		t.Fatalf("Serve returned %v, want the listener's error", err)
	}
	if resps, _, _ := roundTrip(t, addr, "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 1); resps[0].StatusCode != 200 {
		t.Fatalf("the other listener: status %d", resps[0].StatusCode)
	}
}

// A closed listener whose socket another descriptor keeps open (a graceful
// restart's copy) stays in the selector's poll set; a connection waiting
// in its backlog must not wake the selector in a loop.
func TestClosedListenerWithCopyDoesNotSpin(t *testing.T) {
	_, c := serve(t, connector.Config{Selectors: 1})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	copyFile, err := l.(*net.TCPListener).File() // the socket lives on in it
	if err != nil {
		t.Fatal(err)
	}
	defer copyFile.Close()
	serveThenClose(t, c, l)
	waiting, err := net.Dial("tcp", l.Addr().String()) // into the copy's backlog
	if err != nil {
		t.Fatal(err)
	}
	defer waiting.Close()
	if used, elapsed := quietestCPU(t); used > elapsed/3 {
		t.Fatalf("the process used %v of CPU in %v: the selector spins on a closed listener", used, elapsed)
	}
}

// serveThenClose serves l on c, checks it answers, closes l and returns
// what Serve returned, which it must within 10 s.
func serveThenClose(t *testing.T, c *container.Container, l net.Listener) error {
	t.Helper()
	served := make(chan error, 1)
	go func() { served <- c.Serve(l) }()
	resps, _, _ := roundTrip(t, l.Addr().String(), "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 1)
	if resps[0].StatusCode != 200 {
		t.Fatalf("status %d", resps[0].StatusCode)
	}
	l.Close()
	select {
	case err := <-served:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its listener was closed")
		return nil
	}
}

// A connection accepted as Shutdown begins, still being made ready when
// Shutdown looks for idle connections, is closed once it is ready: it is
// not left open until its idle timer, with Shutdown waiting for it.
func TestShutdownDuringAccept(t *testing.T) {
	inAccept := make(chan struct{})
	release := make(chan struct{})
	cfg := connector.WithBeforeReadyHook(connector.Config{IdleTimeout: time.Hour}, func() {
		close(inAccept)
		<-release
	})
	c := container.New(container.WithConnector(cfg), container.WithLogger(wharftest.DiscardLogger()))
	c.HandleFunc("/hello", func(w api.Response, r *api.Request) error { return nil })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- c.Serve(l) }()
	nc := wharftest.Dial(t, l.Addr().String(), 0)
	<-inAccept // listed, not yet ready: Shutdown cannot claim it now
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- c.Shutdown(ctx) }()
	// Serve returns once Shutdown has stopped accepting; it looks for
	// idle connections right then, and finds this one not ready.
	if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
		t.Fatalf("Serve = %v", err)
	}
	close(release)
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown = %v: the connection accepted meanwhile was left open", err)
	}
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Read(make([]byte, 1)); err == nil {
		t.Error("the connection is still open after Shutdown")
	}
}

// A Serve that fails because the process is out of descriptors for the
// epoll connector's selectors fails that once, and gives back what it
// made: a later Serve, with descriptors to spare, serves (a program that
// retries is not refused for good with the first error).
func TestServeAfterSelectorsFailed(t *testing.T) {
	tests := []struct {
		name string
		left int // descriptors left for the first Serve
	}{
		{"no selector made", 0},
		{"one of two made", 4}, // an epoll, an eventfd and a timerfd for the first
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &connector.Server{Config: connector.Config{Selectors: 2}, Handler: streamFunc(func(s connector.Stream) {
				s.WriteHead(200, "", nil, 2, nil)
				s.WriteBody([]byte("ok"))
				s.Finish(nil)
			})}
			defer srv.Close()
			l1, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l1.Close()
			before := openDescriptors(t)
			err = withDescriptorsLeft(t, tt.left, func() error { return srv.Serve(l1) })
			if !errors.Is(err, syscall.EMFILE) {
				t.Fatalf("Serve out of descriptors: %v, want EMFILE", err)
			}
			// The failed Serve closed l1, as net/http's Serve closes its
			// listener; nothing else it made stays open.
			if n := openDescriptors(t); n != before-1 {
				t.Errorf("%d descriptors open after the failed Serve, %d before (l1 among them)", n, before)
			}

			l2, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(l2) }()
			resps, _, _ := roundTrip(t, l2.Addr().String(), "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 1)
			if resps[0].StatusCode != 200 {
				t.Fatalf("status %d", resps[0].StatusCode)
			}
			if err := srv.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := <-served; !errors.Is(err, connector.ErrServerClosed) {
				t.Fatalf("Serve: %v", err)
			}
		})
	}
}

// openDescriptors counts the process's open descriptors.
func openDescriptors(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	return len(es) - 1 // ReadDir's own is closed again
}

// withDescriptorsLeft runs f with the process allowed n descriptors more
// than it has open.
func withDescriptorsLeft(t *testing.T, n int, f func() error) error {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Skip(err)
	}
	lim := old
	lim.Cur = uint64(openDescriptors(t) + n)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	return f()
}
