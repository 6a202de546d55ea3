package connector

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharf-go/wharf/internal/netpoll"
)

// TLS on the epoll connector. crypto/tls reads and writes a net.Conn;
// fdTLS is that net.Conn over the connection's non-blocking socket, so
// the selector watches a TLS connection as it watches a cleartext one and
// no goroutine waits while it is idle or its request is suspended:
//
//   - The handshake, which crypto/tls cannot resume once its reader
//     failed, runs on a goroutine of its own from the connection's first
//     readable event, its reads and writes parking (bounded by
//     ReadHeaderTimeout).
//   - Reads that must not wait (a request head, a NonBlocking body read)
//     fail with errTLSAgain when the socket has nothing: a temporary
//     net.Error, which crypto/tls gives back without remembering it, the
//     partial record kept in its buffer for the next read. Only such a
//     failure says that crypto/tls holds no complete record, so only then
//     does the connection wait for the selector's next edge (drained): a
//     read of the socket takes all it has into crypto/tls's buffer, which
//     then hands it out a record at a time, with no edge to announce the
//     rest.
//   - Writes of a response park while the socket buffer is full, as
//     cleartext ones do, bounded by the write timeout for the whole piece
//     however many records it takes; any other write (an alert,
//     close_notify, an answer) never waits: what the socket does not
//     take of it waits in pend, sent whole at the socket's next
//     writability or before the next response's bytes, since a record
//     cut short would break the stream; a lingering close shuts the
//     sending side only once pend went. crypto/tls remembers every
//     write error, so a write that cannot finish ends the connection.
//   - crypto/tls's reader may write (an alert for a bad record, a
//     KeyUpdate's answer) under the write lock a parked response writer
//     holds, so it never reads on the selector while a response may be
//     written: read listeners run on the executor (fdConn.event).
//
// What crypto/tls keeps per connection (its Conn, its input buffer sized
// to the largest record read) stays; the goroutine and the connector's
// read buffer do not. A Tunnel writes through crypto/tls, what the socket
// does not take kept for later (tunnel_tls_linux.go); NonBlockingWriter
// and sendfile are not offered: their writes go to the socket without
// crypto/tls.
type fdTLS struct {
	f   *fdConn
	cfg *tls.Config
	tc  *tls.Conn  // made by the handshake
	nc  net.Conn   // once released (Hijack, HTTP/2): the socket, which tc uses from then on
	tun *tlsTunnel // once tunneled: what tc writes goes through it

	// The read side, set by the goroutine about to read through tc
	// (one at a time: the connection's owner).
	rpark    bool      // a read may park; false: errTLSAgain when the socket has nothing
	rUntil   time.Time // a parking read's deadline (zero: none)
	drained  bool      // the last read ended on an empty socket: tc holds no complete record
	partial  bool      // the socket's bytes end inside a record: part of one waits in tc
	shakenOK bool      // the handshake succeeded

	// Where the bytes read from the socket stand in their records, for
	// partial: of the header being read, hdrN bytes in hdr; then recLeft
	// bytes of its record. Bytes taken whole that carried no plaintext (a
	// KeyUpdate, a warning alert, an empty record) leave no part behind.
	hdr     [5]byte
	hdrN    int
	recLeft int

	// The write side. wstate says who writes (a state machine,
	// tlsstate_linux.go): a response (or the handshake), whose socket
	// writes may park, in all at most wto, waited adding up how long they
	// waited for the peer; or close_notify, after which nothing is
	// written. wfailed says a socket write failed, maybe in the middle of
	// a record. wto is atomic: a socket write of crypto/tls's reader (a
	// KeyUpdate's answer, an alert) that sees wWriting reads it while the
	// response writer, blocked behind it on crypto/tls's write lock, sets
	// it for its piece.
	wstate  tlsWriteSide
	wfailed atomic.Bool
	wto     atomic.Int64 // a time.Duration
	waited  atomic.Int64 // a time.Duration

	shaking atomic.Bool // the handshake runs: Shutdown breaks the connection rather than wait

	// pend is ciphertext that a write which may not wait (a KeyUpdate's
	// answer read with the connection idle, an alert) left when the
	// socket was full: crypto/tls took its record as sent, so it goes
	// whole, before any other byte, at the socket's next writability
	// (flushPending) or first in the next write. pmu guards it, and nc
	// as flushPending reads it.
	pmu  sync.Mutex
	pend []byte
	// shut says the socket's sending side is to be shut once pend went
	// (shutWrite): shut before, the client would read a record cut
	// short, then the end of the stream. Under pmu.
	shut bool
}

