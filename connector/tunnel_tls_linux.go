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
// nothing more than fdTLS.readNow. Writing cannot fail halfway, since
// crypto/tls remembers every write error and a record cut short breaks
// the connection; so WriteNow encrypts all of p at once, the socket takes
// what it takes, and the rest of the ciphertext waits in out, sent as the
// socket drains (writable, run by the selector's writability events),
// while WriteNow takes nothing more. out thus holds at most one WriteNow's
// bytes, as the caller's own buffer would over cleartext.
type tlsTunnel struct {
	fdTunnel
	t *fdTLS

	drained bool // the reader's: the last TryRead found nothing, in crypto/tls or the socket

	mu     sync.Mutex
	out    []byte        // ciphertext the socket has not taken yet
	armed  bool          // writable is registered with the connection
	user   func()        // the caller's NotifyWritable callback, waiting for out to drain
	wto    time.Duration // the wait's timeout, the caller's last
	failed error         // a socket write failed: every write fails so
}

var _ api.Tunnel = (*tlsTunnel)(nil)

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
		tt.iov[0] = p
		n, err := tt.f.WritevNow(tt.iov[:])
		tt.iov[0] = nil
		if err != nil && !isAgain(err) {
			tt.failed = tt.writeErr(err)
			tt.mu.Unlock()
			return 0, tt.failed
		}
		sent = n
	}
	if sent == len(p) {
		tt.mu.Unlock()
		return sent, nil
	}
	tt.out = append(tt.out, p[sent:]...)
	arm := !tt.armed
	tt.armed = true
	to := tt.wto
	tt.mu.Unlock()
	if arm {
		tt.f.notifyWritable(tt.writable, to)
	}
	return len(p), nil
}

// writable sends what waits in out as the socket takes it, and once all
// went (or the socket failed) calls the caller's waiting callback.
func (tt *tlsTunnel) writable() {
	closed := !tt.enter()
	if !closed {
		defer tt.leave()
	}
	tt.mu.Lock()
	tt.armed = false
	if len(tt.out) > 0 && tt.failed == nil && !closed {
		tt.iov[0] = tt.out
		n, err := tt.f.WritevNow(tt.iov[:])
		tt.iov[0] = nil
		switch {
		case err != nil && !isAgain(err):
			tt.failed = tt.writeErr(err)
		case n == len(tt.out):
			tt.out = nil
		default:
			tt.out = tt.out[n:]
			tt.armed = true
			to := tt.wto
			tt.mu.Unlock()
			tt.f.notifyWritable(tt.writable, to)
			return
		}
	}
	user := tt.user
	tt.user = nil
	tt.mu.Unlock()
	if user != nil {
		user()
	}
}

// NotifyWritable calls f once out drained: now if it has.
func (tt *tlsTunnel) NotifyWritable(f func(), timeout time.Duration) {
	tt.mu.Lock()
	tt.wto = timeout
	if len(tt.out) == 0 || tt.failed != nil {
		tt.mu.Unlock()
		f() // the socket took everything: the caller may write
		return
	}
	tt.user = f
	tt.mu.Unlock()
}

// Close says close_notify if nothing waits to be sent, then closes as an
// fdTunnel does.
func (tt *tlsTunnel) Close() error {
	if tt.enter() {
		tt.mu.Lock()
		quiet := len(tt.out) == 0 && tt.failed == nil
		tt.mu.Unlock()
		if quiet {
			tt.t.closeNotify()
		}
		tt.leave()
	}
	return tt.fdTunnel.Close()
}
