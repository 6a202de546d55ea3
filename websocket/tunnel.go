package websocket

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/wharf-go/wharf/api"
)

// netTunnel is an api.Tunnel over a hijacked net.Conn, where the
// connector has no Tunnel to give (the portable connector, net/http, a pipe):
// a goroutine blocks in Read only while the Conn waits for bytes, and one
// in Write only while a write is under way. A Conn is the same state
// machine on either.
type netTunnel struct {
	nc  net.Conn
	br  *bufio.Reader // the hijacked reader: the bytes read past the head, then nc
	wto time.Duration // each write's deadline

	mu      sync.Mutex
	rbuf    []byte // read by the reading goroutine, not yet taken
	roff    int
	rerr    error
	reading bool   // a goroutine is in Read
	onRead  func() // called when it returns
	writing bool   // a goroutine is in Write
	pending []byte // taken while it was, written next by that goroutine (at most maxPending)
	werr    error
	onWrite func() // called when it returns
	wdl     time.Time
	closed  bool // Close was called
	shut    bool // CloseWrite was called while a write was under way: its goroutine shuts the sending side
	linger  bool // closed while a write was under way: its goroutine closes nc
}

func newNetTunnel(nc net.Conn, br *bufio.Reader, writeTimeout time.Duration) *netTunnel {
	return &netTunnel{nc: nc, br: br, wto: writeTimeout}
}

func (t *netTunnel) TryRead(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.roff < len(t.rbuf) {
		n := copy(p, t.rbuf[t.roff:])
		t.roff += n
		return n, nil
	}
	if t.rerr != nil {
		return 0, t.rerr
	}
	if t.br.Buffered() > 0 && !t.reading {
		return t.br.Read(p) // does not block: it has bytes
	}
	t.startReadLocked()
	return 0, api.ErrWouldBlock
}

func (t *netTunnel) NotifyReadable(f func()) {
	t.mu.Lock()
	if t.roff < len(t.rbuf) || t.rerr != nil || (t.br.Buffered() > 0 && !t.reading) {
		t.mu.Unlock()
		f()
		return
	}
	t.onRead = f
	t.startReadLocked()
	t.mu.Unlock()
}

// startReadLocked starts the goroutine that waits in Read, unless one
// does.
func (t *netTunnel) startReadLocked() {
	if t.reading || t.closed {
		return
	}
	t.reading = true
	go func() {
		buf := make([]byte, readBufferSize)
		n, err := t.br.Read(buf)
		t.mu.Lock()
		t.reading = false
		t.rbuf, t.roff = buf[:n], 0
		if err != nil && t.rerr == nil { // a failed write's error stands
			t.rerr = err
		}
		f := t.onRead
		t.onRead = nil
		t.mu.Unlock()
		if f != nil {
			f()
		}
	}()
}

// maxPending is how much WriteNow takes while a write is under way: what
// a socket's send buffer would take at once on the epoll connector's
// Tunnel, so that a burst a fast peer reads is not refused (ErrQueueFull)
// only because a goroutine, not the kernel, is writing the last batch.
const maxPending = 64 << 10

// WriteNow takes all of p while no write is under way, for a goroutine
// that writes it under the write deadline; while one is, what fits in
// maxPending, which that goroutine writes next.
func (t *netTunnel) WriteNow(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.werr != nil:
		return 0, t.werr
	case t.closed:
		return 0, net.ErrClosed
	case len(p) == 0:
		return 0, nil
	case t.writing:
		n := min(len(p), maxPending-len(t.pending))
		if n <= 0 {
			return 0, nil
		}
		t.pending = append(t.pending, p[:n]...)
		return n, nil
	}
	t.writing = true
	data := append([]byte(nil), p...)
	go func() {
		var err error
		for {
			t.wdl = refreshDeadline(t.nc.SetWriteDeadline, t.wdl, t.wto)
			_, err = t.nc.Write(data)
			t.mu.Lock()
			if err != nil || len(t.pending) == 0 {
				break // with t.mu held
			}
			// Taken while this write was under way: the peer's now,
			// even after a Close (which waits for it, lingering).
			data, t.pending = t.pending, nil
			t.mu.Unlock()
		}
		t.writing = false
		t.pending = nil
		if t.shut && err == nil {
			err = t.closeWrite()
		}
		if err != nil && t.werr == nil {
			// Nobody may be waiting to write: the reader, who always
			// waits while the connection is open, learns of it.
			t.werr = err
			if t.rerr == nil {
				t.rerr = err
			}
		}
		f := t.onWrite
		t.onWrite = nil
		linger := t.linger || err != nil
		t.mu.Unlock()
		if linger {
			t.nc.Close()
		}
		if f != nil {
			f()
		}
	}()
	return len(p), nil
}