// maxTLSPending bounds pend: a client that asks for KeyUpdates without
// reading the answers gets no more than this kept for it; past it, the
// connection's writes fail.
const maxTLSPending = 16 << 10

// errTLSPending fails the writes of a connection whose client left more
// than maxTLSPending unread.
var errTLSPending = errors.New("connector: TLS peer does not read what it asked for")

// tlsAgain is errTLSAgain's type: a temporary net.Error, so crypto/tls
// does not keep it.
type tlsAgain struct{}

func (tlsAgain) Error() string   { return "connector: TLS read would block" }
func (tlsAgain) Timeout() bool   { return true }
func (tlsAgain) Temporary() bool { return true }

// errTLSAgain is what fdTLS's socket read returns, when it may not wait,
// for an empty socket.
var errTLSAgain net.Error = tlsAgain{}

// tlsWouldPark is netpoll.ErrWouldPark as a temporary net.Error, so that
// crypto/tls does not keep it either; parkErr turns it back into
// errWouldPark once crypto/tls returned.
type tlsWouldPark struct{}

func (tlsWouldPark) Error() string   { return errWouldPark.Error() }
func (tlsWouldPark) Timeout() bool   { return false }
func (tlsWouldPark) Temporary() bool { return true }
func (tlsWouldPark) Unwrap() error   { return errWouldPark }

var _ net.Conn = (*fdTLS)(nil)

// Read is crypto/tls's read of the socket.
func (t *fdTLS) Read(p []byte) (int, error) {
	if t.nc != nil {
		return t.nc.Read(p)
	}
	if !t.rpark {
		n, err := t.f.ReadNow(p)
		if err == netpoll.ErrAgain {
			return 0, errTLSAgain
		}
		t.frame(p[:n])
		return n, err
	}
	var to time.Duration
	if !t.rUntil.IsZero() {
		if to = time.Until(t.rUntil); to <= 0 {
			return 0, os.ErrDeadlineExceeded
		}
	}
	n, err := t.f.Read(p, to)
	if err == netpoll.ErrWouldPark {
		return 0, tlsWouldPark{}
	}
	t.frame(p[:n])
	return n, err
}

// frame follows the records through b, the socket's next bytes, and sets
// partial: whether they end inside a record.
func (t *fdTLS) frame(b []byte) {
	for len(b) > 0 {
		if t.recLeft > 0 {
			n := min(t.recLeft, len(b))
			t.recLeft -= n
			b = b[n:]
			continue
		}
		n := copy(t.hdr[t.hdrN:], b)
		t.hdrN += n
		b = b[n:]
		if t.hdrN == len(t.hdr) {
			t.hdrN, t.recLeft = 0, int(t.hdr[3])<<8|int(t.hdr[4])
		}
	}
	t.partial = t.hdrN > 0 || t.recLeft > 0
}

// Write is crypto/tls's write of the socket: all of p, or an error.
func (t *fdTLS) Write(p []byte) (int, error) {
	if t.nc != nil {
		if pend := t.takePending(); len(pend) > 0 {
			if _, err := t.nc.Write(pend); err != nil {
				return 0, err
			}
		}
		return t.nc.Write(p)
	}
	if t.tun != nil {
		return t.tun.rawWrite(p)
	}
	if t.wstate.Load() == wWriting {
		// What a write that could not wait left goes first. It is this
		// write's now: flushPending finds nothing to send meanwhile.
		pend := t.takePending()
		to := time.Duration(t.wto.Load())
		if to > 0 {
			// One timeout for the piece, not for each of its records.
			if to -= time.Duration(t.waited.Load()); to <= 0 {
				t.wfailed.Store(true)
				return 0, os.ErrDeadlineExceeded
			}
		}
		iov := [2][]byte{pend, p} // on the stack: Writev keeps no part of it
		waited, err := t.f.Writev(iov[:], to)
		t.waited.Add(int64(waited))
		if err != nil {
			t.wfailed.Store(true)
			if err == netpoll.ErrWouldPark {
				err = tlsWouldPark{}
			}
			return 0, err
		}
		return len(p), nil
	}
	// A record cut short by a full socket would break the stream for
	// whatever follows it: what the socket does not take waits in pend.
	t.pmu.Lock()
	defer t.pmu.Unlock()
	if t.wfailed.Load() {
		return 0, net.ErrClosed // nothing after a record that may be broken
	}
	size := len(p)
	if len(t.pend) == 0 {
		// Nothing waits: the socket takes p itself, and only what it
		// leaves is copied, so that a write it takes whole (close_notify
		// at every close) allocates nothing.
		n, err := t.f.writeNow(p)
		switch {
		case err == nil && n == len(p):
			return n, nil
		case err != nil && err != netpoll.ErrAgain && err != net.ErrClosed:
			t.wfailed.Store(true)
			return 0, err
		}
		p = p[n:]
	}
	if len(t.pend)+len(p) > maxTLSPending {
		t.wfailed.Store(true)
		return 0, errTLSPending
	}
	t.pend = append(t.pend, p...)
	if err := t.sendPendingLocked(); err != nil {
		return 0, err
	}
	return size, nil
}

