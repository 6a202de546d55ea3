package connector

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"time"

	"github.com/wharf-go/wharf/api"

	"github.com/wharf-go/wharf/internal/timerwheel"
)

// connIO is the platform's side of a connection: what the epoll connector
// (*fdConn, Linux) and the portable one (*portableIO, any net.Conn) do
// differently. Everything else about a connection, its state machine
// included, is shared.
type connIO interface {
	// fill reads more of a request head into c.rbuf[c.w:], leaving the
	// connection idle (toIdle) while it waits for bytes. waiting says no
	// byte of the head came yet, first that none was read by this call of
	// readRequest. errWouldBlock (epoll): nothing now; the connection is
	// idle, and the selector carries on when bytes come.
	fill(waiting, first bool) (int, error)
	// read reads body bytes, waiting at most to (<= 0: no limit).
	read(p []byte, to time.Duration) (int, error)
	// tryRead reads body bytes without waiting: api.ErrWouldBlock if
	// none; api.ErrNotSupported on the portable connector.
	tryRead(p []byte) (int, error)
	// notifyReadable calls f once the socket may be read.
	notifyReadable(f func())
	// write sends head, then body (nil: none), waiting at most to (<= 0:
	// no limit), and returns how long it waited for the peer (the
	// response's data rate counts it).
	write(head, body []byte, to time.Duration) (time.Duration, error)
	// answer sends b, the answer to a request that never reached the
	// handler; lingerClose follows.
	answer(b []byte)
	// lingerClose shuts the sending side, then closes the connection
	// once the client ended its own, or after lingerTimeout, discarding
	// what it sends meanwhile (conn.lingerClose). Its owner calls it.
	lingerClose()
	// handshaking reports whether a TLS handshake of the epoll connector
	// runs, owning the connection though no request was read: Shutdown
	// breaks it rather than wait (the portable connector's handshake runs
	// with the connection idle, which Shutdown closes).
	handshaking() bool
	// closeNotify tells a TLS peer, without waiting, that the connection
	// ends, before close breaks it (the portable connector's tls.Conn
	// says it as it closes).
	closeNotify()
	// breakConn makes the socket's I/O fail and wakes whoever waits on it;
	// any goroutine may call it. Only the owner closes the connection.
	breakConn()
	// breakWatched is breakConn for Server.Close, which stops the
	// selectors next: the connection's Watcher (a suspended request's)
	// hears now that it broke, as it would from the selector, which may
	// stop before it sees the break. The portable connector calls no
	// Watcher: it is breakConn there.
	breakWatched()
	// Close closes the socket (conn.close calls it, once).
	Close() error
	// release takes the socket from the connector (Hijack, hand-over).
	release() (net.Conn, error)
	// tunnel makes the connection an api.Tunnel that reads rest first
	// (Stream.Tunnel); api.ErrNotSupported for the portable connector.
	tunnel(rest []byte) (api.Tunnel, error)
	// resume continues the connection after s, a suspended request, was
	// finished by the calling goroutine.
	resume(s *stream)
	// liftNoPark lets the request's I/O park again once it left the
	// producer (dispatcher.Yielder) and reports whether it could not before.
	liftNoPark() bool
	// noPark reports whether the no-parking rule is in force, leaving it
	// (dispatcher.NoParker).
	noPark() bool
	// timerWheel returns the wheel of the selector that polls the
	// connection, nil for the portable connector's.
	timerWheel() *timerwheel.Wheel
	// runInline runs w on the calling goroutine, the selector's producer,
	// under the no-parking rule, and reports true; false (w not run)
	// for the portable connector.
	runInline(w interface{ Run() }) bool
}

// errWouldBlock is what fill returns when the socket has nothing now.
var errWouldBlock = errors.New("connector: would block")

// portableIO is the portable connector's side of a connection: blocking
// I/O on its net.Conn under deadlines, one goroutine per connection while
// a request is read or dispatched. It is the connection itself, with what
// only this connector keeps of it (the hang-up watch), so that the epoll
// connector's connections stay in their size class.
type portableIO struct {
	conn
	hw hangupWatch
}

