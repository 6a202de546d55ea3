package connector

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/internal/netpoll"
	"github.com/wharf-go/wharf/internal/timerwheel"
)

// fdTunnel is an epoll connection taken over as an api.Tunnel
// (Stream.Tunnel): the socket stays registered with its selector, whose
// events call the Tunnel's callbacks (fdConn.event), and the connection
// stays in the server's books, so Shutdown waits for it and Close breaks
// it. The conn's state is Closed from the request's end (conn.next), so
// the selector never reads a head from it again.
type fdTunnel struct {
	f    *fdConn
	rest []byte // read past the request head: TryRead returns it first; the reader's
	// ops counts the reads and writes under way, with tClosing set once
	// Close was called: the descriptor closes when both say so, never
	// under a system call that could then reach a reused number; and
	// tFDClosed once it did (a bit here rather than a field: the Tunnel
	// then fits 48 bytes).
	ops atomic.Int64
}

const (
	tClosing  = 1 << 40
	tFDClosed = 1 << 41
)

var _ api.Tunnel = (*fdTunnel)(nil)

// tunnel implements connIO: a cleartext connection or, through
// crypto/tls, a TLS one (tunnel_tls_linux.go).
func (f *fdConn) tunnel(rest []byte) (api.Tunnel, error) {
	f.Mu.Lock()
	f.gone, f.onRead = nil, nil // the request's listeners are done
	f.Mu.Unlock()
	if f.tls != nil {
		return newTLSTunnel(f, rest), nil
	}
	return &fdTunnel{f: f, rest: rest}, nil
}

// enter begins a system call on the socket; false once Close was called.
func (t *fdTunnel) enter() bool {
	if t.ops.Add(1)&tClosing != 0 {
		t.leave()
		return false
	}
	return true
}

func (t *fdTunnel) leave() {
	if t.ops.Add(-1) == tClosing {
		t.closeFD()
	}
}

func (t *fdTunnel) TryRead(p []byte) (int, error) {
	if len(t.rest) > 0 {
		n := copy(p, t.rest)
		t.rest = t.rest[n:]
		if len(t.rest) == 0 {
			t.rest = nil
		}
		return n, nil
	}
	if !t.enter() {
		return 0, net.ErrClosed
	}
	defer t.leave()
	n, err := t.f.ReadNow(p)
	switch {
	case err == nil, err == io.EOF, errors.Is(err, net.ErrClosed):
		return n, err
	case err == netpoll.ErrAgain:
		return 0, api.ErrWouldBlock
	}
	return 0, &net.OpError{Op: "read", Net: "tcp", Err: err}
}

func (t *fdTunnel) NotifyReadable(f func()) {
	if len(t.rest) > 0 {
		f()
		return
	}
	t.f.notifyReadable(f)
}

func (t *fdTunnel) WriteNow(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !t.enter() {
		return 0, net.ErrClosed
	}
	defer t.leave()
	n, err := t.f.writeNow(p)
	switch {
	case err == nil:
		return n, nil
	case isAgain(err):
		return 0, nil
	case t.f.writeExpired():
		return 0, fmt.Errorf("connector: the peer took nothing within the write timeout: %w", os.ErrDeadlineExceeded)
	}
	return 0, err
}

func (t *fdTunnel) NotifyWritable(f func(), timeout time.Duration) {
	t.f.notifyWritable(f, timeout)
}

func (t *fdTunnel) Execute(f func()) {
	t.f.c.srv.execute(dispatcher.Task{Run: f})
}

// TimerWheel returns the timer wheel of the selector polling the socket,
// whose timers fire on the goroutine the Tunnel's events come from: a
// WebSocket's pings and timeouts go in it. None of the Tunnel's methods
// blocks there, over TLS either: WriteNow keeps the ciphertext the socket
// does not take, and Close's close_notify goes the same way (lingering,
// when ciphertext waits, on a goroutine of its own).
func (t *fdTunnel) TimerWheel() *timerwheel.Wheel { return t.f.sel.wheel }

// Close releases the socket from its selector (a read or write under way
// fails, a waiting NotifyWritable is called), closes it once no system
// call is under way, and takes the connection out of the server's books.
func (t *fdTunnel) Close() error {
	// Close holds an op of its own while it releases the socket: a read
	// or write ending meanwhile must not close the descriptor, whose
	// number could be reused before letGo takes it out of the selector.
	if !t.enter() {
		return nil
	}
	if t.ops.Or(tClosing)&tClosing != 0 {
		t.leave() // another Close got there first
		return nil
	}
	t.f.letGo()
	t.leave()
	return nil
}

func (t *fdTunnel) closeFD() {
	if t.ops.Or(tFDClosed)&tFDClosed != 0 {
		return
	}
	netpoll.Close(t.f.FD)
	t.f.c.srv.removeConn(t.f.c)
}

// CloseWrite shuts the socket's sending side, after what WriteNow took:
// the peer reads all of it, then the end, and the socket is still read
// (package websocket's lingering close).
func (t *fdTunnel) CloseWrite() error { return t.closeWrite() }

// closeWrite shuts the socket's sending side (waitConn.CloseWrite).
func (t *fdTunnel) closeWrite() error {
	if !t.enter() {
		return net.ErrClosed
	}
	defer t.leave()
	return netpoll.CloseWrite(t.f.FD)
}

// handOver marks the Tunnel as a hand-over's (waitConn): its read
// callbacks start at once, never behind the executor's work
// (fdConn.startNow).
func (t *fdTunnel) handOver() {
	t.f.Mu.Lock()
	t.f.startNow = true
	t.f.Mu.Unlock()
}

// abortWrites is for a write that failed on its deadline (waitConn's):
// nothing of cleartext waits in the Tunnel.
func (t *fdTunnel) abortWrites(error) {}

// addrs returns the socket's local and remote addresses (waitConn's).
func (t *fdTunnel) addrs() (local, remote net.Addr) {
	return t.f.Local, net.TCPAddrFromAddrPort(t.f.Remote)
}