// sendPendingLocked writes what of pend the socket takes now. pmu is held.
func (t *fdTLS) sendPendingLocked() error {
	for len(t.pend) > 0 {
		n, err := t.f.writeNow(t.pend)
		t.pend = t.pend[n:]
		if err == netpoll.ErrAgain || err == net.ErrClosed {
			// Full; or the socket left the selector: released, it is
			// for Write to send pend over it (nc), and closed, for none.
			return nil
		}
		if err != nil {
			t.wfailed.Store(true)
			t.pend, t.shut = nil, false
			return err
		}
	}
	t.pend = nil
	if t.shut {
		t.shut = false
		return netpoll.CloseWrite(t.f.FD)
	}
	return nil
}

// shutWrite shuts the socket's sending side for a lingering close: at
// once if nothing waits in pend, else once flushPending sent it, within
// the linger's bound.
func (t *fdTLS) shutWrite() error {
	t.pmu.Lock()
	defer t.pmu.Unlock()
	if len(t.pend) > 0 && t.nc == nil && t.tun == nil {
		t.shut = true
		return nil
	}
	return netpoll.CloseWrite(t.f.FD)
}

// shutWaits reports whether the sending side waits for pend to be sent
// before it is shut (shutWrite).
func (t *fdTLS) shutWaits() bool {
	t.pmu.Lock()
	defer t.pmu.Unlock()
	return t.shut
}

// flushPending sends what waits in pend as far as the socket takes it:
// the selector calls it at the socket's writability. It waits for pmu
// rather than look at pend without it: an edge that comes while a write
// finds the socket full and fills pend is seen once pend is filled.
func (t *fdTLS) flushPending() {
	t.pmu.Lock()
	if len(t.pend) > 0 && t.nc == nil && t.tun == nil {
		t.sendPendingLocked()
	}
	t.pmu.Unlock()
}

// takePending returns what waits in pend, which the caller is to send
// before anything else, and empties it.
func (t *fdTLS) takePending() []byte {
	t.pmu.Lock()
	pend := t.pend
	t.pend = nil
	t.pmu.Unlock()
	return pend
}

// Close is crypto/tls's close: the connector closes the socket itself,
// unless it was released.
func (t *fdTLS) Close() error {
	if t.nc != nil {
		return t.nc.Close()
	}
	return nil
}

func (t *fdTLS) LocalAddr() net.Addr  { return t.f.Local }
func (t *fdTLS) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(t.f.Remote) }

// The deadlines are fdTLS's own (rUntil, wto) until the socket is
// released; crypto/tls sets them only around close_notify.
func (t *fdTLS) SetDeadline(d time.Time) error {
	if t.nc != nil {
		return t.nc.SetDeadline(d)
	}
	return nil
}

func (t *fdTLS) SetReadDeadline(d time.Time) error {
	if t.nc != nil {
		return t.nc.SetReadDeadline(d)
	}
	return nil
}

func (t *fdTLS) SetWriteDeadline(d time.Time) error {
	if t.nc != nil {
		return t.nc.SetWriteDeadline(d)
	}
	return nil
}

// readNow reads decrypted bytes without waiting: netpoll.ErrAgain when
// neither crypto/tls nor the socket has any.
func (t *fdTLS) readNow(p []byte) (int, error) {
	t.rpark = false
	n, err := t.tc.Read(p)
	t.drained = err == errTLSAgain
	if t.drained {
		// crypto/tls may return bytes with the error (it looked for a
		// close_notify behind them): the bytes count.
		if err = nil; n == 0 {
			err = netpoll.ErrAgain
		}
	}
	return n, err
}

// read reads decrypted bytes, parking at most to (<= 0: no limit) while
// the socket has nothing.
func (t *fdTLS) read(p []byte, to time.Duration) (int, error) {
	t.rpark, t.rUntil = true, deadline(to)
	n, err := t.tc.Read(p)
	t.rpark, t.rUntil, t.drained = false, time.Time{}, false
	return n, parkErr(err)
}

// parkErr is err as the connector says it: errWouldPark for a read or
// write a NonBlocking handler's rule kept from parking.
func parkErr(err error) error {
	var wp tlsWouldPark
	if errors.As(err, &wp) {
		return errWouldPark
	}
	return err
}

