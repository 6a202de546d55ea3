package connector

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/netpoll"
)

// tlsTunnel is a TLS connection of the epoll connector taken over as an
// api.Tunnel: an fdTunnel whose bytes go through crypto/tls. Reading needs
// nothing more than fdTLS.readNow. Writing cannot stop halfway, since
// crypto/tls remembers every write error and a record cut short breaks
// the connection; so WriteNow encrypts all of p at once, the socket takes
// what it takes, and the rest of the ciphertext waits in out, sent as the
// socket drains (writable, run by the selector's writability events),
// while WriteNow takes nothing more. out thus holds at most one WriteNow's
// bytes, as the caller's own buffer would over cleartext.
//
// WriteNow having said the bytes were taken, they are sent: Close with
// ciphertext waiting lingers, taking no more bytes and reading none, until
// out drained (then close_notify) or the write timeout passed, and only
// then lets the socket go. The caller's NotifyWritable callback runs on
// the executor: writable may run inside crypto/tls's write lock (a socket
// write of the reader's, an alert or a KeyUpdate, found the socket
// writable at once), where the callback's own write would deadlock.
type tlsTunnel struct {
	fdTunnel
	t *fdTLS

	drained bool // the reader's: the last TryRead found nothing, in crypto/tls or the socket

	mu      sync.Mutex
	out     []byte        // ciphertext the socket has not taken yet
	armed   bool          // writable is registered with the connection
	user    func()        // the caller's NotifyWritable callback, waiting for out to drain
	wto     time.Duration // the wait's timeout: the caller's last, else the server's write timeout
	failed  error         // a socket write failed: every write fails so
	linger  bool          // Close came with out not drained: writable ends the connection
	shut    bool          // CloseWrite came with out not drained: writable shuts the sending side
	lingerT time.Duration // how long writable may take for that
	inline  bool          // the caller's write callbacks only signal (waitConn's): call them where writability is seen
}

var _ api.Tunnel = (*tlsTunnel)(nil)

// newTLSTunnel makes the Tunnel of a TLS connection; fdTLS's writes go
// through it from now on.
func newTLSTunnel(f *fdConn, rest []byte) *tlsTunnel {
	wt := f.c.srv.limits().WriteTimeout
	tt := &tlsTunnel{fdTunnel: fdTunnel{f: f, rest: rest}, t: f.tls, wto: wt, lingerT: wt}
	// What a write that could not wait left (fdTLS.pend) goes before the
	// Tunnel's bytes: out sends it.
	f.tls.pmu.Lock()
	f.tls.tun = tt
	tt.out, f.tls.pend = f.tls.pend, nil
	f.tls.pmu.Unlock()
	if len(tt.out) > 0 {
		tt.mu.Lock()
		tt.armLocked()
	}
	return tt
}

func (tt *tlsTunnel) TryRead(p []byte) (int, error) {
	if len(tt.rest) > 0 {
		return tt.fdTunnel.TryRead(p)
	}
	if !tt.enter() {
		return 0, net.ErrClosed
	}
	defer tt.leave()
	n, err := tt.t.readNow(p)
	tt.drained = err == netpoll.ErrAgain
	switch {
	case tt.drained:
		return 0, api.ErrWouldBlock
	case err == nil, err == io.EOF:
		return n, err
	}
	return n, fmt.Errorf("connector: TLS read: %w", err)
}

// NotifyReadable calls f now unless a TryRead found nothing: bytes may wait
// inside crypto/tls, where no edge of the socket announces them.
func (tt *tlsTunnel) NotifyReadable(f func()) {
	if len(tt.rest) > 0 || !tt.drained {
		f()
		return
	}
	tt.f.notifyReadable(f)
}