var _ connIO = (*portableIO)(nil)

func (p *portableIO) fill(waiting, first bool) (int, error) {
	c := &p.conn
	if !c.toIdle() {
		return 0, io.EOF
	}
	lim := c.srv.limits()
	if waiting {
		c.nc.SetReadDeadline(time.Now().Add(lim.IdleTimeout))
	} else if first {
		c.nc.SetReadDeadline(time.Now().Add(lim.ReadHeaderTimeout))
	}
	n, err := c.nc.Read(c.rbuf[c.w:])
	if !c.claim() {
		return 0, net.ErrClosed // Shutdown or Close took it: never started
	}
	return n, err
}

func (p *portableIO) read(b []byte, to time.Duration) (int, error) {
	p.nc.SetReadDeadline(deadline(to))
	return p.nc.Read(b)
}

// deadline is the deadline of a wait of at most to (<= 0: none).
func deadline(to time.Duration) time.Time {
	if to <= 0 {
		return time.Time{}
	}
	return time.Now().Add(to)
}

func (p *portableIO) tryRead([]byte) (int, error) { return 0, api.ErrNotSupported }
func (p *portableIO) notifyReadable(f func())     { f() }

// write counts the whole blocking write as waiting: a net.Conn does not
// tell the system call from the wait for the peer.
func (p *portableIO) write(head, body []byte, to time.Duration) (time.Duration, error) {
	start := time.Now()
	var until time.Time
	if to > 0 {
		until = start.Add(to)
	}
	p.nc.SetWriteDeadline(until)
	bufs := net.Buffers{head, body}
	_, err := bufs.WriteTo(p.nc)
	return time.Since(start), err
}

func (p *portableIO) answer(b []byte) {
	p.write(b, nil, p.srv.limits().WriteTimeout)
}

// lingerClose waits on the connection's goroutine. Over TLS, close_notify
// goes first, its wait bounded as a close's (closeConn), and the
// discarding reads the socket beneath: nothing read is wanted, so nothing
// need be decrypted.
func (p *portableIO) lingerClose() {
	nc := p.nc
	if tc, ok := nc.(*tls.Conn); ok {
		p.srv.sayCloseNotify(tc, tc.CloseWrite)
		nc = tc.NetConn()
	}
	if cw, ok := nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		nc.SetReadDeadline(time.Now().Add(lingerTimeout))
		io.Copy(io.Discard, nc)
	}
	p.conn.close()
}

// breakConn closes the socket: that wakes the connection's goroutine,
// which finds the connection closed. Close calls it for a connection
// someone else owns, which may be giving its socket away meanwhile
// (release): the socket is read under the server's mutex, and one given
// away (nil) is not the connector's to close.
func (p *portableIO) breakConn() {
	p.srv.mu.Lock()
	nc := p.nc
	p.srv.mu.Unlock()
	if nc != nil {
		p.srv.closeConn(nc)
	}
}

func (p *portableIO) breakWatched()     { p.breakConn() }
func (p *portableIO) closeNotify()      {}
func (p *portableIO) handshaking() bool { return false }

// Close closes the socket, unless it was given away (release).
func (p *portableIO) Close() error {
	if p.nc == nil {
		return nil
	}
	return p.nc.Close()
}

// release gives the socket away (Hijack; detach, which puts it back as
// the protocol's): from now on Close, which may be looking at the
// connection, no longer reaches it (breakConn). It is forgotten under the
// server's mutex, which breakConn reads it under.
func (p *portableIO) release() (net.Conn, error) {
	p.srv.mu.Lock()
	nc := p.nc
	p.nc = nil
	p.srv.mu.Unlock()
	return nc, nil
}

func (p *portableIO) tunnel([]byte) (api.Tunnel, error) { return nil, api.ErrNotSupported }
func (p *portableIO) resume(s *stream)                  { go p.conn.resume(s) }
func (p *portableIO) liftNoPark() bool                  { return false }
func (p *portableIO) noPark() bool                      { return false }
func (p *portableIO) timerWheel() *timerwheel.Wheel     { return nil }
func (p *portableIO) runInline(interface{ Run() }) bool { return false }
