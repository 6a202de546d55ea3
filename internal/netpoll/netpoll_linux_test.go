package netpoll

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// socketPair returns two connected non-blocking stream sockets, closed when
// the test ends.
func socketPair(t *testing.T) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

func newPoller(t *testing.T) *Poller {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// waitOne waits for events on p and returns them.
func waitOne(t *testing.T, p *Poller) []Event {
	t.Helper()
	evs := make([]Event, 8)
	n, err := p.Wait(evs)
	if err != nil {
		t.Fatal(err)
	}
	return evs[:n]
}

// waitQuiet checks that p reports nothing for a while: a Wake ends the
// Wait, which must then report no event.
func waitQuiet(t *testing.T, p *Poller) {
	t.Helper()
	tm := time.AfterFunc(50*time.Millisecond, func() { p.Wake() })
	defer tm.Stop()
	if evs := waitOne(t, p); len(evs) != 0 {
		t.Fatalf("events %v, want none", evs)
	}
}

func write(t *testing.T, fd int, s string) {
	t.Helper()
	if _, err := unix.Write(fd, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

func TestWaitSeesReadiness(t *testing.T) {
	p := newPoller(t)
	a, b := socketPair(t)
	const key = 0x1234_5678_9abc_def0 // both halves survive the round trip
	if err := p.Add(a, Readable|PeerClosed|EdgeTriggered, key); err != nil {
		t.Fatal(err)
	}
	done := make(chan []Event)
	go func() {
		evs := make([]Event, 8)
		n, err := p.Wait(evs) // parks: nothing is ready yet
		if err != nil {
			t.Error(err)
		}
		done <- evs[:n]
	}()
	time.Sleep(20 * time.Millisecond)
	write(t, b, "x")
	evs := <-done
	if len(evs) != 1 || evs[0].Key() != key || evs[0].Events()&Readable == 0 {
		t.Fatalf("events %+v, want Readable under key %#x", evs, uint64(key))
	}

	// Edge-triggered: the same data is not reported again.
	waitQuiet(t, p)

	// The peer's shutdown is reported.
	unix.Shutdown(b, unix.SHUT_WR)
	evs = waitOne(t, p)
	if len(evs) != 1 || evs[0].Events()&PeerClosed == 0 {
		t.Fatalf("events %+v, want PeerClosed", evs)
	}
}

func TestLevelTriggeredOneShotModifyDelete(t *testing.T) {
	p := newPoller(t)
	a, b := socketPair(t)
	write(t, b, "x")
	if err := p.Add(a, Readable, 1); err != nil {
		t.Fatal(err)
	}
	// Level-triggered: reported while it holds.
	for range 2 {
		if evs := waitOne(t, p); len(evs) != 1 || evs[0].Key() != 1 {
			t.Fatalf("events %+v, want key 1", evs)
		}
	}
	// One-shot: reported once, then again after Modify re-arms it.
	if err := p.Modify(a, Readable|OneShot, 2); err != nil {
		t.Fatal(err)
	}
	if evs := waitOne(t, p); len(evs) != 1 || evs[0].Key() != 2 {
		t.Fatalf("events %+v, want key 2", evs)
	}
	waitQuiet(t, p)
	if err := p.Modify(a, Readable|OneShot, 3); err != nil {
		t.Fatal(err)
	}
	if evs := waitOne(t, p); len(evs) != 1 || evs[0].Key() != 3 {
		t.Fatalf("events %+v, want key 3", evs)
	}
	// Modify with no events keeps it in the set, silent.
	if err := p.Modify(a, 0, 4); err != nil {
		t.Fatal(err)
	}
	waitQuiet(t, p)
	if err := p.Delete(a); err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(a); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("second Delete: %v, want ENOENT", err)
	}
	write(t, b, "y")
	waitQuiet(t, p)
}

func TestReservedKey(t *testing.T) {
	p := newPoller(t)
	a, _ := socketPair(t)
	if err := p.Add(a, Readable, ^uint64(0)); err != ErrReservedKey {
		t.Fatalf("Add with the wake-up's key: %v, want ErrReservedKey", err)
	}
}

func TestWake(t *testing.T) {
	p := newPoller(t)
	// A Wake before the Wait ends it at once, with no event.
	if err := p.Wake(); err != nil {
		t.Fatal(err)
	}
	if evs := waitOne(t, p); len(evs) != 0 {
		t.Fatalf("events %+v after Wake, want none", evs)
	}
	// A Wake during the Wait ends it; the wake-up is never an event, even
	// beside another descriptor's.
	a, b := socketPair(t)
	if err := p.Add(a, Readable, 7); err != nil {
		t.Fatal(err)
	}
	done := make(chan []Event)
	go func() {
		evs := make([]Event, 8)
		n, err := p.Wait(evs)
		if err != nil {
			t.Error(err)
		}
		done <- evs[:n]
	}()
	time.Sleep(20 * time.Millisecond)
	p.Wake()
	if evs := <-done; len(evs) != 0 {
		t.Fatalf("events %+v, want none", evs)
	}
	write(t, b, "x")
	p.Wake()
	time.Sleep(10 * time.Millisecond)
	if evs := waitOne(t, p); len(evs) != 1 || evs[0].Key() != 7 {
		t.Fatalf("events %+v, want key 7 alone", evs)
	}
}

func TestClose(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := p.Wait(make([]Event, 8))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("Wait under way returned no error on Close")
	}
	if err := p.Close(); err != ErrClosed {
		t.Fatalf("second Close: %v, want ErrClosed", err)
	}
	if err := p.Wake(); err != ErrClosed {
		t.Fatalf("Wake after Close: %v, want ErrClosed", err)
	}
	if _, err := p.Wait(make([]Event, 8)); err == nil {
		t.Fatal("Wait after Close returned no error")
	}
}

// Once closed, a Poller no longer touches its epoll descriptor's number,
// which the next epoll instance may get: a Delete of a socket after the
// Close (a connection that ends after its selector stopped) fails, and
// leaves the same socket registered in the new instance alone.
func TestNoControlAfterClose(t *testing.T) {
	a, b := socketPair(t)
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Add(a, Readable|EdgeTriggered, 1); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	q := newPoller(t) // most often on the number p had
	if err := q.Add(a, Readable|EdgeTriggered, 9); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Delete": p.Delete(a),
		"Modify": p.Modify(a, Readable, 1),
		"Add":    p.Add(b, Readable, 2),
	} {
		if err != ErrClosed {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	write(t, b, "x")
	tm := time.AfterFunc(2*time.Second, func() { q.Wake() }) // lest a lost registration hang the test
	defer tm.Stop()
	if evs := waitOne(t, q); len(evs) != 1 || evs[0].Key() != 9 {
		t.Fatalf("the new instance's events %+v, want key 9", evs)
	}
}

func TestRead(t *testing.T) {
	a, b := socketPair(t)
	buf := make([]byte, 16)
	n, err := Read(a, buf)
	if n != 0 || err != ErrAgain || !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("Read of an empty socket: %d, %v; want 0, ErrAgain (unix.EAGAIN)", n, err)
	}
	write(t, b, "hello")
	if n, err := Read(a, buf); n != 5 || err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("Read: %d, %v, %q", n, err, buf[:n])
	}
	unix.Shutdown(b, unix.SHUT_WR)
	if n, err := Read(a, buf); n != 0 || err != nil {
		t.Fatalf("Read at end of stream: %d, %v; want 0, nil", n, err)
	}
	if _, err := Read(-1, buf); err != unix.EBADF {
		t.Fatalf("Read of a bad descriptor: %v, want EBADF", err)
	}
}