func (tt *tlsTunnel) WriteNow(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !tt.enter() {
		return 0, net.ErrClosed
	}
	defer tt.leave()
	tt.mu.Lock()
	pending, err := len(tt.out) > 0, tt.failed
	tt.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if pending {
		return 0, nil
	}
	if _, err := tt.t.tc.Write(p); err != nil {
		if tt.ops.Load()&tClosing != 0 {
			return 0, net.ErrClosed // Close said close_notify meanwhile
		}
		return 0, tt.writeErr(err)
	}
	return len(p), nil
}

// writeErr is the error a failed write reports.
func (tt *tlsTunnel) writeErr(err error) error {
	if tt.f.writeExpired() {
		return fmt.Errorf("connector: the peer took nothing within the write timeout: %w", os.ErrDeadlineExceeded)
	}
	return err
}

// rawWrite is crypto/tls's socket write (fdTLS.Write) once tunneled: what
// the socket does not take now waits in out. It never fails but for a
// broken socket. Its callers hold an op (WriteNow, TryRead, Close).
func (tt *tlsTunnel) rawWrite(p []byte) (int, error) {
	tt.mu.Lock()
	if tt.failed != nil {
		err := tt.failed
		tt.mu.Unlock()
		return 0, err
	}
	sent := 0
	if len(tt.out) == 0 {
		n, err := tt.sendLocked(p)
		if err != nil {
			tt.mu.Unlock()
			return 0, err
		}
		sent = n
	}
	if sent == len(p) {
		tt.mu.Unlock()
		return sent, nil
	}
	tt.out = append(tt.out, p[sent:]...)
	tt.armLocked()
	return len(p), nil
}

// sendLocked writes what of p the socket takes now; a failure is kept.
// mu is held.
func (tt *tlsTunnel) sendLocked(p []byte) (int, error) {
	n, err := tt.f.writeNow(p)
	if err != nil && !isAgain(err) {
		tt.failed = tt.writeErr(err)
		return 0, tt.failed
	}
	return n, nil
}

// armLocked has writable called at the socket's next writability, bounded
// by the wait's timeout (a wait under way is moved to it), and unlocks mu.
func (tt *tlsTunnel) armLocked() {
	tt.armed = true
	to := tt.wto
	if tt.linger {
		to = tt.lingerT
	}
	tt.mu.Unlock()
	tt.f.notifyWritable(tt.writable, to)
}

// writable sends what waits in out as the socket takes it. Once all went,
// or the socket failed, it hands the caller's waiting callback to the
// executor or, when Close lingers, ends the connection.
func (tt *tlsTunnel) writable() {
	closed := !tt.enter() // Close came: only a lingering one lets us write
	if !closed {
		defer tt.leave()
	}
	tt.mu.Lock()
	tt.armed = false
	if closed && !tt.linger {
		tt.out = nil
		tt.handUserLocked()
		return
	}
	if len(tt.out) > 0 && tt.failed == nil {
		if n, err := tt.sendLocked(tt.out); err == nil {
			if n < len(tt.out) {
				tt.out = tt.out[n:]
				if cap(tt.out) > 64<<10 && len(tt.out) < cap(tt.out)/4 {
					tt.out = append([]byte(nil), tt.out...) // do not keep a large batch's array for its tail
				}
				tt.armLocked()
				return
			}
		}
		tt.out = nil
	}
	if tt.shut && !closed && tt.failed == nil {
		tt.shut = false
		netpoll.CloseWrite(tt.f.FD)
	}
	if tt.linger {
		tt.linger = false
		failed := tt.failed != nil
		user, inline := tt.takeUserLocked()
		tt.mu.Unlock()
		// On a goroutine of its own: close_notify takes crypto/tls's write
		// lock, which this goroutine may hold (a reader's alert, whose
		// rawWrite found the socket writable and called writable at once).
		go func() {
			if !failed {
				tt.t.closeNotify()
			}
			tt.f.letGo()
			tt.leave()               // the op Close left to us: the descriptor closes now
			tt.runUser(user, inline) // its writes fail: closed
		}()
		return
	}
	tt.handUserLocked()
}