// write encrypts and sends head and body, parking while the socket buffer
// is full (at most to in all, however many records it takes), and returns
// how long it waited for the peer. A small response goes as one record.
func (t *fdTLS) write(head, body []byte, to time.Duration) (time.Duration, error) {
	if _, ok := t.wstate.fire(wBegin); !ok {
		return 0, net.ErrClosed // close_notify went out
	}
	t.wto.Store(int64(to))
	t.waited.Store(0)
	var err error
	if len(body) > 0 && len(head)+len(body) <= readBufferSize {
		b := t.f.c.srv.getReadBuffer()
		n := copy(b, head)
		n += copy(b[n:], body)
		_, err = t.tc.Write(b[:n])
		t.f.c.srv.putReadBuffer(b)
	} else if _, err = t.tc.Write(head); err == nil && len(body) > 0 {
		_, err = t.tc.Write(body)
	}
	t.wstate.must(wEnd)
	return time.Duration(t.waited.Load()), parkErr(err)
}

// closeNotify sends close_notify without waiting, so that a client reading
// to the end of the connection sees the end, not a truncation. It does
// not when a response write is under way (its goroutine holds crypto/tls's
// write lock, and may be parked), nor behind a write that failed (the
// alert would follow a broken record); from then on nothing is written.
func (t *fdTLS) closeNotify() {
	if t.tc == nil || t.nc != nil || !t.shakenOK || t.wfailed.Load() {
		return
	}
	if _, ok := t.wstate.fire(wNotify); !ok {
		return
	}
	t.tc.CloseWrite()
}

// handshakeEP completes the TLS handshake of a connection the selector
// took at its first readable event, on a goroutine of its own, then
// serves it: as HTTP/1.1 from the selector, or handed over to HTTP/2 when
// ALPN chose it. The goroutine ends with the handshake.
func (c *conn) handshakeEP() {
	defer func() {
		if p := recover(); p != nil {
			c.srv.Config.logger().Error("connector: panic in a TLS handshake", "panic", p)
			c.close()
		}
	}()
	f := c.io.(*fdConn)
	t := f.tls
	t.tc = tls.Server(t, t.cfg)
	until := time.Now().Add(f.sel.left(c.headAt, c.srv.limits().ReadHeaderTimeout))
	t.rpark, t.rUntil = true, until
	t.wto.Store(int64(max(time.Until(until), time.Millisecond))) // <= 0 would mean no limit
	t.wstate.must(wBegin)
	if h := c.srv.Config.testHandshake; h != nil {
		h()
	}
	t.shaking.Store(true)
	var err error
	if c.srv.shutting.Load() {
		// A Shutdown that looked at the connection before shaking was
		// set found it neither idle (the selector had claimed it) nor
		// handshaking, and did not break it: seen here, after shaking,
		// so that one of the two always sees the other. Closing now,
		// with no request read, is what closing an idle connection is;
		// a handshake would wait for a stalled client until
		// ReadHeaderTimeout, past the Shutdown's patience.
		err = ErrServerClosed
	} else {
		err = t.tc.Handshake()
	}
	t.shaking.Store(false)
	t.wstate.must(wEnd)
	t.rpark, t.rUntil = false, time.Time{}
	if err != nil {
		c.refused(0, "TLS", "tls handshake: ", err)
		c.close()
		return
	}
	t.shakenOK = true
	if c.srv.shutting.Load() {
		// Shutdown came during the handshake: no request was read, so
		// closing now is what closing an idle connection is.
		c.close()
		return
	}
	st := t.tc.ConnectionState()
	c.info.TLS = &st
	if st.NegotiatedProtocol == "h2" {
		if c.srv.Config.HTTP2 == nil {
			c.close()
			return
		}
		c.handOver(nil)
		return
	}
	if task, ok := c.readHeadNB(); ok {
		c.srv.execute(offProducer(c, task))
	}
}

// release gives the socket to the Go runtime and the tls.Conn to whoever
// takes the connection over (Hijack, HTTP/2).
func (t *fdTLS) release() (net.Conn, error) {
	t.f.letGo()
	// NetConn closes the descriptor's number for a copy of it: a
	// flushPending of the selector's that looked before letGo may still
	// be writing to it under pmu, and one that comes later finds the
	// socket released (or nc set) and writes nothing.
	t.pmu.Lock()
	defer t.pmu.Unlock()
	nc, err := netpoll.NetConn(t.f.FD)
	if err != nil {
		return nil, err
	}
	t.nc = nc
	return t.tc, nil
}