func TestWritev(t *testing.T) {
	a, b := socketPair(t)
	// More than MaxIov buffers, some empty: the first MaxIov non-empty ones
	// go.
	var bufs [][]byte
	for i := range 12 {
		bufs = append(bufs, nil, []byte{byte('a' + i)})
	}
	n, err := Writev(a, bufs)
	if n != MaxIov || err != nil {
		t.Fatalf("Writev of 12 buffers: %d, %v; want %d, nil", n, err, MaxIov)
	}
	got := make([]byte, 32)
	m, _ := Read(b, got)
	if string(got[:m]) != "abcdefgh" {
		t.Fatalf("read %q, want the first %d buffers", got[:m], MaxIov)
	}
	if n, err := Writev(a, [][]byte{nil, {}}); n != 0 || err != nil {
		t.Fatalf("Writev of empty buffers: %d, %v; want 0, nil", n, err)
	}
	// A full socket buffer is ErrAgain.
	big := [][]byte{make([]byte, 1<<16)}
	for {
		_, err := Writev(a, big)
		if err == ErrAgain {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestConsume(t *testing.T) {
	b := func(s ...string) [][]byte {
		var out [][]byte
		for _, x := range s {
			out = append(out, []byte(x))
		}
		return out
	}
	for _, c := range []struct {
		in   [][]byte
		n    int
		want [][]byte
	}{
		{b("ab", "cd"), 0, b("ab", "cd")},
		{b("", "", "ab"), 0, b("ab")},
		{b("ab", "cd"), 1, b("b", "cd")},
		{b("ab", "cd"), 2, b("cd")},
		{b("ab", "", "cd"), 2, b("cd")},
		{b("ab", "cd"), 3, b("d")},
		{b("ab", "cd"), 4, nil},
		{b("ab", "cd", ""), 4, nil},
		{nil, 0, nil},
	} {
		got := Consume(c.in, c.n)
		if len(got) != len(c.want) {
			t.Fatalf("Consume(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
		for i := range got {
			if !bytes.Equal(got[i], c.want[i]) {
				t.Fatalf("Consume(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
			}
		}
	}
}

func TestListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	l, err := NewListener(ln.(*net.TCPListener))
	if err != nil {
		t.Fatal(err)
	}
	if l.FD() < 0 || l.Err() != nil {
		t.Fatalf("FD %d, Err %v", l.FD(), l.Err())
	}
	// The runtime made the socket non-blocking: an empty backlog is
	// ErrAgain, not a wait.
	if fd, _, err := l.Accept(); err != ErrAgain {
		t.Fatalf("Accept on an empty backlog: %d, %v; want ErrAgain", fd, err)
	}

	p := newPoller(t)
	if err := l.Add(p, Readable|OneShot, 42); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if evs := waitOne(t, p); len(evs) != 1 || evs[0].Key() != 42 {
		t.Fatalf("events %+v, want the listener's", evs)
	}
	fd, remote, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if want := c.LocalAddr().(*net.TCPAddr).AddrPort(); remote != want {
		t.Fatalf("remote %v, want %v", remote, want)
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_NONBLOCK == 0 {
		t.Fatalf("accepted socket not non-blocking: flags %#x, %v", fl, err)
	}
	if fdfl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fdfl&unix.FD_CLOEXEC == 0 {
		t.Fatal("accepted socket not close-on-exec")
	}
	if err := SetNoDelay(fd); err != nil {
		t.Fatal(err)
	}
	if v, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); v == 0 {
		t.Fatal("TCP_NODELAY not set")
	}
	// One-shot: the next connection is reported after Modify re-arms.
	c2, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	waitQuiet(t, p)
	if err := l.Modify(p, Readable|OneShot, 43); err != nil {
		t.Fatal(err)
	}
	if evs := waitOne(t, p); len(evs) != 1 || evs[0].Key() != 43 {
		t.Fatalf("events %+v, want the listener's, re-armed", evs)
	}
	if err := l.Delete(p); err != nil {
		t.Fatal(err)
	}

	// Closed by its owner: every method says so, and touches no descriptor.
	ln.Close()
	if l.Err() == nil {
		t.Fatal("Err nil after the listener closed")
	}
	if _, _, err := l.Accept(); err == nil {
		t.Fatal("Accept on a closed listener succeeded")
	}
	if err := l.Modify(p, Readable, 44); err == nil {
		t.Fatal("Modify on a closed listener succeeded")
	}
}

// The peer's address is read from the raw sockaddr accept4 fills: the
// port in network byte order, a v4-mapped IPv6 peer given as IPv4, and
// nothing for another family.
func TestAcceptedPeer(t *testing.T) {
	tests := []struct {
		name string
		fill func(*unix.RawSockaddrAny)
		want netip.AddrPort
	}{
		{"IPv4", func(rsa *unix.RawSockaddrAny) {
			sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
			sa.Family, sa.Addr = unix.AF_INET, [4]byte{10, 0, 0, 1}
			setPort(&sa.Port, 8080)
		}, netip.MustParseAddrPort("10.0.0.1:8080")},
		{"IPv6", func(rsa *unix.RawSockaddrAny) {
			sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
			sa.Family, sa.Addr = unix.AF_INET6, netip.MustParseAddr("2001:db8::1").As16()
			setPort(&sa.Port, 443)
		}, netip.MustParseAddrPort("[2001:db8::1]:443")},
		{"v4-mapped IPv6", func(rsa *unix.RawSockaddrAny) {
			sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
			sa.Family, sa.Addr = unix.AF_INET6, netip.MustParseAddr("::ffff:192.0.2.7").As16()
			setPort(&sa.Port, 443)
		}, netip.MustParseAddrPort("192.0.2.7:443")},
		{"Unix", func(rsa *unix.RawSockaddrAny) { rsa.Addr.Family = unix.AF_UNIX }, netip.AddrPort{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Listener
			tt.fill(&l.acc.rsa)
			if got := l.peer(); got != tt.want {
				t.Fatalf("peer %v, want %v", got, tt.want)
			}
		})
	}
}

// setPort stores port in a sockaddr's port field, in network byte order.
func setPort(field *uint16, port uint16) {
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(field))[:], port)
}

// Accepting, over IPv4 and IPv6 loopback, gives the peer's address as the
// client sees its own, and allocates nothing.
func TestAcceptAllocs(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			addr := map[string]string{"tcp4": "127.0.0.1:0", "tcp6": "[::1]:0"}[network]
			ln, err := net.Listen(network, addr)
			if err != nil {
				t.Skipf("no %s loopback: %v", network, err)
			}
			defer ln.Close()
			l, err := NewListener(ln.(*net.TCPListener))
			if err != nil {
				t.Fatal(err)
			}
			const n = 20
			var locals []netip.AddrPort
			for range n + 1 { // AllocsPerRun runs once more to warm up
				c, err := net.Dial(network, ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				locals = append(locals, c.LocalAddr().(*net.TCPAddr).AddrPort())
			}
			var peers []netip.AddrPort
			fds := make([]int, 0, n+1)
			peers = make([]netip.AddrPort, 0, n+1)
			allocs := testing.AllocsPerRun(n, func() {
				for {
					fd, peer, err := l.Accept()
					if err == ErrAgain {
						continue // the handshake is still on its way
					}
					if err != nil {
						t.Fatal(err)
					}
					fds, peers = append(fds, fd), append(peers, peer)
					return
				}
			})
			for _, fd := range fds {
				unix.Close(fd)
			}
			if allocs != 0 {
				t.Errorf("Accept: %v allocations, want 0", allocs)
			}
			for _, p := range peers {
				if !slices.Contains(locals, p) {
					t.Fatalf("accepted peer %v is none of the clients %v", p, locals)
				}
			}
		})
	}
}

func TestTable(t *testing.T) {
	var tb Table[int]
	one, two := new(int), new(int)
	k1 := tb.Put(5, one)
	if k1>>32 == 0 || uint32(k1) != 5 {
		t.Fatalf("key %#x: want fd 5 and a generation above 0", k1)
	}
	if tb.Get(k1) != one {
		t.Fatal("Get of a fresh key")
	}
	if tb.Get(5) != nil || tb.Get(uint64(1)<<32|99) != nil {
		t.Fatal("a key the table never made found something")
	}
	// The number reused: the old key finds nothing.
	k2 := tb.Put(5, two)
	if k2 == k1 || tb.Get(k1) != nil || tb.Get(k2) != two {
		t.Fatalf("after reuse: Get(old) %v, Get(new) %v", tb.Get(k1), tb.Get(k2))
	}
	tb.Delete(5, one) // not its value any more: ignored
	if tb.Get(k2) != two {
		t.Fatal("Delete of a stale value removed the new one")
	}
	tb.Delete(5, two)
	if tb.Get(k2) != nil {
		t.Fatal("Get after Delete")
	}
	tb.Delete(1000, one) // beyond the table: nothing
}

// The calls on the per-event and per-request paths allocate nothing.
func TestAllocs(t *testing.T) {
	p := newPoller(t)
	a, b := socketPair(t)
	var tb Table[int]
	v := new(int)
	key := tb.Put(a, v)
	if err := p.Add(a, Readable|Writable|PeerClosed|EdgeTriggered, key); err != nil {
		t.Fatal(err)
	}
	evs := make([]Event, 8)
	buf := make([]byte, 64)
	msg := [][]byte{[]byte("GET / HTTP/1.1\r\n"), []byte("\r\n")}
	allocs := testing.AllocsPerRun(100, func() {
		out := [2][]byte{msg[0], msg[1]} // as the connector's writev vector, kept in a struct
		if _, err := Writev(b, out[:]); err != nil {
			t.Fatal(err)
		}
		n, err := p.Wait(evs)
		if err != nil || n == 0 {
			t.Fatal(n, err)
		}
		for i := range n {
			if tb.Get(evs[i].Key()) != v {
				t.Fatal("event for an unknown key")
			}
		}
		if _, err := Read(a, buf); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(a, buf); err != ErrAgain {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per round, want 0", allocs)
	}
}

// NetConn hands a socket to the Go runtime: blocking I/O with deadlines on
// a net.Conn of its own.
func TestNetConn(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	// NetConn takes the descriptors over: nothing here closes them again.
	a, err := NetConn(fds[0])
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NetConn(fds[1])
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	go a.Write([]byte("hello"))
	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(b, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("read %q, %v", buf, err)
	}
}