// handUserLocked takes the caller's waiting callback, unlocks mu and runs
// it.
func (tt *tlsTunnel) handUserLocked() {
	user, inline := tt.takeUserLocked()
	tt.mu.Unlock()
	tt.runUser(user, inline)
}

// takeUserLocked takes the caller's waiting callback, if any, and whether
// to run it at once (a hand-over's). mu is held.
func (tt *tlsTunnel) takeUserLocked() (user func(), inline bool) {
	user, tt.user = tt.user, nil
	return user, tt.inline
}

// runUser runs the caller's callback taken by takeUserLocked: on the
// executor, or at once for a hand-over's.
func (tt *tlsTunnel) runUser(user func(), inline bool) {
	switch {
	case user == nil:
	case inline:
		user()
	default:
		tt.Execute(user)
	}
}

// NotifyWritable calls f once out drained: now if it has. A wait under
// way takes timeout from now on.
func (tt *tlsTunnel) NotifyWritable(f func(), timeout time.Duration) {
	tt.mu.Lock()
	if len(tt.out) == 0 || tt.failed != nil || tt.linger {
		tt.mu.Unlock()
		f() // the socket took everything, or nothing more will go: the caller may write
		return
	}
	tt.user = f
	tt.wto = timeout
	tt.armLocked() // moves the wait's timer to the caller's timeout
}

// Close ends the Tunnel: from now on WriteNow and TryRead fail with
// net.ErrClosed. Unless ciphertext waits to be sent (then writable lingers
// for it, see tlsTunnel), it says close_notify and lets the socket go as
// an fdTunnel does.
func (tt *tlsTunnel) Close() error {
	if !tt.enter() {
		return nil
	}
	if tt.ops.Or(tClosing)&tClosing != 0 {
		tt.leave() // another Close got there first
		return nil
	}
	tt.mu.Lock()
	if len(tt.out) > 0 && tt.failed == nil {
		tt.linger = true // our op is writable's to give back
		tt.armLocked()
		return nil
	}
	tt.mu.Unlock()
	tt.t.closeNotify()
	tt.f.letGo()
	tt.leave()
	return nil
}

// handOver marks the Tunnel as a hand-over's (waitConn): beside what
// fdTunnel.handOver does, its write callbacks, which only wake a waiting
// Write, run where writability is seen rather than queue on the executor
// behind the handlers that wait for that Write.
func (tt *tlsTunnel) handOver() {
	tt.fdTunnel.handOver()
	tt.mu.Lock()
	tt.inline = true
	tt.mu.Unlock()
}

// abortWrites drops the ciphertext not sent yet, and fails every write
// from now on with err: a write gave up on its deadline, so Close must not
// linger to send what came before it.
func (tt *tlsTunnel) abortWrites(err error) {
	tt.mu.Lock()
	if tt.failed == nil {
		tt.failed = err
	}
	tt.out = nil
	tt.mu.Unlock()
}

// CloseWrite says close_notify and shuts the socket's sending side once
// the ciphertext waiting in out is sent (writable): the peer reads all
// WriteNow took, then the end, and the socket is still read (package
// websocket's lingering close).
func (tt *tlsTunnel) CloseWrite() error {
	if !tt.enter() {
		return net.ErrClosed
	}
	defer tt.leave()
	tt.t.closeNotify()
	tt.mu.Lock()
	defer tt.mu.Unlock()
	switch {
	case tt.failed != nil:
		return tt.failed
	case len(tt.out) > 0:
		tt.shut = true // writable is armed: out waits for the socket
		return nil
	}
	return netpoll.CloseWrite(tt.f.FD)
}

// closeWrite says close_notify (waitConn.CloseWrite); the socket's
// sending side stays open for what waits in out.
func (tt *tlsTunnel) closeWrite() error {
	if !tt.enter() {
		return net.ErrClosed
	}
	defer tt.leave()
	tt.t.closeNotify()
	return nil
}