func (t *netTunnel) NotifyWritable(f func(), _ time.Duration) {
	t.mu.Lock()
	if !t.writing || t.werr != nil {
		t.mu.Unlock()
		f()
		return
	}
	t.onWrite = f
	t.mu.Unlock()
}

func (t *netTunnel) Execute(f func()) { go f() }

// Close closes the connection once the write under way, if any, is done
// with what WriteNow took meanwhile (it took the bytes: they are the
// peer's, a close frame most often): each write's deadline bounds the
// wait, two of them at most.
func (t *netTunnel) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	if t.writing {
		t.linger = true
		t.mu.Unlock()
		if cr, ok := t.nc.(interface{ CloseRead() error }); ok {
			cr.CloseRead() // the reading goroutine leaves now
		}
		return nil
	}
	t.mu.Unlock()
	return t.nc.Close()
}

// CloseWrite shuts the sending side once the write under way, if any, is
// done with what WriteNow took: the peer reads all of it, then the end.
func (t *netTunnel) CloseWrite() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.werr != nil:
		return t.werr
	case t.closed:
		return net.ErrClosed
	case t.writing:
		t.shut = true
		return nil
	}
	return t.closeWrite()
}

// closeWrite shuts the sending side: over TLS close_notify first, which
// gets a write deadline of its own (the last write's may have passed).
// Under mu, with no write under way.
func (t *netTunnel) closeWrite() error {
	nc := t.nc
	if tc, ok := nc.(*tls.Conn); ok {
		tc.SetWriteDeadline(time.Now().Add(t.wto))
		if err := tc.CloseWrite(); err != nil {
			return err
		}
		nc = tc.NetConn()
	}
	cw, ok := nc.(interface{ CloseWrite() error })
	if !ok {
		return errors.ErrUnsupported
	}
	return cw.CloseWrite()
}

// abort closes the connection at once: a write under way fails.
func (t *netTunnel) abort() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.nc.Close()
}

// tunnelConn is the net.Conn gorilla's Upgrade writes the 101 on when
// the connection is a Tunnel: a write waits for the Tunnel to take all of
// it (a 101 goes at once); nothing is read through it.
type tunnelConn struct {
	t   api.Tunnel
	wto time.Duration
}

func (c tunnelConn) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := c.t.WriteNow(p[n:])
		n += m
		if err != nil {
			return n, err
		}
		if n < len(p) {
			ready := make(chan struct{})
			c.t.NotifyWritable(func() { close(ready) }, c.wto)
			<-ready
		}
	}
	return n, nil
}

var errNoRead = errors.New("websocket: the handshake's connection is not read")

func (c tunnelConn) Read([]byte) (int, error)         { return 0, errNoRead }
func (c tunnelConn) Close() error                     { return c.t.Close() }
func (c tunnelConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c tunnelConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c tunnelConn) SetDeadline(time.Time) error      { return nil }
func (c tunnelConn) SetReadDeadline(time.Time) error  { return nil }
func (c tunnelConn) SetWriteDeadline(time.Time) error { return nil }

var _ io.Writer = tunnelConn{}
